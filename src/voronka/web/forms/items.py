"""The create / edit form of leads, deals, contacts and companies, with custom fields.

The form only shapes the input; the services validate it and their `Invalid` details are
put back on the fields (views.common.apply_errors). Phones and e-mails are repeated inputs
(`phone` + `phone_label`, `email` + `email_label`), read with getlist.
"""

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from voronka.accounts.selectors import active_users
from voronka.crm.models import Communication, CustomField
from voronka.crm.selectors.pipelines import deal_pipelines, sources
from voronka.lib.money import CURRENCIES

Label = Communication.Label
PHONE_LABELS = [Label.WORK, Label.MOBILE, Label.HOME, Label.FAX, Label.OTHER]
EMAIL_LABELS = [Label.WORK, Label.HOME, Label.MAILING, Label.OTHER]

FIELDS = {
    "lead": [
        "title", "last_name", "first_name", "second_name", "position", "company_title",
        "amount", "currency", "source", "assigned_to", "address", "comments",
    ],
    "deal": [
        "title", "pipeline", "amount", "currency", "close_date", "probability",
        "contact", "company", "source", "assigned_to", "comments",
    ],
    "contact": [
        "last_name", "first_name", "second_name", "position", "company", "birthdate",
        "source", "assigned_to", "address", "comments",
    ],
    "company": [
        "title", "industry", "employees", "revenue", "currency", "tax_id",
        "source", "assigned_to", "address", "comments",
    ],
}  # fmt: skip
WITH_COMMUNICATIONS = ("lead", "contact", "company")
WIDE = {"title", "address", "comments", "company_title"}
HEAD = {"title", "last_name", "first_name", "second_name", "position", "company_title"}


def _base_fields(kind: str) -> dict[str, forms.Field]:
    text = {"required": False}
    return {
        "title": forms.CharField(
            label=_("Title") if kind != "company" else _("Name"), max_length=255, **text
        ),
        "last_name": forms.CharField(label=_("Last name"), max_length=100, **text),
        "first_name": forms.CharField(label=_("First name"), max_length=100, **text),
        "second_name": forms.CharField(label=_("Middle name"), max_length=100, **text),
        "position": forms.CharField(label=_("Position"), max_length=200, **text),
        "company_title": forms.CharField(label=_("Company name"), max_length=255, **text),
        "amount": forms.CharField(
            label=_("Amount"), **text, widget=forms.TextInput(attrs={"inputmode": "decimal"})
        ),
        "revenue": forms.CharField(
            label=_("Annual revenue"), **text, widget=forms.TextInput(attrs={"inputmode": "decimal"})
        ),
        "currency": forms.ChoiceField(label=_("Currency"), choices=[(c, c) for c in CURRENCIES], **text),
        "close_date": forms.DateField(
            label=_("Expected close date"), **text, widget=forms.DateInput(attrs={"type": "date"})
        ),
        "birthdate": forms.DateField(
            label=_("Birth date"), **text, widget=forms.DateInput(attrs={"type": "date"})
        ),
        "probability": forms.IntegerField(label=_("Probability, %"), min_value=0, max_value=100, **text),
        "industry": forms.CharField(label=_("Industry"), max_length=100, **text),
        "employees": forms.CharField(label=_("Employees"), max_length=50, **text),
        "tax_id": forms.CharField(label=_("Tax id"), max_length=20, **text),
        "address": forms.CharField(label=_("Address"), max_length=500, **text),
        "comments": forms.CharField(label=_("Comments"), widget=forms.Textarea(attrs={"rows": 3}), **text),
        "source": forms.ChoiceField(label=_("Source"), **text),
        "assigned_to": forms.ChoiceField(label=_("Responsible"), **text),
        "pipeline": forms.ChoiceField(label=_("Pipeline"), **text),
        "contact": forms.CharField(label=_("Contact"), widget=forms.HiddenInput, **text),
        "company": forms.CharField(label=_("Company"), widget=forms.HiddenInput, **text),
    }


