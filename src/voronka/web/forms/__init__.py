"""Forms of the web UI, one module per area; they shape input, the services judge it."""
