"""Which column of a file fills which field: headers in English and Russian, Bitrix24's export
headers and field codes, custom fields by name or code; a JSON mapping overrides any guess.

A target is a field name (`title`, `amount`...), a communication with its label (`phone:mobile`,
`email:home`), `status` / `stage` / `pipeline`, `company` / `contact` (a deal's or contact's client,
by name), `fio` (a full name, surname first), `full_name` (first name first), `created_at`, or
`custom:UF_CRM_...`. Several columns may fill the phones, e-mails, address and comments.
"""

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.utils.translation import gettext_lazy as _

from voronka.lib.errors import Invalid
from voronka.lib.text import fold

PERSON = ("first_name", "last_name", "second_name", "fio", "full_name", "position")
COMMON = ("source", "source_description", "assigned_to", "comments", "created_at")
REACH = ("phone", "email", "website", "messenger")
TARGETS: dict[str, tuple[str, ...]] = {
    "lead": ("title", *PERSON, "company_title", "status", "amount", "currency", "address", *REACH, *COMMON),
    "deal": (
        "title",
        "stage",
        "pipeline",
        "amount",
        "currency",
        "close_date",
        "probability",
        "company",
        "contact",
        *COMMON,
    ),
    "contact": (*PERSON, "birthdate", "company", "address", *REACH, *COMMON),
    "company": (
        "title",
        "industry",
        "employees",
        "revenue",
        "currency",
        "tax_id",
        "address",
        *REACH,
        *COMMON,
    ),
}
# Targets more than one column may fill (values are joined or collected).
MULTI = {"phone", "email", "website", "messenger", "address", "comments"}
PHONE_LABELS = ("work", "mobile", "home", "fax", "mailing", "other")
EMAIL_LABELS = ("work", "home", "mailing", "other")

LABELS = {
    "title": _("Title"),
    "first_name": _("First name"),
    "last_name": _("Last name"),
    "second_name": _("Middle name"),
    "fio": _("Full name (last name first)"),
    "full_name": _("Full name (first name first)"),
    "position": _("Position"),
    "company_title": _("Company name"),
    "status": _("Status"),
    "stage": _("Stage"),
    "pipeline": _("Pipeline"),
    "amount": _("Amount"),
    "currency": _("Currency"),
    "address": _("Address"),
    "phone": _("Phone"),
    "email": _("E-mail"),
    "website": _("Web site"),
    "messenger": _("Messenger"),
    "source": _("Source"),
    "source_description": _("Source details"),
    "assigned_to": _("Responsible"),
    "comments": _("Comment"),
    "created_at": _("Created"),
    "close_date": _("Expected close date"),
    "probability": _("Probability, %"),
    "company": _("Company"),
    "contact": _("Contact"),
    "birthdate": _("Birth date"),
    "industry": _("Industry"),
    "employees": _("Employees"),
    "revenue": _("Annual revenue"),
    "tax_id": _("Tax id"),
}

