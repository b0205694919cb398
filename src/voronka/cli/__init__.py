"""The `voronka` command: the project's management commands under one name.

`voronka demo`, `voronka worker`, `voronka migrate`, ...; `voronka help` lists them.
The commands themselves live in `voronka/cli/management/commands/` (the adapter layer:
each parses arguments, calls selectors and services, and prints).
"""

import os
import sys


def main(argv: list[str] | None = None) -> None:
    """Run a management command with the project's settings."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "voronka.settings")
    from django.core.management import execute_from_command_line

    args = list(sys.argv if argv is None else argv)
    args[0] = "voronka"
    execute_from_command_line(args)
