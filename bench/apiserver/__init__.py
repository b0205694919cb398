"""The server bench/api.py measures: the real site plus two comparison views (bench only)."""
