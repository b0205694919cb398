"""Forms of the activity and message pages: they parse input; the services hold the rules."""

from django import forms
from django.utils.translation import gettext_lazy as _

from voronka.accounts.selectors import active_users
from voronka.activities.models import Activity


class PlanForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=Activity.Kind.choices, initial=Activity.Kind.CALL)
    subject = forms.CharField(label=_("Subject"), max_length=255, required=False)
    deadline = forms.DateTimeField(
        label=_("When"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
        input_formats=["%Y-%m-%dT%H:%M"],
    )
    duration = forms.IntegerField(
        label=_("Duration, min"), min_value=0, max_value=7 * 24 * 60, required=False
    )
    remind_before = forms.IntegerField(
        label=_("Remind, min before"), min_value=0, max_value=43200, required=False
    )
    assigned_to = forms.ModelChoiceField(label=_("Responsible"), queryset=active_users(), required=False)
    description = forms.CharField(
        label=_("Description"), widget=forms.Textarea(attrs={"rows": 2}), required=False
    )


class CompleteForm(forms.Form):
    result = forms.CharField(label=_("Result"), widget=forms.Textarea(attrs={"rows": 2}), required=False)


class RescheduleForm(forms.Form):
    deadline = forms.DateTimeField(
        label=_("New time"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
        input_formats=["%Y-%m-%dT%H:%M"],
    )
    reason = forms.CharField(label=_("Why"), max_length=500, required=False)


class EmailForm(forms.Form):
    to = forms.ChoiceField(label=_("To"))
    template = forms.ChoiceField(label=_("Template"), required=False)
    subject = forms.CharField(label=_("Subject"), max_length=255, required=False)
    body = forms.CharField(label=_("Message"), widget=forms.Textarea(attrs={"rows": 8}), required=False)

    def __init__(self, *args, addresses, templates, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["to"].choices = [(a.value, f"{a.value} ({a.owner})") for a in addresses]
        self.fields["template"].choices = [("", "—")] + [(str(t.pk), t.name) for t in templates]


class SmsForm(forms.Form):
    to = forms.ChoiceField(label=_("To"))
    template = forms.ChoiceField(label=_("Template"), required=False)
    text = forms.CharField(label=_("Text"), widget=forms.Textarea(attrs={"rows": 4}), required=False)

    def __init__(self, *args, addresses, templates, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["to"].choices = [(a.value, f"{a.value} ({a.owner})") for a in addresses]
        self.fields["template"].choices = [("", "—")] + [(str(t.pk), t.name) for t in templates]
