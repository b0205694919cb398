"""Writes on the CRM: every rule of ARCHITECTURE.md, "Rules the services enforce", lives here."""
