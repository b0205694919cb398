"""Forms of the automation editors: they collect raw values; the automation services validate them."""

from django import forms
from django.utils.translation import gettext_lazy as _

from voronka.accounts.selectors import active_users
from voronka.activities.models import Activity
from voronka.automation.conditions import OPERATORS
from voronka.automation.models import Robot, Trigger
from voronka.automation.services.settings import date_fields
from voronka.crm.services import items as item_services
from voronka.messaging.models import Channel, Template

# The settings each robot kind shows, in order (the names of its params).
ROBOT_PARAMS = {
    "send_email": ("template_id", "subject", "body"),
    "send_sms": ("template_id", "text"),
    "create_activity": ("activity_kind", "subject", "description", "deadline_minutes", "responsible"),
    "change_stage": ("stage_code",),
    "change_responsible": ("user_ids", "department_id", "mode"),
    "add_comment": ("text",),
    "set_field": ("field", "value"),
    "call_webhook": ("url", "secret"),
    "convert_lead": ("with_deal",),
    "notify": ("user", "text"),
}
TRIGGER_PARAMS = {
    "form_submitted": ("form_id",),
    "link_clicked": ("url_contains",),
    "activity_completed": ("activity_kind",),
    "call_received": ("status",),
}


def _users(with_responsible: bool = True):
    choices = [("responsible", _("The item's responsible"))] if with_responsible else []
    return choices + [(str(user.pk), user.display_name) for user in active_users()]


def _param_field(name: str, stage, channel: str | None = None) -> forms.Field:
    if name == "template_id":
        templates = Template.objects.filter(channel=channel or Channel.EMAIL, is_active=True)
        return forms.ChoiceField(
            label=_("Template"),
            required=False,
            choices=[("", _("— type the text below —"))] + [(str(t.pk), t.name) for t in templates],
        )
    if name == "subject":
        return forms.CharField(label=_("Subject"), required=False, max_length=255)
    if name in ("body", "text", "description"):
        labels = {"body": _("Text"), "text": _("Text"), "description": _("Description")}
        return forms.CharField(label=labels[name], required=False, widget=forms.Textarea(attrs={"rows": 3}))
    if name == "activity_kind":
        return forms.ChoiceField(label=_("Activity"), choices=Activity.Kind.choices, required=False)
    if name == "deadline_minutes":
        return forms.IntegerField(
            label=_("Deadline, minutes after the robot runs"), initial=60, required=False
        )
    if name in ("responsible", "user"):
        return forms.ChoiceField(label=_("For"), choices=_users())
    if name == "stage_code":
        return forms.ChoiceField(
            label=_("Stage"),
            choices=[(s.code, s.title) for s in stage.pipeline.stages.order_by("sort", "pk")],
        )
    if name == "user_ids":
        return forms.MultipleChoiceField(
            label=_("Users"), choices=_users(with_responsible=False), required=False
        )
    if name == "department_id":
        from voronka.accounts.models import Department

        return forms.ChoiceField(
            label=_("or everybody in the department"),
            required=False,
            choices=[("", "—")] + [(str(d.pk), d.name) for d in Department.objects.order_by("name")],
        )
    if name == "mode":
        return forms.ChoiceField(
            label=_("Pick"), choices=[("first", _("the first one at work")), ("round_robin", _("in turn"))]
        )
    if name == "field":
        names = sorted(item_services.FIELDS[stage.pipeline.kind])
        return forms.ChoiceField(label=_("Field"), choices=[(n, n) for n in names])
    if name == "value":
        return forms.CharField(label=_("Value"), required=False)
    if name == "url":
        return forms.URLField(label=_("URL"), assume_scheme="https")
    if name == "secret":
        return forms.CharField(label=_("Signing secret (empty: generated)"), required=False)
    if name == "with_deal":
        return forms.BooleanField(label=_("Create a deal"), required=False, initial=True)
    raise KeyError(name)


def condition_text(condition: dict | None) -> str:
    """Return a condition as the editor shows it: one "field op value" rule per line."""
    return "\n".join(
        f"{rule['field']} {rule['op']} {rule.get('value', '')}".rstrip()
        for rule in (condition or {}).get("rules", [])
    )


def parse_condition(text: str, join: str) -> dict:
    """Read the editor's lines back into a condition (the service validates names and operators)."""
    rules = []
    for line in (text or "").splitlines():
        parts = line.strip().split(None, 2)
        if not parts:
            continue
        field, op, value = ([*parts, "", ""])[:3]
        rules.append({"field": field, "op": op or "=", "value": value})
    return {"join": join or "and", "rules": rules}