# Folded header -> target (the label after ":" for phones and e-mails). Bitrix24's export headers,
# its REST field codes, and the usual English and Russian spellings.
_ALIASES = {
    "title": "title",
    "название": "title",
    "название лида": "title",
    "название сделки": "title",
    "lead title": "title",
    "lead name": "title",
    "deal title": "title",
    "deal name": "title",
    "subject": "title",
    "name": "first_name",
    "first name": "first_name",
    "firstname": "first_name",
    "имя": "first_name",
    "last_name": "last_name",
    "last name": "last_name",
    "surname": "last_name",
    "lastname": "last_name",
    "фамилия": "last_name",
    "second_name": "second_name",
    "middle name": "second_name",
    "отчество": "second_name",
    "фио": "fio",
    "ф.и.о": "fio",
    "ф. и. о": "fio",
    "контактное лицо": "fio",
    "full name": "full_name",
    "post": "position",
    "position": "position",
    "job title": "position",
    "должность": "position",
    "company_title": "company_title",
    "company name": "company_title",
    "название компании": "company_title",
    "организация": "company_title",
    "status_id": "status",
    "status": "status",
    "статус": "status",
    "стадия": "status",
    "stage_id": "stage",
    "stage": "stage",
    "стадия сделки": "stage",
    "deal stage": "stage",
    "category_id": "pipeline",
    "pipeline": "pipeline",
    "направление": "pipeline",
    "воронка": "pipeline",
    "opportunity": "amount",
    "amount": "amount",
    "сумма": "amount",
    "сумма сделки": "amount",
    "бюджет": "amount",
    "currency_id": "currency",
    "currency": "currency",
    "валюта": "currency",
    "source_id": "source",
    "source": "source",
    "источник": "source",
    "source_description": "source_description",
    "source details": "source_description",
    "дополнительно об источнике": "source_description",
    "assigned_by_id": "assigned_to",
    "assigned_by": "assigned_to",
    "responsible": "assigned_to",
    "responsible person": "assigned_to",
    "assigned to": "assigned_to",
    "manager": "assigned_to",
    "owner": "assigned_to",
    "ответственный": "assigned_to",
    "менеджер": "assigned_to",
    "comments": "comments",
    "comment": "comments",
    "notes": "comments",
    "комментарий": "comments",
    "комментарии": "comments",
    "примечание": "comments",
    "описание": "comments",
    "address": "address",
    "адрес": "address",
    "улица, дом": "address",
    "квартира / офис": "address",
    "город": "address",
    "city": "address",
    "район": "address",
    "область": "address",
    "почтовый индекс": "address",
    "страна": "address",
    "country": "address",
    "date_create": "created_at",
    "created": "created_at",
    "created at": "created_at",
    "date created": "created_at",
    "creation date": "created_at",
    "дата создания": "created_at",
    "создан": "created_at",
    "создано": "created_at",
    "closedate": "close_date",
    "close date": "close_date",
    "expected close date": "close_date",
    "предполагаемая дата закрытия": "close_date",
    "дата завершения": "close_date",
    "probability": "probability",
    "вероятность": "probability",
    "company": "company",
    "компания": "company",
    "company_id": "company",
    "contact": "contact",
    "контакт": "contact",
    "contact_id": "contact",
    "birthdate": "birthdate",
    "birth date": "birthdate",
    "date of birth": "birthdate",
    "дата рождения": "birthdate",
    "industry": "industry",
    "сфера деятельности": "industry",
    "отрасль": "industry",
    "employees": "employees",
    "кол-во сотрудников": "employees",
    "количество сотрудников": "employees",
    "revenue": "revenue",
    "годовой оборот": "revenue",
    "tax id": "tax_id",
    "inn": "tax_id",
    "инн": "tax_id",
    "phone": "phone:work",
    "phones": "phone:work",
    "telephone": "phone:work",
    "телефон": "phone:work",
    "телефоны": "phone:work",
    "work phone": "phone:work",
    "рабочий телефон": "phone:work",
    "mobile": "phone:mobile",
    "mobile phone": "phone:mobile",
    "cell phone": "phone:mobile",
    "мобильный телефон": "phone:mobile",
    "мобильный": "phone:mobile",
    "сотовый": "phone:mobile",
    "home phone": "phone:home",
    "домашний телефон": "phone:home",
    "fax": "phone:fax",
    "номер факса": "phone:fax",
    "факс": "phone:fax",
    "телефон для рассылок": "phone:mailing",
    "другой телефон": "phone:other",
    "other phone": "phone:other",
    "номер пейджера": "phone:other",
    "email": "email:work",
    "e-mail": "email:work",
    "e-mails": "email:work",
    "emails": "email:work",
    "mail": "email:work",
    "электронная почта": "email:work",
    "почта": "email:work",
    "work email": "email:work",
    "work e-mail": "email:work",
    "рабочий e-mail": "email:work",
    "рабочий email": "email:work",
    "частный e-mail": "email:home",
    "частный email": "email:home",
    "личный e-mail": "email:home",
    "home email": "email:home",
    "private email": "email:home",
    "personal email": "email:home",
    "e-mail для рассылок": "email:mailing",
    "другой e-mail": "email:other",
    "other email": "email:other",
    "web": "website",
    "website": "website",
    "web site": "website",
    "site": "website",
    "сайт": "website",
    "корпоративный сайт": "website",
    "личная страница": "website",
    "другой сайт": "website",
    "im": "messenger",
    "messenger": "messenger",
    "telegram": "messenger:telegram",
    "контакт telegram": "messenger:telegram",
    "whatsapp": "messenger:whatsapp",
    "контакт viber": "messenger:viber",
    "контакт skype": "messenger:skype",
    "skype": "messenger:skype",
    "контакт вконтакте": "messenger:vk",
}


def _key(header: str) -> str:
    return fold(header).strip(" :*").replace("ё", "е")


@dataclass
class Mapping:
    """The target of each column (None: not imported)."""

    headers: list[str]
    targets: list[str | None]

    def used(self) -> list[tuple[int, str, str]]:
        """Return (column index, header, target) of the imported columns."""
        return [(i, self.headers[i], t) for i, t in enumerate(self.targets) if t]

    def as_json(self) -> dict[str, str | None]:
        return {_column_key(i, h): t for i, (h, t) in enumerate(zip(self.headers, self.targets, strict=True))}


