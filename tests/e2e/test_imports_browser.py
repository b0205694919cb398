"""Browser test: the import wizard — upload a Bitrix24 export, check it, import it, get the error report."""

from pathlib import Path

import pytest

from tests.imports.conftest import BITRIX_HEADERS, BITRIX_ROWS, write_csv
from voronka.accounts.services import create_user
from voronka.crm.models import Lead

ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts"

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_upload_check_and_import_a_bitrix24_export(live_server, browser, settings, tmp_path):
    # given: an administrator and a Bitrix24 lead export in Windows-1251
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    settings.IMPORTS_DIR = tmp_path / "imports"
    create_user(
        username="boss",
        password="demo12345-pass",
        first_name="Olga",
        last_name="Boss",
        role="administrator",
        is_superuser=True,
    )
    export = write_csv(
        tmp_path / "LEAD_2024.csv", [BITRIX_HEADERS, *BITRIX_ROWS], encoding="cp1251", delimiter=";"
    )
    page = browser.new_page(locale="en-US", timezone_id="Europe/Moscow")
    page.goto(f"{live_server.url}/accounts/login/?next=/imports/new/")
    page.fill("input[name=username]", "boss")
    page.fill("input[name=password]", "demo12345-pass")
    page.click("button[type=submit]")
    page.wait_for_url("**/imports/new/")
    ARTIFACTS.mkdir(exist_ok=True)

    # when: the file is uploaded
    page.select_option("select[name=entity]", "lead")
    page.set_input_files("input[name=file]", str(export))
    page.click("#upload button[type=submit]")
    page.wait_for_selector("#detected")

    # then: encoding, delimiter and columns are detected, the first rows shown
    assert "cp1251" in page.inner_text("#detected")
    assert page.locator("select[aria-label='Мобильный телефон']").input_value() == "phone:mobile"
    assert page.locator("tr.preview").first.inner_text().startswith("101")
    page.screenshot(path=str(ARTIFACTS / "imports-columns.png"), full_page=True)

    # when: checked (nothing written)
    page.click("button[value=check]")
    page.wait_for_selector("#progress .status-done")
    assert page.inner_text("#created") == "3" and page.inner_text("#failed") == "2"
    assert Lead.objects.count() == 0

    # when: imported
    page.click("#go")
    page.wait_for_selector("#detected")
    page.click("button[value=import]")
    page.wait_for_selector("#progress .status-done")

    # then: the result, the failed rows and the report to download
    assert (page.inner_text("#created"), page.inner_text("#skipped"), page.inner_text("#failed")) == (
        "3",
        "1",
        "2",
    )
    assert "Сумма" in page.inner_text("#errors")
    page.screenshot(path=str(ARTIFACTS / "imports-result.png"), full_page=True)
    with page.expect_download() as download:
        page.click("#error-file")
    report = Path(download.value.path()).read_text(encoding="utf-8-sig")
    assert report.count("\n") == 3 and "Битая строка" in report
    assert Lead.objects.count() == 3

    # then: the history lists the check and the import
    page.goto(f"{live_server.url}/imports/")
    assert page.locator("#history tr").count() == 3
    page.screenshot(path=str(ARTIFACTS / "imports-history.png"), full_page=True)