class ConditionMixin(forms.Form):
    join = forms.ChoiceField(
        label=_("Rules joined by"), choices=[("and", _("AND")), ("or", _("OR"))], initial="and"
    )
    condition = forms.CharField(
        label=_("Condition"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2, "placeholder": "amount > 100000\nsource = WEB"}),
        help_text=_("One rule a line: field, operator, value. Operators: %(ops)s.")
        % {"ops": " ".join(OPERATORS)},
    )


class RobotForm(ConditionMixin):
    kind = forms.ChoiceField(label=_("Robot"), choices=Robot.Kind.choices)
    name = forms.CharField(label=_("Name"), required=False, max_length=200)
    timing = forms.ChoiceField(label=_("Run"), choices=Robot.Timing.choices)
    delay = forms.IntegerField(label=_("Delay"), required=False, initial=0)
    delay_unit = forms.ChoiceField(label=_("Unit"), choices=Robot.Unit.choices)
    in_working_hours = forms.BooleanField(label=_("Count working hours only"), required=False)
    date_field = forms.ChoiceField(label=_("Date field"), required=False)
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True)

    field_order = ["kind", "name"]

    def __init__(self, *args, stage, kind: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.stage = stage
        self.fields["date_field"].choices = [("", "—")] + [(n, n) for n in date_fields(stage)]
        channel = Channel.SMS if kind == "send_sms" else Channel.EMAIL
        for name in ROBOT_PARAMS.get(kind, ()):
            self.fields[f"p_{name}"] = _param_field(name, stage, channel)

    def service_values(self) -> dict:
        data = self.cleaned_data
        params = {
            name[2:]: value
            for name, value in data.items()
            if name.startswith("p_") and value not in (None, "")
        }
        return {
            "kind": data["kind"],
            "name": data["name"],
            "params": params,
            "timing": data["timing"],
            "delay": data.get("delay") or 0,
            "delay_unit": data["delay_unit"],
            "in_working_hours": data["in_working_hours"],
            "date_field": data.get("date_field") or "",
            "is_active": data["is_active"],
            "condition": parse_condition(data.get("condition", ""), data.get("join", "and")),
        }


def robot_initial(robot: Robot) -> dict:
    initial = {
        name: getattr(robot, name)
        for name in (
            "kind",
            "name",
            "timing",
            "delay",
            "delay_unit",
            "in_working_hours",
            "date_field",
            "is_active",
        )
    }
    initial.update({f"p_{name}": value for name, value in (robot.params or {}).items()})
    initial["condition"] = condition_text(robot.condition)
    initial["join"] = (robot.condition or {}).get("join", "and")
    return initial


class TriggerForm(ConditionMixin):
    kind = forms.ChoiceField(label=_("Trigger"), choices=Trigger.Kind.choices)
    name = forms.CharField(label=_("Name"), required=False, max_length=200)
    allow_backward = forms.BooleanField(label=_("May move the item back"), required=False)
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True)

    field_order = ["kind", "name"]

    def __init__(self, *args, stage, kind: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.stage = stage
        if kind == "form_submitted":
            from voronka.intake.models import WebForm

            forms_ = WebForm.objects.select_related("channel").order_by("pk")
            self.fields["p_form_id"] = forms.ChoiceField(
                label=_("Form"),
                required=False,
                choices=[("", _("any form"))] + [(str(f.pk), str(f.channel)) for f in forms_],
            )
        elif kind == "link_clicked":
            self.fields["p_url_contains"] = forms.CharField(label=_("Link contains"), required=False)
        elif kind == "activity_completed":
            self.fields["p_activity_kind"] = forms.ChoiceField(
                label=_("Activity"), required=False, choices=[("", _("any")), *list(Activity.Kind.choices)]
            )
        elif kind == "call_received":
            self.fields["p_status"] = forms.ChoiceField(
                label=_("Calls"),
                required=False,
                choices=[("", _("any")), ("answered", _("answered")), ("missed", _("missed"))],
            )

    def service_values(self) -> dict:
        data = self.cleaned_data
        params = {
            name[2:]: value
            for name, value in data.items()
            if name.startswith("p_") and value not in (None, "")
        }
        return {
            "kind": data["kind"],
            "name": data["name"],
            "params": params,
            "allow_backward": data["allow_backward"],
            "is_active": data["is_active"],
            "condition": parse_condition(data.get("condition", ""), data.get("join", "and")),
        }


def trigger_initial(trigger: Trigger) -> dict:
    initial = {name: getattr(trigger, name) for name in ("kind", "name", "allow_backward", "is_active")}
    initial.update({f"p_{name}": value for name, value in (trigger.params or {}).items()})
    initial["condition"] = condition_text(trigger.condition)
    initial["join"] = (trigger.condition or {}).get("join", "and")
    return initial
