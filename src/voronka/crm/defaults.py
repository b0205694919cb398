"""The built-in statuses, stages and sources, with Bitrix24's codes.

Names are English message ids (translated when shown; see TranslatableName); the data
migration and new pipelines read them from here.
"""

from django.utils.translation import gettext_noop, pgettext_lazy

LEAD_STATUS_CONTEXT = "lead status"

LEAD_PIPELINE = gettext_noop("Leads")
GENERAL_PIPELINE = gettext_noop("General")

# (code, name, semantics, colour)
LEAD_STATUSES = [
    ("NEW", gettext_noop("New"), "open", "#39A8EF"),
    ("IN_PROCESS", gettext_noop("In progress"), "open", "#2FC6F6"),
    ("PROCESSED", gettext_noop("Processed"), "open", "#55D0E0"),
    ("CONVERTED", gettext_noop("Converted"), "won", "#7BD500"),
    ("JUNK", gettext_noop("Junk"), "lost", "#FF5752"),
]

DEAL_STAGES = [
    ("NEW", gettext_noop("New"), "open", "#39A8EF"),
    ("PREPARATION", gettext_noop("Preparing documents"), "open", "#2FC6F6"),
    ("PREPAYMENT_INVOICE", gettext_noop("Prepayment invoice"), "open", "#55D0E0"),
    ("EXECUTING", gettext_noop("In progress"), "open", "#47E4C2"),
    ("FINAL_INVOICE", gettext_noop("Final invoice"), "open", "#FFA900"),
    ("WON", gettext_noop("Won"), "won", "#7BD500"),
    ("LOSE", gettext_noop("Lost"), "lost", "#FF5752"),
    ("APOLOGY", gettext_noop("Analyse the failure"), "lost", "#FF8B8B"),
]

SOURCES = [
    ("CALL", gettext_noop("Call")),
    ("EMAIL", gettext_noop("E-mail")),
    ("WEB", gettext_noop("Web site")),
    ("WEBFORM", gettext_noop("Web form")),
    ("CALLBACK", gettext_noop("Callback")),
    ("CHAT", gettext_noop("Chat")),
    ("ADVERTISING", gettext_noop("Advertising")),
    ("PARTNER", gettext_noop("Partner")),
    ("RECOMMENDATION", gettext_noop("Recommendation")),
    ("TRADE_SHOW", gettext_noop("Trade show")),
    ("IMPORT", gettext_noop("Import")),
    ("OTHER", gettext_noop("Other")),
]


def _lead_status_messages() -> None:  # never called: lets makemessages find the lead status names
    pgettext_lazy("lead status", "New")
    pgettext_lazy("lead status", "In progress")
    pgettext_lazy("lead status", "Processed")
    pgettext_lazy("lead status", "Converted")
    pgettext_lazy("lead status", "Junk")


def create_defaults(apps=None) -> None:
    """Create the lead pipeline, the General deal pipeline, the sources and the settings row."""
    from django.apps import apps as global_apps

    registry = apps or global_apps
    Pipeline = registry.get_model("crm", "Pipeline")
    Stage = registry.get_model("crm", "Stage")
    Source = registry.get_model("crm", "Source")
    CrmSettings = registry.get_model("crm", "CrmSettings")
    for kind, name, stages in (
        ("lead", LEAD_PIPELINE, LEAD_STATUSES),
        ("deal", GENERAL_PIPELINE, DEAL_STAGES),
    ):
        pipeline, created = Pipeline.objects.get_or_create(
            kind=kind, is_default=True, defaults={"name": name, "is_system_name": True, "sort": 10}
        )
        if created:
            Stage.objects.bulk_create(
                Stage(
                    pipeline=pipeline,
                    code=code,
                    name=title,
                    is_system_name=True,
                    sort=(i + 1) * 10,
                    semantics=semantics,
                    color=color,
                    name_context=LEAD_STATUS_CONTEXT if kind == "lead" else "",
                )
                for i, (code, title, semantics, color) in enumerate(stages)
            )
    for i, (code, name) in enumerate(SOURCES):
        Source.objects.get_or_create(
            code=code, defaults={"name": name, "is_system_name": True, "sort": (i + 1) * 10}
        )
    CrmSettings.objects.get_or_create(pk=1)
