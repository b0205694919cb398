"""From a row of spreadsheet cells to the arguments of the create services.

Cells become what the CRM's services take: statuses, stages, pipelines and sources by name (as
shown in English or Russian, Bitrix24's default names included) or by code; the responsible by
full name, e-mail or login; amounts as typed ("1 234,50", "1,234.50"); dates as dd.mm.yyyy, ISO or
Excel serial numbers; several phones or e-mails in one cell (split on `,` `;` and line breaks).
The rules themselves (what an amount or a phone may be) stay in crm.services: this module only
reads. A status, pipeline, source or responsible the CRM does not know is a warning, not a failure:
the item gets the default one (the source's name is kept in "source details").
`Directory` is loaded once per import and is picklable: rows are converted in worker processes.
"""

import datetime as dt
import re
from dataclasses import dataclass, field
from decimal import Decimal
from functools import lru_cache
from typing import Any

from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from voronka.accounts.models import User
from voronka.crm.models import CustomField, Pipeline, Source, Stage
from voronka.crm.services.bulk import ItemInput
from voronka.lib.errors import Invalid
from voronka.lib.text import fold

SPLIT = re.compile(r"[,;\n\r]+")
SPLIT_LIST = re.compile(r"[;\n\r]+")
FORMULA_ESCAPE = re.compile(r"^'(?=[=+\-@\t\r])")
EXCEL_EPOCH = dt.datetime(1899, 12, 30)  # noqa: DTZ001 - Excel's day zero, a calendar date

# Bitrix24's default names for its status, stage and source codes (crm.status defaults).
BITRIX_NAMES = {
    "lead": {
        "NEW": ("Не обработан", "Unprocessed", "Новый", "Новая заявка"),
        "IN_PROCESS": ("В работе", "In process", "In progress"),
        "PROCESSED": ("Обработан", "Processed"),
        "CONVERTED": ("Качественный лид", "Сконвертирован", "High-quality lead", "Converted"),
        "JUNK": ("Некачественный лид", "Low-quality lead", "Junk", "Junk lead"),
    },
    "deal": {
        "NEW": ("Новая", "New"),
        "PREPARATION": ("Подготовка документов", "Document preparation", "Preparing documents"),
        "PREPAYMENT_INVOICE": ("Счёт на предоплату", "Prepayment invoice"),
        "EXECUTING": ("В работе", "In progress", "Executing"),
        "FINAL_INVOICE": ("Финальный счёт", "Final invoice"),
        "WON": ("Сделка успешна", "Успешно реализовано", "Deal successful", "Won", "Closed won"),
        "LOSE": ("Сделка провалена", "Deal failed", "Lost", "Closed lost"),
        "APOLOGY": ("Анализ причины провала", "Failure reason analysis"),
    },
    "source": {
        "CALL": ("Звонок", "Call", "Входящий звонок"),
        "EMAIL": ("Электронная почта", "E-mail", "Email"),
        "WEB": ("Веб-сайт", "Website", "Web site", "Сайт"),
        "WEBFORM": ("CRM-форма", "CRM form", "Web form", "Веб-форма"),
        "CALLBACK": ("Обратный звонок", "Callback"),
        "ADVERTISING": ("Реклама", "Advertising"),
        "PARTNER": ("Существующий клиент", "Existing client", "Партнёр", "Partner"),
        "RECOMMENDATION": ("По рекомендации", "By recommendation", "Рекомендация"),
        "TRADE_SHOW": ("Выставка", "Trade show"),
        "OTHER": (
            "Другое",
            "Other",
            "Интернет-магазин",
            "Online store",
            "Генератор продаж",
            "Sales generator",
        ),
    },
}
GENERAL_PIPELINE_NAMES = ("Общая", "Общее", "Общее направление", "General", "Default", "0")
CURRENCY_NAMES = {
    "RUB": ("руб", "руб.", "рубль", "рубли", "рублей", "российский рубль", "₽", "rur", "р", "р."),
    "USD": ("$", "доллар", "доллар сша", "us dollar", "dollar"),
    "EUR": ("€", "евро", "euro"),
    "KZT": ("тенге", "₸"),
    "BYN": ("белорусский рубль", "byr"),
    "UAH": ("гривна", "₴"),
    "CNY": ("юань", "¥"),
}


