"""Writes on messages and templates: composing, delivering, tracking."""
