"""Outbound webhooks: signed deliveries of domain events to subscribers ' URLs."""
