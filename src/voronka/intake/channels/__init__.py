"""Channel adapters: parse what a channel delivers into a request payload (no writes)."""
