"""The SQLite connection settings: reads map the file (mmap_size), configurable by SQLITE_MMAP_SIZE."""

import os
import subprocess
import sys

import pytest

PROBE = """
import django
django.setup()
from django.db import connection
with connection.cursor() as cursor:
    cursor.execute("PRAGMA mmap_size")
    print(cursor.fetchone()[0])
"""


def _probe(tmp_path, **env):
    environment = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "voronka.settings",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'probe.sqlite3'}",
        **env,
    }
    return subprocess.run(  # noqa: S603 - this interpreter, a fixed script
        [sys.executable, "-c", PROBE], env=environment, capture_output=True, text=True
    )


def test_reads_map_the_file_by_default(tmp_path):
    result = _probe(tmp_path)
    assert result.returncode == 0, result.stderr
    assert int(result.stdout) > 0  # the build's cap (2 GiB by default) or the asked size, whichever is less


def test_the_size_is_configurable_and_zero_turns_it_off(tmp_path):
    assert _probe(tmp_path, SQLITE_MMAP_SIZE="0").stdout.strip() == "0"
    assert _probe(tmp_path, SQLITE_MMAP_SIZE="65536").stdout.strip() == "65536"


@pytest.mark.parametrize("value", ["lots", "1.5"])
def test_a_size_that_is_not_a_whole_number_is_refused_by_name(tmp_path, value):
    result = _probe(tmp_path, SQLITE_MMAP_SIZE=value)
    assert result.returncode != 0
    assert "SQLITE_MMAP_SIZE must be a whole number" in result.stderr
