"""Fixtures of the import pages."""

import pytest


@pytest.fixture(autouse=True)
def imports_dir(settings, tmp_path):
    """Error reports and uploads of the test go to its own folder."""
    settings.IMPORTS_DIR = tmp_path / "imports"
    return settings.IMPORTS_DIR
