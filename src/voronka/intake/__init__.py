"""Intake channels: web forms, inbound e-mail, telephony and chat webhooks -> one routing pipeline."""
