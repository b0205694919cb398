"""Forms of the import wizard."""

from django import forms
from django.utils.translation import gettext_lazy as _

from voronka.accounts.selectors import active_users
from voronka.crm.selectors.pipelines import deal_pipelines
from voronka.imports.models import ImportJob

POLICIES = [
    ("skip", _("Skip the row (keep the existing item)")),
    ("merge", _("Merge into the existing item (fill its empty fields)")),
    ("create", _("Create a new item anyway")),
]


class UploadForm(forms.Form):
    entity = forms.ChoiceField(label=_("Import"), choices=ImportJob.Entity.choices)
    file = forms.FileField(label=_("File (CSV or XLSX)"))
    on_duplicate = forms.ChoiceField(label=_("When a row repeats an existing client"), choices=POLICIES)
    pipeline = forms.ModelChoiceField(
        label=_("Pipeline for deals that do not name one"), queryset=None, required=False
    )
    assign_to = forms.ModelChoiceField(
        label=_("Responsible for rows that do not name one"), queryset=None, required=False
    )
    encoding = forms.CharField(
        label=_("Encoding"),
        required=False,
        max_length=30,
        help_text=_("Empty: detect (UTF-8, Windows-1251, UTF-16...)"),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["pipeline"].queryset = deal_pipelines()
        self.fields["pipeline"].label_from_instance = lambda pipeline: pipeline.title
        self.fields["assign_to"].queryset = active_users()
        self.fields["assign_to"].label_from_instance = lambda user: user.display_name

    def clean_file(self):
        upload = self.cleaned_data["file"]
        name = upload.name.lower()
        if not name.endswith((".csv", ".txt", ".tsv", ".xlsx")):
            raise forms.ValidationError(_("Choose a .csv, .txt or .xlsx file."))
        return upload
