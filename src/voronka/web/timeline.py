"""How timeline entries read on an item card (one query for every stage they name)."""

from django.utils.translation import gettext as _

from voronka.crm.models import Stage, TimelineEntry

Kind = TimelineEntry.Kind
ICONS = {
    Kind.CREATED: "+",
    Kind.COMMENT: "✎",
    Kind.FIELDS_CHANGED: "≡",
    Kind.STAGE_CHANGED: "→",
    Kind.REOPENED: "↺",
    Kind.CONVERTED: "⇒",
    Kind.CREATED_FROM_LEAD: "⇐",
    Kind.REQUEST: "✉",
    Kind.MERGED: "⧉",
    Kind.RESTORED: "↺",
    Kind.ACTIVITY: "◷",
    Kind.MESSAGE: "✉",
    Kind.CALL: "☎",
    Kind.CHAT: "…",
    Kind.ROBOT: "⚙",
    Kind.IMPORT: "⇪",
}


def describe(entries: list[TimelineEntry], field_names: dict[str, str]) -> list[dict]:
    """Return the entries with an icon, a headline and a text to show."""
    stage_ids = {
        entry.data.get(key)
        for entry in entries
        for key in ("from_id", "to_id")
        if entry.kind in (Kind.STAGE_CHANGED, Kind.REOPENED) and entry.data.get(key)
    }
    titles = {stage.pk: stage.title for stage in Stage.objects.filter(pk__in=stage_ids)} if stage_ids else {}
    return [
        {"entry": entry, "icon": ICONS.get(entry.kind, "•"), "text": _text(entry, titles, field_names)}
        for entry in entries
    ]


def _text(entry: TimelineEntry, titles: dict[int, str], field_names: dict[str, str]) -> str:
    data = entry.data or {}
    if entry.kind in (Kind.STAGE_CHANGED, Kind.REOPENED):
        source = titles.get(data.get("from_id"), data.get("from", ""))
        target = titles.get(data.get("to_id"), data.get("to", ""))
        text = f"{source} → {target}"
        if data.get("reason"):
            text += "\n" + _("Reason: %(reason)s") % {"reason": data["reason"]}
        return text
    if entry.kind == Kind.FIELDS_CHANGED:
        names = [str(field_names.get(name, name)) for name in (data.get("changes") or {})]
        return ", ".join(names)
    if entry.kind == Kind.MERGED:
        return ", ".join(item.get("value", "") for item in data.get("added", []))
    if entry.kind == Kind.ACTIVITY:
        parts = [data.get("subject", ""), data.get("result", "")]
        return " — ".join(part for part in parts if part) or entry.text
    if entry.kind == Kind.MESSAGE:
        head = f"{data.get('channel', '')} → {data.get('to', '')}".strip(" →")
        return "\n".join(part for part in (head, data.get("subject", ""), entry.text) if part)
    if entry.kind == Kind.CREATED_FROM_LEAD:
        return data.get("lead_title", "")
    return entry.text