def _key(value: Any) -> str:
    return _text_key(str(value))


@lru_cache(maxsize=4096)
def _text_key(text: str) -> str:
    # Statuses, sources and responsibles repeat from row to row: each spelling is folded once.
    return fold(text).strip(" .")


@dataclass
class Directory:
    """The names an import understands, loaded once: stages, pipelines, sources, users, custom fields."""

    entity: str
    stages: dict[str, list[Stage]] = field(default_factory=dict)
    pipelines: dict[str, Pipeline] = field(default_factory=dict)
    sources: dict[str, str] = field(default_factory=dict)
    users: dict[str, int] = field(default_factory=dict)
    custom: dict[str, CustomField] = field(default_factory=dict)
    default_assignee: int | None = None
    default_pipeline: Pipeline | None = None


def load_directory(
    entity: str,
    *,
    custom_fields: list[CustomField],
    pipeline: Pipeline | None = None,
    assign_to: User | None = None,
) -> Directory:
    """Load the names rows may use for `entity`."""
    directory = Directory(
        entity=entity, default_assignee=assign_to.pk if assign_to else None, default_pipeline=pipeline
    )
    directory.custom = {f.code: f for f in custom_fields}
    if entity in ("lead", "deal"):
        stages = (
            Stage.objects.filter(pipeline__kind=entity)
            .select_related("pipeline")
            .order_by("pipeline__sort", "sort")
        )
        for stage in stages:
            for name in _names_of(stage, BITRIX_NAMES[entity].get(stage.code.split(":")[-1], ())):
                directory.stages.setdefault(name, []).append(stage)
        for pipe in {s.pipeline_id: s.pipeline for s in stages}.values():
            names = _names_of(pipe, GENERAL_PIPELINE_NAMES if pipe.is_default else ())
            for name in names | {str(pipe.pk)}:
                directory.pipelines.setdefault(name, pipe)
    sources = {source.code: source for source in Source.objects.all()}
    for code, source in sources.items():
        for name in _names_of(source, BITRIX_NAMES["source"].get(code, ())):
            directory.sources.setdefault(name, code)
    for user in User.objects.filter(is_active=True, is_system=False).order_by("pk"):
        for name in _user_names(user):
            directory.users.setdefault(name, user.pk)
    return directory


def _names_of(row, extra) -> set[str]:
    names = {_key(row.name), *(_key(name) for name in extra)}
    code = getattr(row, "code", "")
    if code:
        names |= {_key(code), _key(code.split(":")[-1])}
    for language in ("en", "ru"):
        with translation.override(language):
            names.add(_key(row.title))
    names.discard("")
    return names


def _user_names(user: User) -> set[str]:
    first, last, middle = user.first_name, user.last_name, user.middle_name
    spellings = {
        user.username,
        user.email,
        str(user.pk),
        f"{first} {last}",
        f"{last} {first}",
        f"{last} {first} {middle}",
        f"{first} {middle} {last}",
    }
    return {_key(s) for s in spellings if _key(s)}


@dataclass
class Converted:
    """A row read into service arguments, or why it cannot be."""

    input: ItemInput | None
    error: str = ""
    warnings: list[str] = field(default_factory=list)
    names: dict[str, str] = field(default_factory=dict)  # client names to look up: {"company": "Romashka"}
    columns: dict[str, str] = field(default_factory=dict)  # service argument -> column header


def convert(
    directory: Directory, targets: list[tuple[int, str, str]], number: int, cells: list[Any]
) -> Converted | None:
    """Read one row; None for a blank row."""
    texts = {index: cell_text(cells[index]) if index < len(cells) else "" for index, _h, _t in targets}
    if not any(texts.values()):
        return None
    row = _Row(directory)
    for index, header, target in targets:
        text = texts[index]
        raw = cells[index] if index < len(cells) else None
        if "\ufffd" in text:
            row.fail(header, _("Characters that cannot be read: is the encoding right?"))
            continue
        if text:
            try:
                row.put(target, text, raw, header)
            except Invalid as error:
                row.fail(header, error.message)
    return row.finish(number)


