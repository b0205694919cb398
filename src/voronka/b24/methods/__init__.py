"""The Bitrix24 methods, one module per family; importing a module registers its methods."""

import importlib

MODULES = ("batch", "crm", "items", "reference", "activities", "service", "events", "extensions")


def load() -> None:
    """Import every method module (idempotent)."""
    for name in MODULES:
        importlib.import_module(f"voronka.b24.methods.{name}")
