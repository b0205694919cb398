import csv
from contextlib import contextmanager
from decimal import Decimal

import pytest
from django.db import connection

from voronka.crm.models import Company, Contact, Deal, Lead, StageHistory, TimelineEntry
from voronka.crm.services.leads import create_lead
from voronka.imports import services
from voronka.imports.models import ImportJob
from voronka.imports.services import Options, run_import, start_import
from voronka.lib.errors import Conflict, Invalid

from .conftest import BITRIX_ROWS, write_csv

pytestmark = pytest.mark.django_db


def run(path, actor, entity="lead", dry_run=False, **options):
    job = start_import(path, options=Options(entity=entity, **options), actor=actor, dry_run=dry_run)
    return run_import(job, path=path, actor=actor, workers=0)


def error_rows(job):
    with open(job.error_file, encoding="utf-8-sig", newline="") as handle:
        return list(csv.reader(handle, delimiter=";"))


def test_a_bitrix24_lead_export_in_windows_1251_imports_with_the_right_counts(
    bitrix_leads, admin, smirnova, lead_statuses
):
    # when
    job = run(bitrix_leads, admin, on_duplicate="skip")

    # then: 101, 102, 105 created; 104 repeats 102's phone; 103 and 106 are broken
    assert (job.created_count, job.merged_count, job.skipped_count, job.failed_count) == (3, 0, 1, 2)
    assert (job.encoding, job.delimiter, job.rows_done, job.status) == ("cp1251", ";", 6, "done")
    petrov = Lead.objects.get(last_name="Петров")
    assert (petrov.title, petrov.first_name, petrov.second_name, petrov.company_title, petrov.position) == (
        "Заявка с сайта",
        "Иван",
        "Иванович",
        "ООО «Ромашка»",
        "Директор",
    )
    assert (petrov.status.code, petrov.amount, petrov.currency, petrov.source.code) == (
        "NEW",
        Decimal("1234.50"),
        "RUB",
        "WEB",
    )
    assert petrov.assigned_to == smirnova
    assert petrov.comments == 'Просил перезвонить; "срочно"\nпосле обеда'
    assert petrov.created_at.strftime("%Y-%m-%d %H:%M") == "2024-02-01 07:30"  # 10:30 in Moscow
    assert sorted(petrov.communications.values_list("label", "normalized")) == [
        ("mobile", "+79165551212"),
        ("work", "+74951096375"),
        ("work", "petrov@romashka.ru"),
    ]
    sidorova = Lead.objects.get(last_name="Сидорова")
    assert sidorova.title == "Мария Сидорова"
    assert set(sidorova.communications.values_list("label", "normalized")) == {
        ("work", "+78120001122"),
        ("work", "maria@mail.ru"),
        ("home", "m.sidorova@gmail.com"),
    }
    yozhikov = Lead.objects.get(first_name="Фёдор")
    assert (yozhikov.last_name, yozhikov.status.code, yozhikov.is_closed, yozhikov.source.code) == (
        "Ёжиков",
        "JUNK",
        True,
        "TRADE_SHOW",
    )
    assert yozhikov.assigned_to == smirnova


def test_the_error_report_holds_the_broken_rows_only_with_the_reason(bitrix_leads, admin, lead_statuses):
    job = run(bitrix_leads, admin)

    header, *rows = error_rows(job)
    assert header[:4] == ["ID", "Название лида", "Обращение", "Имя"]
    assert header[-1] == "Import error"
    assert [row[0] for row in rows] == ["103", "106"]
    assert rows[0][:-1] == BITRIX_ROWS[2]
    assert "row 4" in rows[0][-1]
    for column in ("Сумма", "Рабочий телефон", "Рабочий e-mail"):
        assert column in rows[0][-1]
    assert "Дата создания" in rows[1][-1] and "31.02.2024" in rows[1][-1]
    assert [number for number, _reason in job.errors] == [4, 7]


def test_a_fixed_error_report_imports_again(bitrix_leads, tmp_path, admin, lead_statuses):
    # given: the report of the first import, with its rows fixed
    job = run(bitrix_leads, admin)
    header, *rows = error_rows(job)
    rows[0][7], rows[0][11], rows[0][13] = "700", "+7 495 000-00-03", "lozhkin@example.ru"
    rows[1][19] = "28.02.2024"
    fixed = write_csv(tmp_path / "fixed.csv", [header, *rows], encoding="utf-8-sig", delimiter=";")

    # when
    again = run(fixed, admin)

    # then
    assert (again.created_count, again.failed_count) == (2, 0)
    assert Lead.objects.get(last_name="Ложкин").amount == Decimal("700.00")
    anna = Lead.objects.get(first_name="Анна")
    assert (anna.status.code, anna.source.code, anna.source_description, anna.amount) == (
        "NEW",
        "OTHER",
        "Партнёрская сеть",
        Decimal("10.50"),
    )
    assert sorted(anna.communications.filter(kind="phone").values_list("normalized", flat=True)) == [
        "+79031112233",
        "+79031112244",
    ]
    assert again.warnings_count == 3  # unknown status, source and responsible


