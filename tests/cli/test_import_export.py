import io

import pytest
from django.core.management import CommandError, call_command

from voronka.crm.models import Lead

from ..imports.conftest import BITRIX_HEADERS, BITRIX_ROWS, write_csv

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def imports_dir(settings, tmp_path):
    """Error reports and uploads of the test go to its own folder."""
    settings.IMPORTS_DIR = tmp_path / "imports"
    return settings.IMPORTS_DIR


@pytest.fixture
def bitrix_file(tmp_path):
    return write_csv(tmp_path / "LEAD.csv", [BITRIX_HEADERS, *BITRIX_ROWS], encoding="cp1251", delimiter=";")


def test_import_prints_the_mapping_progress_and_summary_and_exits_2_on_failed_rows(
    bitrix_file, tmp_path, admin
):
    out = io.StringIO()
    errors = tmp_path / "errors.csv"

    with pytest.raises(SystemExit) as exit_code:
        call_command(
            "import", "leads", str(bitrix_file), "--errors", str(errors), "--user", "admin", stdout=out
        )

    assert exit_code.value.code == 2
    assert Lead.objects.count() == 3
    assert errors.exists()


def test_dry_run_writes_nothing(bitrix_file, admin):
    with pytest.raises(SystemExit):
        call_command("import", "leads", str(bitrix_file), "--dry-run")

    assert not Lead.objects.exists()


def test_import_of_a_clean_file_exits_0_and_a_repeat_is_refused(tmp_path, admin, lead_statuses):
    path = write_csv(
        tmp_path / "ok.csv",
        [["Имя", "Телефон"], ["Анна", "+7 495 109 63 75"]],
        encoding="utf-8",
        delimiter=",",
    )

    call_command("import", "leads", str(path), "--assign-to", "admin")
    with pytest.raises(CommandError, match="imported already"):
        call_command("import", "leads", str(path), "--assign-to", "admin")

    assert Lead.objects.get().assigned_to == admin


def test_unknown_user_or_pipeline_is_a_command_error(bitrix_file, admin):
    with pytest.raises(CommandError):
        call_command("import", "leads", str(bitrix_file), "--assign-to", "nobody")
    with pytest.raises(CommandError):
        call_command("import", "deals", str(bitrix_file), "--pipeline", "Nowhere")


def test_export_writes_csv_and_xlsx(tmp_path, admin, lead_statuses):
    from voronka.crm.services.leads import create_lead

    create_lead(actor=admin, title="Экспорт", phones=["+7 495 109 63 75"])
    csv_path, xlsx_path = tmp_path / "leads.csv", tmp_path / "leads.xlsx"

    call_command("export", "leads", "-o", str(csv_path), "--user", "admin", stdout=io.StringIO())
    call_command("export", "leads", "-o", str(xlsx_path), "--closed", "no", stdout=io.StringIO())

    assert csv_path.read_bytes().startswith(b"\xef\xbb\xbfID,")
    assert "Экспорт" in csv_path.read_text(encoding="utf-8-sig")
    assert xlsx_path.read_bytes().startswith(b"PK")