class ItemForm(forms.Form):
    """Fields of one item kind, plus its custom fields (named custom__<CODE>)."""

    def __init__(self, *args, kind: str, instance=None, creating: bool = True, **kwargs):
        super().__init__(*args, **kwargs)
        self.kind, self.instance, self.creating = kind, instance, creating
        self.extra_errors: dict[str, list[str]] = {}
        base = _base_fields(kind)
        names = [n for n in FIELDS[kind] if not (n == "pipeline" and not creating)]
        if instance is not None and kind in ("lead", "deal") and instance.product_rows.exists():
            names = [n for n in names if n != "amount"]  # the amount follows the product rows
        for name in names:
            self.fields[name] = base[name]
        for name in ("company_title",) if kind == "lead" else ("title",) if kind == "company" else ():
            self.fields[name].widget.attrs["data-dup-watch"] = ""
        self.fields["source"].choices = [("", "—")] + [(str(s.pk), s.title) for s in sources()]
        self.fields["assigned_to"].choices = [("", "—")] + [
            (str(u.pk), u.display_name) for u in active_users()
        ]
        if "pipeline" in self.fields:
            self.fields["pipeline"].choices = [(str(p.pk), p.title) for p in deal_pipelines()]
        if "currency" in self.fields:
            self.fields["currency"].initial = settings.DEFAULT_CURRENCY
        self.custom_fields = list(CustomField.objects.filter(entity=kind).order_by("sort", "pk"))
        users = None
        for field in self.custom_fields:
            if field.type == CustomField.Type.USER and users is None:
                users = [("", "—")] + [(str(u.pk), u.display_name) for u in active_users()]
            self.fields[f"custom__{field.code}"] = custom_form_field(field, users)
        if instance is not None and not self.is_bound:
            self._initial_from(instance)

    def _initial_from(self, item) -> None:
        for name in self.fields:
            if name.startswith("custom__"):
                value = (item.custom or {}).get(name.removeprefix("custom__"))
                if isinstance(value, list):
                    self.initial[name] = [str(v) for v in value]
                elif value is not None:
                    self.initial[name] = str(value) if not isinstance(value, bool) else value
                continue
            value = (
                getattr(item, f"{name}_id", None)
                if name in ("source", "assigned_to", "contact", "company")
                else getattr(item, name, None)
            )
            if value is not None:
                self.initial[name] = value

    @property
    def plain_fields(self):
        return [
            self[name]
            for name in self.fields
            if not name.startswith("custom__") and name not in ("contact", "company")
        ]

    @property
    def head_fields(self):
        """Who or what it is: shown above the phones and e-mails."""
        return [field for field in self.plain_fields if field.name in HEAD]

    @property
    def rest_fields(self):
        return [field for field in self.plain_fields if field.name not in HEAD]

    @property
    def custom_bound_fields(self):
        return [self[name] for name in self.fields if name.startswith("custom__")]

    def values(self) -> dict:
        """Return the service keyword arguments for the cleaned input."""
        data = self.cleaned_data
        values = {}
        for name in self.fields:
            if name.startswith("custom__") or name == "pipeline":
                continue
            value = data.get(name)
            values[name] = "" if value is None else value
        custom = {}
        for field in self.custom_fields:
            value = data.get(f"custom__{field.code}")
            if field.type == CustomField.Type.BOOL:
                value = {"": None, "1": True, "0": False}.get(value or "")
            custom[field.code] = value
        if custom:
            values["custom"] = custom
        return values


def custom_form_field(field: CustomField, users) -> forms.Field:
    """Return the form field for a custom field definition."""
    common = {"label": field.name, "required": False}
    if field.type == CustomField.Type.ENUM:
        choices = [(str(o["id"]), o["value"]) for o in field.options]
        if field.is_multiple:
            return forms.MultipleChoiceField(choices=choices, widget=forms.CheckboxSelectMultiple, **common)
        return forms.ChoiceField(choices=[("", "—"), *choices], **common)
    if field.type == CustomField.Type.BOOL:
        return forms.ChoiceField(choices=[("", "—"), ("1", _("Yes")), ("0", _("No"))], **common)
    if field.type == CustomField.Type.DATE:
        return forms.CharField(widget=forms.DateInput(attrs={"type": "date"}), **common)
    if field.type == CustomField.Type.USER:
        return forms.ChoiceField(choices=users or [], **common)
    if field.type == CustomField.Type.NUMBER:
        return forms.CharField(widget=forms.TextInput(attrs={"inputmode": "decimal"}), **common)
    return forms.CharField(**common)


def communications_from(data, name: str, labels: list) -> list[dict]:
    """Return [{"value", "label"}] from the repeated inputs `name` and `name_label`."""
    values = data.getlist(name)
    chosen = data.getlist(f"{name}_label")
    allowed = {str(label) for label in labels}
    rows = []
    for index, value in enumerate(values):
        label = chosen[index] if index < len(chosen) and chosen[index] in allowed else str(labels[0])
        rows.append({"value": value.strip(), "label": label})
    return [row for row in rows if row["value"]]
