"""Views for activities, messages, tracking and the calendar feed (adapters over the services)."""