def _column_key(index: int, header: str) -> str:
    return header or f"#{index + 1}"


def base(target: str) -> str:
    """Return the target without its label or code: "phone:mobile" -> "phone"."""
    return target.split(":", 1)[0]


def guess_target(entity: str, header: str, custom_fields: dict[str, str]) -> str | None:
    """Return the target a header names for `entity`, or None."""
    key = _key(header)
    if not key:
        return None
    upper = header.strip().upper()
    if upper.startswith("UF_CRM_") and upper in custom_fields.values():
        return f"custom:{upper}"
    if key in custom_fields:
        return f"custom:{custom_fields[key]}"
    target = _ALIASES.get(key) or _ALIASES.get(key.replace("_", " "))
    words = key.split()
    if target is None and len(words) == 2:
        # A two-row header joined: "Телефон Рабочий" is the "Рабочий телефон" of Bitrix24.
        target = _ALIASES.get(f"{words[1]} {words[0]}")
    if target is None:
        return None
    if entity == "deal" and target == "status":
        target = "stage"
    if entity != "deal" and target == "stage":
        target = "status"
    if entity == "lead" and target == "company":
        target = "company_title"
    if entity in ("deal", "contact") and target == "company_title":
        target = "company"
    if entity in ("company", "deal") and target in ("first_name", "company_title", "company"):
        target = "title" if entity == "company" or target == "first_name" else "company"
    return target if base(target) in TARGETS[entity] else None


def header_scorer(entity: str, custom_fields: dict[str, str]):
    """Return a function counting how many cells of a row name known columns (to find the header row)."""

    def score(cells: list[str]) -> int:
        return sum(1 for cell in cells if cell and guess_target(entity, cell, custom_fields))

    return score


def guess(
    entity: str, headers: list[str], custom_fields: dict[str, str], override: dict[str, Any] | None = None
) -> Mapping:
    """Map the columns of a file: guessed from the headers, then as `override` says."""
    targets: list[str | None] = [guess_target(entity, header, custom_fields) for header in headers]
    if override:
        _apply(entity, headers, targets, override, custom_fields)
    seen: set[str] = set()
    for index, target in enumerate(targets):
        if target is None:
            continue
        if base(target) not in MULTI and target in seen:
            targets[index] = None  # a second "Name" column: the first one wins
        seen.add(target)
    return Mapping(headers=list(headers), targets=targets)


def _apply(entity: str, headers: list[str], targets: list, override: dict[str, Any], custom_fields) -> None:
    by_header = {_key(header): i for i, header in reversed(list(enumerate(headers)))}
    for column, target in override.items():
        text = str(column)
        if text.startswith("#") and text[1:].isdigit():
            index = int(text[1:]) - 1
        else:
            index = by_header.get(_key(text), -1)
        if not 0 <= index < len(headers):
            raise Invalid(
                "mapping.unknown_column",
                _("The file has no column “%(column)s”.") % {"column": column},
                details={"column": text},
            )
        targets[index] = check_target(entity, target, custom_fields)


def check_target(entity: str, target: Any, custom_fields: dict[str, str]) -> str | None:
    """Return a valid target for `entity`, None for "skip", or raise Invalid."""
    if target in (None, "", "-"):
        return None
    target = str(target).strip()
    name, _sep, label = target.partition(":")
    if name == "custom" and label.upper() in custom_fields.values():
        return f"custom:{label.upper()}"
    valid = name in TARGETS[entity] and (
        not label
        or (name == "phone" and label in PHONE_LABELS)
        or (name == "email" and label in EMAIL_LABELS)
        or name == "messenger"
    )
    if not valid:
        raise Invalid(
            "mapping.bad_target",
            _("“%(target)s” is not a field of this kind of item.") % {"target": target},
            details={"target": target},
        )
    return target


def load_override(path: Path | str) -> dict[str, Any]:
    """Read a JSON mapping file: {"Column header": "target" or null} (or {"columns": {...}})."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8-sig"))
    except (OSError, ValueError) as error:
        raise Invalid(
            "mapping.unreadable", _("The mapping file cannot be read: %(error)s") % {"error": error}
        ) from None
    if isinstance(data, dict) and isinstance(data.get("columns"), dict):
        data = data["columns"]
    if not isinstance(data, dict):
        raise Invalid("mapping.not_an_object", _("The mapping file is a JSON object: column → field."))
    return data


def custom_field_names(fields) -> dict[str, str]:
    """Return {folded name or code: code} for custom field definitions."""
    names: dict[str, str] = {}
    for field in fields:
        names[_key(field.name)] = field.code
        names[_key(field.code)] = field.code
    return names
