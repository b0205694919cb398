"""Outbound webhooks: domain events POSTed, signed, to the URLs administrators subscribe."""
