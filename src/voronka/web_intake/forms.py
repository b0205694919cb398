"""Forms of the intake pages: channel settings and the web form builder (parsing only; rules are in services)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from voronka.accounts.selectors import active_users
from voronka.crm.selectors.pipelines import deal_pipelines, sources
from voronka.intake.channels.forms import FIELD_TYPES, TARGETS
from voronka.intake.models import Channel


class ChannelForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200)
    is_active = forms.BooleanField(label=_("Active"), required=False)
    source = forms.ModelChoiceField(label=_("Source"), queryset=sources(), required=False)
    pipeline = forms.ModelChoiceField(
        label=_("Deal pipeline (simple mode)"), queryset=deal_pipelines(), required=False
    )
    rule = forms.ChoiceField(label=_("Responsible"), choices=Channel.Rule.choices)
    responsible = forms.ModelChoiceField(label=_("Fixed user"), queryset=active_users(), required=False)
    queue = forms.ModelMultipleChoiceField(
        label=_("Round-robin queue"),
        queryset=active_users(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    addresses = forms.CharField(
        label=_("Addresses (e-mail channels, one a line)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    imap_host = forms.CharField(label=_("IMAP server"), required=False)
    imap_port = forms.IntegerField(label=_("IMAP port"), required=False, initial=993)
    imap_username = forms.CharField(label=_("IMAP user"), required=False)
    imap_password = forms.CharField(
        label=_("IMAP password"),
        required=False,
        widget=forms.PasswordInput(render_value=False),
        help_text=_("Leave empty to keep the saved one."),
    )
    bot_token = forms.CharField(label=_("Telegram bot token"), required=False)
    reply_url = forms.URLField(label=_("Reply URL (chat webhook)"), required=False, assume_scheme="https")
    operators = forms.CharField(
        label=_("Extensions (telephony): “101=username” a line"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    callback_minutes = forms.IntegerField(
        label=_("Call back within, minutes"), required=False, min_value=1, max_value=1440
    )


class NewChannelForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=Channel.Kind.choices)
    name = forms.CharField(label=_("Name"), max_length=200)


TARGET_CHOICES = [(t, t) for t in TARGETS]


class FieldRowForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=50, required=False)
    label = forms.CharField(label=_("Label"), max_length=200, required=False)
    type = forms.ChoiceField(label=_("Type"), choices=[(t, t) for t in FIELD_TYPES])
    target = forms.CharField(label=_("Goes to"), max_length=60, required=False, help_text=_("or custom:CODE"))
    required = forms.BooleanField(label=_("Required"), required=False)
    options = forms.CharField(label=_("Options (a;b;c)"), required=False)


FieldRows = forms.formset_factory(FieldRowForm, extra=2, max_num=40)


class WebFormSettings(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200, required=False)
    consent_text = forms.CharField(
        label=_("Consent text"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    success_message = forms.CharField(label=_("Success message"), max_length=500, required=False)
    redirect_url = forms.URLField(label=_("Redirect after submitting"), required=False, assume_scheme="https")
    allowed_origins = forms.CharField(
        label=_("Allowed origins (one a line)"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    honeypot_field = forms.CharField(label=_("Honeypot field name"), max_length=50)
    attachments_allowed = forms.BooleanField(label=_("File attachments allowed"), required=False)
    max_attachment_size = forms.IntegerField(label=_("Max file size, bytes"), min_value=1)
    allowed_types = forms.CharField(label=_("Allowed types (comma-separated MIME types)"), required=False)
    max_attachments = forms.IntegerField(label=_("Max files"), min_value=0, max_value=20)
    rate_limit = forms.IntegerField(label=_("Posts per IP per minute"), min_value=1, max_value=10_000)


class ReplyForm(forms.Form):
    text = forms.CharField(label=_("Reply"), max_length=4096, widget=forms.Textarea(attrs={"rows": 3}))
