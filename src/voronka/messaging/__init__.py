"""Outbound e-mail (SMTP, templates, open and click tracking) and SMS backends."""
