"""The filter form of boards and lists: turns a query string into a crm ItemFilter."""

import datetime as dt

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from voronka.accounts.selectors import active_users, departments
from voronka.crm.models import CustomField, Stage
from voronka.crm.selectors.lists import ItemFilter
from voronka.crm.selectors.pipelines import deal_pipelines, lead_pipeline, sources

DATE = forms.DateInput(attrs={"type": "date"})
STATE_CHOICES = [("", _("Any")), ("open", _("In progress")), ("won", _("Won")), ("lost", _("Lost"))]


def _day_start(day: dt.date | None) -> dt.datetime | None:
    if day is None:
        return None
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def _day_after(day: dt.date | None) -> dt.datetime | None:
    start = _day_start(day)
    return start + dt.timedelta(days=1) if start else None


class FilterForm(forms.Form):
    """Filters shared by boards and lists; a list of the deal kind also picks the pipeline."""

    q = forms.CharField(label=_("Search"), required=False)
    stage = forms.TypedMultipleChoiceField(label=_("Stage"), required=False, coerce=int)
    pipeline = forms.TypedChoiceField(label=_("Pipeline"), required=False, coerce=int, empty_value=None)
    state = forms.ChoiceField(label=_("State"), required=False, choices=STATE_CHOICES)
    responsible = forms.TypedMultipleChoiceField(label=_("Responsible"), required=False, coerce=int)
    department = forms.TypedMultipleChoiceField(label=_("Department"), required=False, coerce=int)
    source = forms.TypedMultipleChoiceField(label=_("Source"), required=False, coerce=int)
    created_from = forms.DateField(widget=DATE, label=_("Created from"), required=False)
    created_to = forms.DateField(widget=DATE, label=_("Created to"), required=False)
    closed_from = forms.DateField(widget=DATE, label=_("Closed from"), required=False)
    closed_to = forms.DateField(widget=DATE, label=_("Closed to"), required=False)
    amount_min = forms.DecimalField(label=_("Amount from"), required=False, decimal_places=2)
    amount_max = forms.DecimalField(label=_("Amount to"), required=False, decimal_places=2)

    def __init__(self, data, *, kind: str, pipeline=None, **kwargs):
        super().__init__(data, **kwargs)
        self.kind = kind
        users = [(u.pk, u.display_name) for u in active_users()]
        self.fields["responsible"].choices = users
        self.fields["department"].choices = [(d.pk, d.name) for d in departments()]
        self.fields["source"].choices = [(s.pk, s.title) for s in sources(active_only=False)]
        if kind in ("lead", "deal"):
            stages = (
                Stage.objects.filter(pipeline=pipeline)
                if pipeline is not None
                else Stage.objects.filter(pipeline=lead_pipeline())
                if kind == "lead"
                else Stage.objects.filter(pipeline__kind="deal").select_related("pipeline")
            ).order_by("pipeline__sort", "pipeline_id", "sort", "pk")
            self.fields["stage"].choices = [
                (
                    s.pk,
                    s.title if pipeline is not None or kind == "lead" else f"{s.pipeline.title}: {s.title}",
                )
                for s in stages
            ]
        else:
            for name in ("stage", "state", "closed_from", "closed_to", "amount_min", "amount_max"):
                del self.fields[name]
        if kind == "deal" and pipeline is None:
            self.fields["pipeline"].choices = [("", _("All pipelines"))] + [
                (p.pk, p.title) for p in deal_pipelines()
            ]
        else:
            del self.fields["pipeline"]
        self.custom_fields = [
            f for f in CustomField.objects.filter(entity=kind).order_by("sort", "pk") if f.type != "user"
        ]
        for field in self.custom_fields:
            self.fields[f"cf_{field.code}"] = _custom_filter_field(field)

    @property
    def main_fields(self):
        return [
            self[name] for name in ("q", "pipeline", "stage", "state", "responsible") if name in self.fields
        ]

    @property
    def more_fields(self):
        shown = {"q", "pipeline", "stage", "state", "responsible"}
        return [self[name] for name in self.fields if name not in shown]

    @property
    def is_active(self) -> bool:
        return self.is_valid() and any(value not in (None, "", []) for value in self.cleaned_data.values())

    def spec(self) -> ItemFilter:
        """Return the crm filter for the valid part of the input."""
        data = self.cleaned_data if self.is_valid() else {}
        custom = {}
        for field in self.custom_fields:
            value = data.get(f"cf_{field.code}")
            if value not in (None, ""):
                custom[field.code] = _custom_value(field, value)
        return ItemFilter(
            q=data.get("q") or "",
            stage_ids=list(data.get("stage") or []),
            pipeline_id=data.get("pipeline"),
            semantics=data.get("state") or None,
            assigned_to_ids=list(data.get("responsible") or []),
            department_ids=list(data.get("department") or []),
            source_ids=list(data.get("source") or []),
            created_from=_day_start(data.get("created_from")),
            created_to=_day_after(data.get("created_to")),
            closed_from=_day_start(data.get("closed_from")),
            closed_to=_day_after(data.get("closed_to")),
            amount_min=data.get("amount_min"),
            amount_max=data.get("amount_max"),
            custom=custom,
        )


def _custom_filter_field(field: CustomField) -> forms.Field:
    if field.type == CustomField.Type.ENUM:
        choices = [("", _("Any"))] + [(str(o["id"]), o["value"]) for o in field.options]
        return forms.ChoiceField(label=field.name, required=False, choices=choices)
    if field.type == CustomField.Type.BOOL:
        choices = [("", _("Any")), ("1", _("Yes")), ("0", _("No"))]
        return forms.ChoiceField(label=field.name, required=False, choices=choices)
    if field.type == CustomField.Type.DATE:
        return forms.DateField(label=field.name, required=False, widget=DATE)
    return forms.CharField(label=field.name, required=False)


def _custom_value(field: CustomField, value):
    if field.type == CustomField.Type.ENUM:
        return int(value)
    if field.type == CustomField.Type.BOOL:
        return value == "1"
    if field.type == CustomField.Type.DATE:
        return value.isoformat()
    if field.type == CustomField.Type.NUMBER:
        try:
            number = float(str(value).replace(",", "."))
        except ValueError:
            return value
        return int(number) if number.is_integer() else number
    return value