def test_imported_items_name_their_import_job_on_the_timeline(bitrix_leads, admin, lead_statuses):
    job = run(bitrix_leads, admin)

    entries = TimelineEntry.objects.filter(lead__isnull=False)
    assert entries.count() == 3
    assert {entry.kind for entry in entries} == {"import"}
    assert {entry.data["import_job"] for entry in entries} == {job.pk}
    assert StageHistory.objects.filter(lead__isnull=False).count() == 3


def test_merge_policy_merges_the_repeated_row_and_existing_leads(bitrix_leads, admin, lead_statuses):
    # given
    existing = create_lead(actor=admin, title="Known Petrov", phones=["+7 495 109 63 75"])

    # when
    job = run(bitrix_leads, admin, on_duplicate="merge")

    # then
    assert (job.created_count, job.merged_count, job.failed_count) == (2, 2, 2)
    existing.refresh_from_db()
    assert (existing.title, existing.first_name, existing.company_title) == (
        "Known Petrov",
        "Иван",
        "ООО «Ромашка»",
    )
    assert existing.timeline.filter(kind="merged", data__import_job=job.pk).exists()


def test_create_policy_creates_the_repeated_row(bitrix_leads, admin, lead_statuses):
    job = run(bitrix_leads, admin, on_duplicate="create")

    assert (job.created_count, job.skipped_count) == (4, 0)


def test_a_dry_run_counts_the_same_and_writes_nothing(bitrix_leads, admin, lead_statuses):
    job = run(bitrix_leads, admin, dry_run=True)

    assert (job.created_count, job.skipped_count, job.failed_count) == (3, 1, 2)
    assert job.is_dry_run
    assert not Lead.objects.exists()
    assert not TimelineEntry.objects.exists()


def test_the_same_file_is_not_imported_twice_unless_asked(bitrix_leads, admin, lead_statuses):
    run(bitrix_leads, admin)

    with pytest.raises(Conflict) as refusal:
        start_import(bitrix_leads, options=Options(entity="lead"), actor=admin)

    assert refusal.value.code == "import.already_done"
    assert start_import(bitrix_leads, options=Options(entity="lead"), actor=admin, again=True).rows_done == 0


def test_an_interrupted_import_resumes_after_the_last_committed_batch(
    tmp_path, admin, lead_statuses, monkeypatch
):
    # given: 25 rows in batches of 10; the third batch crashes (as if the process were killed)
    rows = [["Имя", "Телефон", "E-mail"]] + [
        [f"Lead {n}", f"+7 495 000-00-{n:02d}", f"l{n}@x.ru"] for n in range(25)
    ]
    path = write_csv(tmp_path / "leads.csv", rows, encoding="utf-8", delimiter=",")
    monkeypatch.setattr(services, "BATCH", 10)
    original = services.bulk.write_staged
    calls = []

    def crashing(*args, **kwargs):
        calls.append(1)
        if len(calls) == 3:
            raise RuntimeError("killed")
        return original(*args, **kwargs)

    monkeypatch.setattr(services.bulk, "write_staged", crashing)
    job = start_import(path, options=Options(entity="lead", on_duplicate="create"), actor=admin)
    with pytest.raises(RuntimeError):
        run_import(job, path=path, actor=admin, workers=0)
    job.refresh_from_db()
    assert (job.rows_done, job.status, Lead.objects.count()) == (20, "failed", 20)

    # when: the same file with the same options again
    resumed = start_import(path, options=Options(entity="lead", on_duplicate="create"), actor=admin)
    done = run_import(resumed, path=path, actor=admin, workers=0)

    # then: the same job, finished, every row exactly once
    assert resumed.pk == job.pk
    assert (done.rows_done, done.created_count, done.status) == (25, 25, "done")
    assert Lead.objects.count() == 25
    assert len(set(Lead.objects.values_list("first_name", flat=True))) == 25


