"""The JSON REST API v1 (django-ninja): an adapter over the services and selectors of the core."""
