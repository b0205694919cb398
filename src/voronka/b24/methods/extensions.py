"""Registered Bitrix24 methods."""