def test_a_second_process_on_the_same_job_cannot_commit_the_same_batch(
    tmp_path, admin, lead_statuses, monkeypatch
):
    # given: another process commits the first batch while this one is reading it
    path = write_csv(tmp_path / "l.csv", [["Имя"], ["A"], ["B"]], encoding="utf-8", delimiter=",")
    job = start_import(path, options=Options(entity="lead"), actor=admin)
    begin = services._begin

    def begin_then_lose_the_race(job, table):
        begin(job, table)
        ImportJob.objects.filter(pk=job.pk).update(rows_done=2)

    monkeypatch.setattr(services, "_begin", begin_then_lose_the_race)

    # when / then
    with pytest.raises(Conflict) as refusal:
        run_import(job, path=path, actor=admin, workers=0)
    assert refusal.value.code == "import.concurrent"
    assert not Lead.objects.exists()


def test_contacts_from_an_xlsx_with_a_merged_header(merged_header_xlsx, admin):
    job = run(merged_header_xlsx, admin, entity="contact")

    assert (job.header_row, job.created_count, job.failed_count) == (3, 2, 1)
    petrov = Contact.objects.get(last_name="Петров")
    assert (petrov.first_name, petrov.second_name, str(petrov.birthdate)) == (
        "Иван",
        "Иванович",
        "1980-05-17",
    )
    assert set(petrov.communications.values_list("normalized", flat=True)) == {
        "+74951096375",
        "+79165551212",
        "petrov@romashka.ru",
    }
    sidorova = Contact.objects.get(last_name="Сидорова")
    assert (sidorova.first_name, str(sidorova.birthdate)) == ("Мария", "1991-04-03")
    company = Company.objects.get()
    assert petrov.company == sidorova.company == company
    assert company.title == "ООО «Ромашка»"


def test_companies_from_a_utf16_tab_file(utf16_companies, admin):
    job = run(utf16_companies, admin, entity="company")

    assert (job.encoding, job.delimiter, job.created_count, job.failed_count) == ("utf-16", "\t", 2, 1)
    vektor = Company.objects.get(tax_id="6671000001")
    assert (vektor.title, vektor.revenue, vektor.comments) == ("ООО «Вектор»", Decimal("12500000.00"), "Урал")
    assert set(vektor.communications.values_list("kind", "normalized")) == {
        ("phone", "+73432223344"),
        ("web", "vektor.ru"),
    }
    assert Company.objects.get(tax_id="5190000002").revenue == Decimal("1234567.89")
    assert "company.title_required" not in job.errors[0][1]
    assert "name" in job.errors[0][1].lower()


def test_deals_enter_the_history_with_their_stage_and_link_their_company(tmp_path, admin, general_pipeline):
    rows = [
        ["Название сделки", "Стадия сделки", "Направление", "Сумма", "Компания", "Контакт"],
        ["Поставка насосов", "Сделка успешна", "Общее", "150 000", "ООО Вектор", "Иван Петров"],
        ["Монтаж", "Подготовка документов", "", "1,5", "ООО «Вектор»", ""],
        ["Ремонт", "C1:NOPE", "", "", "", ""],
    ]
    path = write_csv(tmp_path / "DEAL.csv", rows, encoding="cp1251", delimiter=";")

    job = run(path, admin, entity="deal")

    assert (job.created_count, job.failed_count, job.warnings_count) == (3, 0, 1)
    won = Deal.objects.get(title="Поставка насосов")
    assert (won.stage.code, won.is_closed, won.amount, won.company.title, won.contact.first_name) == (
        "WON",
        True,
        Decimal("150000.00"),
        "ООО Вектор",
        "Иван",
    )
    assert list(won.stage_history.values_list("to_stage__code", flat=True)) == ["WON"]
    second = Deal.objects.get(title="Монтаж")
    assert (second.stage.code, second.company_id, second.is_repeat) == ("PREPARATION", won.company_id, True)
    assert Deal.objects.get(title="Ремонт").stage.code == "NEW"
    assert Company.objects.count() == 1


def test_a_file_whose_columns_match_nothing_is_refused(tmp_path, admin, lead_statuses):
    path = write_csv(tmp_path / "x.csv", [["foo", "bar"], ["1", "2"]], encoding="utf-8", delimiter=",")
    job = start_import(path, options=Options(entity="lead"), actor=admin)

    with pytest.raises(Invalid) as refusal:
        run_import(job, path=path, actor=admin, workers=0)

    assert refusal.value.code == "import.nothing_mapped"


