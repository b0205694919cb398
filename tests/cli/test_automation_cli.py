import json

import pytest
from django.core.management import CommandError, call_command

from voronka.automation.models import Robot
from voronka.automation.services.settings import create_robot

pytestmark = pytest.mark.django_db


def test_export_and_import_a_pipelines_automation_through_files(admin, lead_statuses, tmp_path):
    create_robot(
        stage=lead_statuses.stages.get(code="NEW"), actor=admin, kind="add_comment", params={"text": "hi"}
    )
    path = tmp_path / "leads.json"

    call_command("automation", "export", "lead", str(path))
    Robot.objects.all().delete()
    call_command("automation", "import", str(lead_statuses.pk), str(path))

    assert json.loads(path.read_text())["stages"]["NEW"]["robots"][0]["kind"] == "add_comment"
    assert Robot.objects.get().params == {"text": "hi"}


def test_a_bad_document_is_refused(lead_statuses, tmp_path):
    path = tmp_path / "bad.json"
    path.write_text('{"format": "other"}')
    with pytest.raises(CommandError, match=r"automation\.import_format"):
        call_command("automation", "import", "lead", str(path))
