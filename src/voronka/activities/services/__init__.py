"""Writes on activities, reminders, notifications and calendar feeds."""
