"""Batches written on a thread of their own while the next one is staged (PostgreSQL).

The writer thread has its own connection, so these tests commit for real (transactional test
database). The next batch's duplicate control runs while the batch before it is still being
written: it must find that batch's leads as a sequential import finds them in the database.
"""

import csv
import threading
import time

import pytest
from django.db import connection
from django.utils import translation

from voronka.crm.models import Lead, TimelineEntry
from voronka.crm.services import bulk
from voronka.crm.services.clients import create_contact
from voronka.crm.services.leads import create_lead
from voronka.imports import services
from voronka.imports.models import ImportJob
from voronka.imports.services import Options, run_import, start_import

from .conftest import write_csv

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _postgresql_only():
    if connection.vendor != "postgresql":
        pytest.skip("batches overlap on PostgreSQL only (SQLite allocates ids under its write lock)")


def leads_file(tmp_path):
    """60 rows, batches of 5: every fourth row repeats a phone or e-mail of the batch before."""
    rows = [["Имя", "Телефон", "E-mail"]]
    for n in range(60):
        phone, email = f"+7 495 100-{n:02d}-00", f"lead{n}@example.ru"
        if n % 4 == 3 and n > 5:
            phone = f"+7 495 100-{n - 5:02d}-00"  # the same place of the batch before
        if n % 8 == 6 and n > 5:
            email = f"lead{n - 4}@example.ru"
        rows.append([f"Lead {n}", phone, email])
    rows.append(["Known contact", "+7 495 999-99-99", ""])  # shares a phone with a contact
    rows.append(["Known lead", "+7 495 888-88-88", ""])  # shares a phone with a lead made before
    rows.append(["Contact again", "+7 495 999-99-99", "x@example.ru"])  # and with the row before it
    return write_csv(tmp_path / "leads.csv", rows, encoding="utf-8", delimiter=",")


def outcome(job):
    """What an import did, in terms that do not depend on the ids it got."""
    names = dict(Lead.objects.values_list("pk", "first_name"))
    leads = sorted(
        (lead.first_name, tuple(sorted(lead.communications.values_list("normalized", flat=True))))
        for lead in Lead.objects.filter(import_job_entries(job))
    )
    timeline = sorted(
        (
            names[entry.lead_id],
            entry.data.get("row"),
            tuple(
                (
                    m["kind"],
                    names[m["id"]] if m["kind"] == "lead" else m["title"],
                    m["matched_by"],
                    m["value"],
                )
                for m in entry.data.get("duplicates", [])
            ),
        )
        for entry in TimelineEntry.objects.filter(kind="import", data__import_job=job.pk)
    )
    return (job.created_count, job.merged_count, job.skipped_count, job.failed_count), leads, timeline


def import_job_entries(job):
    from django.db.models import Q

    return Q(timeline__kind="import", timeline__data__import_job=job.pk)


@pytest.mark.parametrize(("policy", "counts"), [("skip", (47, 0, 16, 0)), ("merge", (40, 23, 0, 0))])
def test_an_overlapped_import_decides_every_duplicate_as_a_sequential_one(
    policy, counts, tmp_path, admin, lead_statuses, monkeypatch
):
    # given: a contact and a lead the file's rows match, and a writer slow enough that the next
    # batch is always staged before the one before it commits
    create_contact(actor=admin, first_name="Known", last_name="Contact", phones=["+7 495 999-99-99"])
    create_lead(actor=admin, first_name="Earlier", phones=["+7 495 888-88-88"])
    path = leads_file(tmp_path)
    monkeypatch.setattr(services, "BATCH", 5)
    writing, threads = bulk.write_staged, set()

    def slow_write(staged):
        threads.add(threading.current_thread().name)
        time.sleep(0.05)
        return writing(staged)

    monkeypatch.setattr(services.bulk, "write_staged", slow_write)
    options = Options(entity="lead", on_duplicate=policy)

    # when: overlapped, then (the imported leads removed) the same file sequentially
    job = run_import(
        start_import(path, options=options, actor=admin), path=path, actor=admin, workers=0, overlap=True
    )
    overlapped = outcome(job)
    overlapped_threads, threads = set(threads), set()
    Lead.objects.filter(import_job_entries(job)).delete()
    again = start_import(path, options=options, actor=admin, again=True)
    sequential = outcome(run_import(again, path=path, actor=admin, workers=0, overlap=False))

    # then
    assert all(name.startswith("import-writer") for name in overlapped_threads)
    assert threads == {threading.main_thread().name}
    assert overlapped == sequential
    assert overlapped[0] == counts
    _counts, _leads, timeline = overlapped
    assert ("Known contact", 62, (("contact", "Known Contact", "phone", "+74959999999"),)) in timeline
    assert not any(name == "Known lead" for name, _row, _matches in timeline)  # skipped: the earlier lead
    assert ImportJob.objects.filter(status="done").count() == 2


def test_an_overlapped_batch_that_fails_fails_the_import_and_resumes(
    tmp_path, admin, lead_statuses, monkeypatch
):
    # given: the third batch's write fails on the writer thread
    path = leads_file(tmp_path)
    monkeypatch.setattr(services, "BATCH", 5)
    writing, calls = bulk.write_staged, []

    def failing(staged):
        calls.append(1)
        if len(calls) == 3:
            raise RuntimeError("killed")
        return writing(staged)

    monkeypatch.setattr(services.bulk, "write_staged", failing)
    options = Options(entity="lead", on_duplicate="create")
    job = start_import(path, options=options, actor=admin)

    # when
    with pytest.raises(RuntimeError):
        run_import(job, path=path, actor=admin, workers=0, overlap=True)

    # then: the two batches before it are in, with their progress; a second run does the rest
    job.refresh_from_db()
    assert (job.rows_done, job.status, Lead.objects.count()) == (10, "failed", 10)
    done = run_import(
        start_import(path, options=options, actor=admin), path=path, actor=admin, workers=0, overlap=True
    )
    assert (done.pk, done.rows_done, done.created_count, done.status) == (job.pk, 63, 63, "done")
    assert Lead.objects.count() == 63


def test_an_overlapped_import_reports_failed_rows_in_the_import_language(tmp_path, admin, lead_statuses):
    # given: a row that fails, imported in Russian
    rows = [["Имя", "E-mail"], ["Иван", "ivan@example.ru"], ["Пётр", "not an address"]]
    path = write_csv(tmp_path / "leads.csv", rows, encoding="utf-8", delimiter=";")

    # when
    with translation.override("ru"):
        job = run_import(
            start_import(path, options=Options(entity="lead"), actor=admin),
            path=path,
            actor=admin,
            workers=0,
            overlap=True,
        )

    # then: the reason was written on the writer thread, in the import's language
    with open(job.error_file, encoding="utf-8-sig", newline="") as handle:
        reported = list(csv.reader(handle, delimiter=";"))
    assert (job.created_count, job.failed_count) == (1, 1)
    assert reported[1][:2] == ["Пётр", "not an address"]
    assert reported[1][2].startswith("строка 3: ")
