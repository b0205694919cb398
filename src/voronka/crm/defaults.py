"""The built-in statuses, stages and sources, with Bitrix24's codes.

Names are English message ids (translated when shown; see TranslatableName); the data
migration and new pipelines read them from here.
"""

from django.utils.translation import gettext_noop as N_

LEAD_PIPELINE = N_("Leads")
GENERAL_PIPELINE = N_("General")

# (code, name, semantics, colour)
LEAD_STATUSES = [
    ("NEW", N_("New"), "open", "#39A8EF"),
    ("IN_PROCESS", N_("In progress"), "open", "#2FC6F6"),
    ("PROCESSED", N_("Processed"), "open", "#55D0E0"),
    ("CONVERTED", N_("Converted"), "won", "#7BD500"),
    ("JUNK", N_("Junk"), "lost", "#FF5752"),
]

DEAL_STAGES = [
    ("NEW", N_("New"), "open", "#39A8EF"),
    ("PREPARATION", N_("Preparing documents"), "open", "#2FC6F6"),
    ("PREPAYMENT_INVOICE", N_("Prepayment invoice"), "open", "#55D0E0"),
    ("EXECUTING", N_("In progress"), "open", "#47E4C2"),
    ("FINAL_INVOICE", N_("Final invoice"), "open", "#FFA900"),
    ("WON", N_("Won"), "won", "#7BD500"),
    ("LOSE", N_("Lost"), "lost", "#FF5752"),
    ("APOLOGY", N_("Analyse the failure"), "lost", "#FF8B8B"),
]

SOURCES = [
    ("CALL", N_("Call")),
    ("EMAIL", N_("E-mail")),
    ("WEB", N_("Web site")),
    ("WEBFORM", N_("Web form")),
    ("CALLBACK", N_("Callback")),
    ("CHAT", N_("Chat")),
    ("ADVERTISING", N_("Advertising")),
    ("PARTNER", N_("Partner")),
    ("RECOMMENDATION", N_("Recommendation")),
    ("TRADE_SHOW", N_("Trade show")),
    ("IMPORT", N_("Import")),
    ("OTHER", N_("Other")),
]


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
                )
                for i, (code, title, semantics, color) in enumerate(stages)
            )
    for i, (code, name) in enumerate(SOURCES):
        Source.objects.get_or_create(
            code=code, defaults={"name": name, "is_system_name": True, "sort": (i + 1) * 10}
        )
    CrmSettings.objects.get_or_create(pk=1)