def test_a_mapping_overrides_the_guess(tmp_path, admin, lead_statuses):
    path = write_csv(
        tmp_path / "x.csv", [["foo", "bar"], ["Lead one", "8 495 109 63 75"]], encoding="utf-8", delimiter=","
    )

    job = run(path, admin, mapping={"foo": "title", "#2": "phone:mobile"})

    lead = Lead.objects.get()
    assert (job.created_count, lead.title) == (1, "Lead one")
    assert list(lead.communications.values_list("label", "normalized")) == [("mobile", "+74951096375")]


def test_import_with_worker_processes_gives_the_same_result(tmp_path, admin, lead_statuses, monkeypatch):
    monkeypatch.setattr(services, "BATCH", 7)
    rows = [["Имя", "Телефон"]] + [[f"L{n}", f"+7 495 000-01-{n % 40:02d}"] for n in range(50)]
    path = write_csv(tmp_path / "w.csv", rows, encoding="utf-8", delimiter=",")
    job = start_import(path, options=Options(entity="lead", on_duplicate="skip"), actor=admin)

    job = run_import(job, path=path, actor=admin, workers=1)

    assert (job.created_count, job.skipped_count) == (40, 10)


def test_leads_from_an_xlsx_with_a_two_row_header(two_row_header_xlsx, admin, lead_statuses):
    job = run(two_row_header_xlsx, admin)

    assert (job.header_row, job.created_count, job.failed_count) == (2, 2, 0)
    ivan = Lead.objects.get(first_name="Иван")
    assert sorted(ivan.communications.values_list("kind", "label", "normalized")) == [
        ("email", "home", "ivan@home.ru"),
        ("email", "work", "ivan@work.ru"),
        ("phone", "mobile", "+79165551212"),
        ("phone", "work", "+74951096375"),
    ]


def test_rows_with_the_same_columns_share_one_read_only_column_map(tmp_path, admin, lead_statuses):
    # given: two rows filling the same columns, one filling fewer, one broken
    from voronka.imports import pipeline
    from voronka.imports.services import _load, open_file

    path = write_csv(
        tmp_path / "leads.csv",
        [
            ["Имя", "Рабочий телефон", "Рабочий e-mail"],
            ["Анна", "+7 495 109-63-75", "a@x.ru"],
            ["Иван", "+7 495 109-63-76", "i@x.ru"],
            ["Олег", "", ""],
            ["Пётр", "12", "p@x.ru"],
        ],
        encoding="utf-8",
        delimiter=";",
    )
    options = Options(entity="lead")
    table = open_file(path, options)
    directory, context, targets = _load(table, options)
    state = pipeline.State(directory=directory, context=context, targets=targets)

    # when
    anna, ivan, oleg, petr = pipeline.process(state, list(table.rows(skip=0)))

    # then: one dict for the first two, another for the third; the failure still names its column
    assert anna.columns is ivan.columns and anna.columns["phones.0"] == "Рабочий телефон"
    assert oleg.columns is not anna.columns and oleg.columns == {"first_name": "Имя"}
    assert isinstance(petr, pipeline.Failed) and petr.reason.startswith("Рабочий телефон:")


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's memory map")
def test_an_import_writes_sqlite_without_the_memory_map_and_puts_it_back(tmp_path, monkeypatch):
    # given: a connection to a database file that maps it
    from django.db.backends.sqlite3.base import DatabaseWrapper

    wrapper = DatabaseWrapper({**connection.settings_dict, "NAME": str(tmp_path / "mapped.sqlite3")})
    monkeypatch.setattr(services, "connection", wrapper)

    def size():
        with wrapper.cursor() as cursor:
            cursor.execute("PRAGMA mmap_size")
            return cursor.fetchone()[0]

    with wrapper.cursor() as cursor:
        cursor.execute("PRAGMA mmap_size=65536")
    try:
        # when / then: no map while importing (the pages it touches would stay resident), the size back after
        with services._unmapped():
            assert size() == 0
        assert size() == 65536
    finally:
        wrapper.close()


def test_an_import_runs_its_batches_unmapped(admin, tmp_path, monkeypatch):
    entered = []

    @contextmanager
    def spy():
        entered.append("in")
        yield
        entered.append("out")

    monkeypatch.setattr(services, "_unmapped", spy)
    path = write_csv(tmp_path / "l.csv", [["Имя"], ["A"], ["B"]], encoding="utf-8", delimiter=",")
    job = run(path, admin)
    assert job.rows_done == 2 and entered == ["in", "out"]
