"""voronka automation export|import PIPELINE FILE: a pipeline's robots and triggers as JSON.

PIPELINE is a pipeline id or "lead" (the lead statuses). The document names stages by code, so
it can be imported into another installation whose pipeline has the same stage codes.
"""

import json
import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from voronka.accounts.services import system_user
from voronka.automation.services.transfer import export_pipeline, import_pipeline
from voronka.crm.selectors.pipelines import get_pipeline, lead_pipeline
from voronka.lib.errors import DomainError


class Command(BaseCommand):
    help = "Export or import the automation (robots and triggers) of a pipeline as JSON."

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["export", "import"])
        parser.add_argument("pipeline", help='a pipeline id, or "lead" for the lead statuses')
        parser.add_argument("file", help='the JSON file ("-" for standard output or input)')
        parser.add_argument(
            "--keep", action="store_true", help="import: add to the existing robots and triggers"
        )

    def handle(self, *args, action, pipeline, file, keep, **options):
        try:
            target = lead_pipeline() if pipeline == "lead" else get_pipeline(int(pipeline))
        except (ValueError, DomainError) as error:
            raise CommandError(f"unknown pipeline {pipeline!r}: {error}") from None
        if action == "export":
            text = json.dumps(export_pipeline(target), ensure_ascii=False, indent=2)
            if file == "-":
                self.stdout.write(text)
            else:
                Path(file).write_text(text + "\n", encoding="utf-8")
            return
        try:
            raw = sys.stdin.read() if file == "-" else Path(file).read_text(encoding="utf-8")
            document = json.loads(raw)
        except (OSError, ValueError) as error:
            raise CommandError(f"cannot read {file}: {error}") from None
        try:
            counts = import_pipeline(target, document, actor=system_user(), replace=not keep)
        except DomainError as error:
            raise CommandError(f"{error.code}: {error.message} {error.details or ''}".strip()) from None
        self.stdout.write(f"imported {counts['robots']} robots and {counts['triggers']} triggers")
