"""Voronka: an open-source, self-hosted CRM for sales teams."""

__version__ = "0.1.0"
