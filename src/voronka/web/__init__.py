"""The web UI: server-rendered pages with htmx (boards, lists, item cards, settings)."""
