"""Plain helpers with no models: errors, the event bus, phones, e-mails, money, text."""
