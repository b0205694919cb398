"""Planned activities (call, SMS, e-mail, meeting, task) on CRM items, and their reminders."""
