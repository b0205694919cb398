"""Intake pages (channel settings, request logs, unrouted list, conversations).

A temporary adapter app until voronka.web lands; then these views move to web/views/intake.py.
"""
