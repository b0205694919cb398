"""Writes of the intake app: channels, stored requests, routing, and each channel's own rows."""
