"""Reads on the CRM: permission-scoped querysets and single-object look-ups."""
