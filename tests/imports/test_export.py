import csv
import io

import pytest
from openpyxl import load_workbook

from voronka.accounts.rights import forget_rights
from voronka.accounts.services import set_role_rights
from voronka.crm.selectors.lists import ItemFilter
from voronka.crm.services.leads import create_lead
from voronka.imports import exports
from voronka.imports.services import Options, run_import, start_import

pytestmark = pytest.mark.django_db


def read_csv(chunks, *, encoding="utf-8-sig", delimiter=","):
    return list(csv.reader(io.StringIO(b"".join(chunks).decode(encoding)), delimiter=delimiter))


@pytest.fixture
def leads(manager, colleague, outsider, lead_statuses):
    return [
        create_lead(
            actor=manager,
            title='=HYPERLINK("http://evil")',
            first_name="Иван",
            phones=["+7 495 109-63-75"],
            emails=["ivan@example.ru"],
            amount="-5",
        ),
        create_lead(actor=colleague, title="@SUM(1+1)", first_name="Пётр"),
        create_lead(actor=outsider, title="Чужой", first_name="Сидор"),
    ]


def test_csv_export_has_a_bom_cyrillic_and_escaped_formulas(leads, manager):
    header, *rows = read_csv(exports.stream(manager, "lead", ItemFilter(), "csv"))

    assert header[:3] == ["ID", "Title", "First name"]
    by_name = {row[2]: row for row in rows}
    assert set(by_name) == {"Иван", "Пётр"}  # the outsider's lead is outside the manager's export scope
    assert by_name["Иван"][1] == '\'=HYPERLINK("http://evil")'
    assert by_name["Пётр"][1] == "'@SUM(1+1)"
    assert by_name["Иван"][header.index("Work phone")] == "'+7 495 109-63-75"
    assert by_name["Иван"][header.index("Amount")] == "-5.00"


def test_the_export_right_decides_not_the_read_right(leads, manager, admin):
    set_role_rights(manager.role, {("lead", "export"): 1}, actor=admin)  # own items only
    forget_rights(manager)

    _header, *rows = read_csv(exports.stream(manager, "lead", ItemFilter(), "csv"))

    assert [row[2] for row in rows] == ["Иван"]


def test_windows_1251_export_uses_semicolons(leads, admin):
    _header, *rows = read_csv(
        exports.stream(admin, "lead", ItemFilter(q="Сидор"), "csv-1251"), encoding="cp1251", delimiter=";"
    )

    assert [row[2] for row in rows] == ["Сидор"]


def test_xlsx_export_keeps_text_as_text(leads, admin):
    data = b"".join(exports.stream(admin, "lead", ItemFilter(), "xlsx"))

    sheet = load_workbook(io.BytesIO(data), read_only=True).active
    header, *rows = [list(row) for row in sheet.iter_rows(values_only=True)]
    titles = {row[header.index("Title")] for row in rows}
    assert titles == {'\'=HYPERLINK("http://evil")', "'@SUM(1+1)", "Чужой"}
    amounts = {row[header.index("Amount")] for row in rows}
    assert -5 in amounts


def test_export_reads_in_keyset_chunks_with_a_fixed_number_of_queries(
    leads, admin, monkeypatch, django_assert_num_queries
):
    monkeypatch.setattr(exports, "CHUNK", 2)
    # two full pages, one short page, each with its communications: 3 + 2 queries (+ the last empty page)
    with django_assert_num_queries(5):
        rows = list(exports.export_rows(admin, "lead", ItemFilter()))
    assert len(rows) == 3


def test_an_export_imports_back(leads, admin, tmp_path, lead_statuses):
    path = tmp_path / "export.csv"
    path.write_bytes(b"".join(exports.stream(admin, "lead", ItemFilter(), "csv")))
    from voronka.crm.models import Lead

    Lead.objects.all().delete()

    job = start_import(path, options=Options(entity="lead", on_duplicate="create"), actor=admin)
    job = run_import(job, path=path, actor=admin, workers=0)

    assert (job.created_count, job.failed_count) == (3, 0)
    ivan = Lead.objects.get(first_name="Иван")
    assert ivan.title == '=HYPERLINK("http://evil")'
    assert list(ivan.communications.values_list("normalized", flat=True)) == [
        "ivan@example.ru",
        "+74951096375",
    ]


def test_bad_filters_are_refused():
    from voronka.lib.errors import Invalid

    with pytest.raises(Invalid):
        exports.filter_from({"created_from": "yesterday"})
    with pytest.raises(Invalid):
        exports.filter_from({"stage": "NEW"})
    assert exports.filter_from({"stage": "3,4", "closed": "no"}).stage_ids == [3, 4]


def test_a_russian_export_imports_back(leads, admin, tmp_path, lead_statuses):
    from django.utils import translation

    from voronka.crm.models import Lead

    with translation.override("ru"):
        header = exports.headers("lead")
        data = b"".join(exports.stream(admin, "lead", ItemFilter(), "csv-1251"))
    path = tmp_path / "export-ru.csv"
    path.write_bytes(data)
    Lead.objects.all().delete()

    job = run_import(
        start_import(path, options=Options(entity="lead", on_duplicate="create"), actor=admin),
        path=path,
        actor=admin,
        workers=0,
    )

    assert "Рабочий телефон" in header and "Ответственный" in header
    assert (job.encoding, job.delimiter, job.created_count, job.failed_count, job.warnings_count) == (
        "cp1251",
        ";",
        3,
        0,
        0,
    )
    assert Lead.objects.get(first_name="Иван").communications.count() == 2
