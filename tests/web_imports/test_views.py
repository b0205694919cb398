import csv
import io
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from voronka.crm.models import Lead
from voronka.imports.models import ImportJob

from ..imports.conftest import BITRIX_HEADERS, BITRIX_ROWS

pytestmark = pytest.mark.django_db


@pytest.fixture
def immediate_tasks(settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


def bitrix_upload():
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=";").writerows([BITRIX_HEADERS, *BITRIX_ROWS])
    return SimpleUploadedFile("LEAD.csv", buffer.getvalue().encode("cp1251"), content_type="text/csv")


def upload(client, **extra):
    data = {"entity": "lead", "file": bitrix_upload(), "on_duplicate": "skip", **extra}
    response = client.post("/imports/new/", data)
    assert response.status_code == 302, response.content.decode()[:2000]
    return response["Location"]


def test_the_wizard_shows_detection_preview_and_guessed_columns(client, admin, lead_statuses):
    client.force_login(admin)

    page = client.get(upload(client))

    html = page.content.decode()
    assert page.status_code == 200
    assert "cp1251" in html and "Заявка с сайта" in html
    assert re.search(r'<option value="phone:mobile" selected>', html)
    assert re.search(r'<option value="title" selected>', html)


def test_check_then_import_runs_in_the_background_and_reports(
    client, admin, lead_statuses, immediate_tasks, django_capture_on_commit_callbacks
):
    client.force_login(admin)
    draft = upload(client)
    columns = {f"column-{i}": "" for i in range(len(BITRIX_HEADERS))}
    columns.update(
        {
            "column-1": "title",
            "column-3": "first_name",
            "column-5": "last_name",
            "column-7": "amount",
            "column-11": "phone:work",
            "column-13": "email:work",
        }
    )

    # when: checked
    with django_capture_on_commit_callbacks(execute=True):
        checked = client.post(
            draft, {"columns": len(BITRIX_HEADERS), "action": "check", **columns}, follow=True
        )

    # then: counted, nothing written
    check = ImportJob.objects.get()
    assert (check.is_dry_run, check.status, check.created_count, check.failed_count) == (True, "done", 5, 1)
    assert not Lead.objects.exists()
    assert checked.status_code == 200
    assert "Back to the columns" in client.get(f"/imports/{check.pk}/").content.decode()

    # when: imported
    with django_capture_on_commit_callbacks(execute=True):
        done = client.post(
            draft, {"columns": len(BITRIX_HEADERS), "action": "import", **columns}, follow=True
        )

    # then
    job = ImportJob.objects.get(is_dry_run=False)
    assert (job.status, job.created_count, job.failed_count) == ("done", 5, 1)
    assert Lead.objects.count() == 5
    assert done.status_code == 200
    assert 'id="error-file"' in client.get(f"/imports/{job.pk}/").content.decode()
    report = client.get(f"/imports/{job.pk}/errors.csv")
    assert report.status_code == 200
    assert b"".join(report.streaming_content).decode("utf-8-sig").count("\n") == 2
    assert client.get(f"/imports/{job.pk}/progress/").status_code == 200
    assert "LEAD.csv" in client.get("/imports/").content.decode()


def test_a_queued_import_waits_for_the_worker_and_polls(client, admin, lead_statuses, settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    client.force_login(admin)
    draft = upload(client)

    page = client.post(draft, {"columns": 0, "action": "import"}, follow=True)

    html = page.content.decode()
    assert 'hx-get="/imports/' in html and "/progress/" in html
    assert ImportJob.objects.get().status == "pending"


def test_other_users_do_not_see_an_import(
    client, admin, manager, lead_statuses, immediate_tasks, django_capture_on_commit_callbacks
):
    client.force_login(admin)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(upload(client), {"columns": 0, "action": "check"})
    job = ImportJob.objects.get()

    client.force_login(manager)

    assert client.get(f"/imports/{job.pk}/").status_code == 404
    assert client.get(f"/imports/{job.pk}/errors.csv").status_code == 404
    assert "LEAD.csv" not in client.get("/imports/").content.decode()


def test_an_unreadable_file_is_a_form_error(client, admin):
    client.force_login(admin)

    response = client.post(
        "/imports/new/",
        {
            "entity": "lead",
            "on_duplicate": "skip",
            "file": SimpleUploadedFile("x.xlsx", b"PK\x03\x04 not really"),
        },
    )

    assert response.status_code == 200
    assert "cannot be read" in response.content.decode()


def test_export_view_streams_what_the_user_may_export(client, manager, outsider, lead_statuses):
    from voronka.crm.services.leads import create_lead

    create_lead(actor=manager, title="Мой лид")
    create_lead(actor=outsider, title="Чужой лид")
    client.force_login(manager)

    response = client.get("/export/lead/", {"format": "csv"})
    text = b"".join(response.streaming_content).decode("utf-8-sig")

    assert response["Content-Type"].startswith("text/csv")
    assert "Мой лид" in text and "Чужой лид" not in text
    assert client.get("/export/lead/", {"format": "pdf"}).status_code == 400
    assert client.get("/export/nothing/").status_code == 404
