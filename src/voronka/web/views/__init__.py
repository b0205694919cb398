"""Views of the web UI, one module per area; each parses input, calls selectors and services, renders."""