def cell_text(value: Any) -> str:
    """Return a cell as text: whole numbers without ".0", our export's formula escape undone."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime):
        return (
            value.strftime("%d.%m.%Y %H:%M:%S") if value.time() != dt.time() else value.strftime("%d.%m.%Y")
        )
    if isinstance(value, dt.date):
        return value.strftime("%d.%m.%Y")
    text = str(value).strip()
    return FORMULA_ESCAPE.sub("", text) if text.startswith("'") else text


class _Row:
    def __init__(self, directory: Directory) -> None:
        self.directory = directory
        self.values: dict[str, Any] = {}
        self.errors: list[str] = []
        self.warnings: list[str] = []
        self.columns: dict[str, str] = {}
        self.names: dict[str, str] = {}
        self.stage: Stage | None = None
        self.stage_name = ""
        self.pipeline: Pipeline | None = directory.default_pipeline
        self.pipeline_given = directory.default_pipeline is not None
        self.created_at: dt.datetime | None = None

    def fail(self, header: str, message: Any) -> None:
        self.errors.append(f"{header}: {message}")

    def note(self, header: str, message: Any) -> None:
        self.warnings.append(f"{header}: {message}")

    def put(self, target: str, text: str, raw: Any, header: str) -> None:
        name, _sep, label = target.partition(":")
        if name in ("phone", "email", "website", "messenger"):
            argument = {
                "phone": "phones",
                "email": "emails",
                "website": "websites",
                "messenger": "messengers",
            }[name]
            values = self.values.setdefault(argument, [])
            for part in SPLIT.split(text) if name != "website" else [text]:
                if part.strip():
                    self.columns[f"{argument}.{len(values)}"] = header
                    values.append({"value": part.strip(), "label": label} if label else part.strip())
            return
        handler = getattr(self, f"_{name}", None)
        if name == "custom":
            self._custom(label, text, raw, header)
        elif handler is not None:
            handler(text, raw, header)
        else:
            self._set(name, text, header)

    def _set(self, name: str, value: Any, header: str) -> None:
        self.values[name] = value
        self.columns[name] = header

    def _address(self, text, raw, header):
        joined = ", ".join(p for p in (self.values.get("address", ""), text) if p)
        self._set("address", joined, header)

    def _comments(self, text, raw, header):
        joined = "\n".join(p for p in (self.values.get("comments", ""), text) if p)
        self._set("comments", joined, header)

    def _fio(self, text, raw, header):
        parts = text.split()
        for name, part in zip(
            ("last_name", "first_name", "second_name"), [*parts[:2], " ".join(parts[2:])], strict=False
        ):
            if part:
                self._set(name, part, header)

    def _full_name(self, text, raw, header):
        parts = text.split()
        if len(parts) >= 3:
            self._fio(text, raw, header)
            return
        for name, part in zip(("first_name", "last_name"), parts, strict=False):
            self._set(name, part, header)

    def _status(self, text, raw, header):
        self.stage_name = text
        self.columns["status"] = self.columns["stage"] = header

    _stage = _status

    def _pipeline(self, text, raw, header):
        pipeline = self.directory.pipelines.get(_key(text))
        if pipeline is None:
            self.note(header, _("unknown pipeline “%(value)s”, the default one is used") % {"value": text})
        else:
            self.pipeline, self.pipeline_given = pipeline, True
        self.columns["pipeline"] = header

    def _source(self, text, raw, header):
        code = self.directory.sources.get(_key(text))
        if code is None:
            code = self.directory.sources.get("other")
            self.values.setdefault("source_description", text)
            self.note(header, _("unknown source “%(value)s”, saved as “Other”") % {"value": text})
        self._set("source", code, header)

    def _assigned_to(self, text, raw, header):
        user_id = self.directory.users.get(_key(text))
        if user_id is None:
            self.note(header, _("no user “%(value)s”, the default responsible is used") % {"value": text})
            return
        self._set("assigned_to", user_id, header)

    def _amount(self, text, raw, header):
        self._set("amount", Decimal(repr(raw)) if isinstance(raw, float) else text, header)

    def _revenue(self, text, raw, header):
        self._set("revenue", Decimal(repr(raw)) if isinstance(raw, float) else text, header)

    def _currency(self, text, raw, header):
        key = _key(text)
        code = next((code for code, names in CURRENCY_NAMES.items() if key in names), text.upper())
        self._set("currency", code, header)

    def _probability(self, text, raw, header):
        self._set("probability", text.rstrip("% "), header)

    def _created_at(self, text, raw, header):
        self.created_at = to_datetime(raw if raw is not None else text)
        self.columns["created_at"] = header

    def _close_date(self, text, raw, header):
        self._set("close_date", to_date(raw if raw is not None else text), header)

    def _birthdate(self, text, raw, header):
        self._set("birthdate", to_date(raw if raw is not None else text), header)

    def _company(self, text, raw, header):
        self.names["company"] = text
        self.columns["company"] = header

    def _contact(self, text, raw, header):
        self.names["contact"] = text
        self.columns["contact"] = header

    def _custom(self, code: str, text: str, raw: Any, header: str) -> None:
        definition = self.directory.custom.get(code)
        values: list[Any] = SPLIT_LIST.split(text) if definition and definition.is_multiple else [text]
        if definition is not None and definition.type == CustomField.Type.USER:
            values = [self.directory.users.get(_key(v), v) for v in values]
        elif definition is not None and definition.type == CustomField.Type.DATE:
            values = [to_date(raw if raw is not None and len(values) == 1 else v) for v in values]
        custom = self.values.setdefault("custom", {})
        custom[code] = values if definition and definition.is_multiple else values[0]
        self.columns[f"custom.{code}"] = header

    def finish(self, number: int) -> Converted:
        stage = None
        if self.stage_name:
            stage = self._find_stage()
        if "assigned_to" not in self.values and self.directory.default_assignee:
            self.values["assigned_to"] = self.directory.default_assignee
        if self.errors:
            return Converted(input=None, error="; ".join(self.errors), warnings=self.warnings)
        item = ItemInput(
            ref=number,
            values=self.values,
            stage=stage,
            pipeline=self.pipeline if self.directory.entity == "deal" else None,
            created_at=self.created_at,
        )
        return Converted(input=item, warnings=self.warnings, names=self.names, columns=self.columns)

    def _find_stage(self) -> Stage | None:
        found = self.directory.stages.get(_key(self.stage_name), [])
        if self.pipeline is not None:
            inside = [s for s in found if s.pipeline_id == self.pipeline.pk]
            found = inside if inside or self.pipeline_given else found
        if not found:
            self.note(
                self.columns.get("status", ""),
                _("unknown stage “%(value)s”, the first one is used") % {"value": self.stage_name},
            )
            return None
        if self.pipeline is None and self.directory.entity == "deal":
            self.pipeline = found[0].pipeline
        return found[0]


_DATE_FORMATS = ("%d.%m.%Y", "%Y-%m-%d", "%d.%m.%y", "%d/%m/%Y", "%Y/%m/%d")
_TIME_FORMATS = ("%H:%M:%S", "%H:%M")


def to_datetime(value: Any) -> dt.datetime:
    """Read a date and time as people and Excel write them; naive times are in the CRM's time zone."""
    if isinstance(value, dt.datetime):
        moment = value
    elif isinstance(value, dt.date):
        moment = dt.datetime.combine(value, dt.time())
    elif isinstance(value, int | float) and not isinstance(value, bool):
        moment = _from_serial(value)
    else:
        moment = _parse_datetime(str(value).strip())
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment, timezone.get_default_timezone())
    return moment


def to_date(value: Any) -> dt.date:
    """Read a date as people and Excel write it."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return to_datetime(value).date()


def _from_serial(number: float) -> dt.datetime:
    if not 1 <= number < 2958466:
        raise _not_a_date(number)
    return EXCEL_EPOCH + dt.timedelta(days=float(number))


def _parse_datetime(text: str) -> dt.datetime:
    if re.fullmatch(r"\d{4,5}(\.\d+)?", text):
        return _from_serial(float(text))
    iso = text.replace("T", " ").removesuffix("Z")
    try:
        return dt.datetime.fromisoformat(iso)
    except ValueError:
        pass
    day, _space, time = text.partition(" ")
    for date_format in _DATE_FORMATS:
        for time_format in ("", *_TIME_FORMATS):
            pattern = f"{date_format} {time_format}".strip()
            try:
                return dt.datetime.strptime(f"{day} {time}".strip(), pattern)  # noqa: DTZ007 - made aware by the caller
            except ValueError:
                continue
    raise _not_a_date(text)


def _not_a_date(value: Any) -> Invalid:
    return Invalid("import.bad_date", _("“%(value)s” is not a date.") % {"value": value})
