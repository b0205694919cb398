import codecs
import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from voronka.imports import readers
from voronka.imports.mapping import guess, header_scorer, load_override
from voronka.imports.values import Directory, cell_text, convert, to_date, to_datetime
from voronka.lib.errors import Invalid

from .conftest import BITRIX_HEADERS, BITRIX_ROWS, write_csv

ROWS = [
    ["Имя", "Фамилия", "Комментарий"],
    ["Иван", "Петров", "строка 1\nстрока 2; с точкой, запятой"],
    ["Ёлка", "Ёжиков", 'кавычки "внутри"'],
]


@pytest.mark.parametrize(
    ("encoding", "delimiter", "detected"),
    [
        ("utf-8", ",", "utf-8"),
        ("utf-8-sig", ";", "utf-8-sig"),
        ("cp1251", ";", "cp1251"),
        ("utf-16", "\t", "utf-16"),
        ("cp1251", "\t", "cp1251"),
        ("utf-8", "|", "utf-8"),
    ],
)
def test_encoding_and_delimiter_are_detected_and_rows_read_back(tmp_path, encoding, delimiter, detected):
    path = write_csv(tmp_path / "f.csv", ROWS * 1, encoding=encoding, delimiter=delimiter)

    table = readers.open_table(path)

    assert (table.encoding, table.delimiter, table.headers, table.total) == (detected, delimiter, ROWS[0], 2)
    assert [cells for _n, cells in table.rows()] == ROWS[1:]
    assert [number for number, _c in table.rows()] == [2, 3]


def test_a_forced_encoding_wins(tmp_path):
    path = write_csv(tmp_path / "f.csv", ROWS, encoding="koi8_r", delimiter=";")

    table = readers.open_table(path, encoding="koi8-r")

    assert table.headers == ROWS[0]


def test_an_unknown_forced_encoding_is_refused(tmp_path):
    path = write_csv(tmp_path / "f.csv", ROWS, encoding="utf-8", delimiter=";")

    with pytest.raises(Invalid) as refusal:
        readers.open_table(path, encoding="klingon")

    assert refusal.value.code == "import.bad_encoding"


def test_excel_sep_line_and_title_rows_before_the_header(tmp_path):
    path = tmp_path / "f.csv"
    path.write_text(
        "sep=;\nВыгрузка лидов;;\n;;\nИмя;Телефон;E-mail\nИван;+7 495 109 63 75;i@x.ru\n", encoding="utf-8"
    )

    table = readers.open_table(path, header_score=header_scorer("lead", {}))

    assert (table.delimiter, table.header_row, table.headers) == (";", 3, ["Имя", "Телефон", "E-mail"])
    assert [cells for _n, cells in table.rows()] == [["Иван", "+7 495 109 63 75", "i@x.ru"]]


def test_resuming_skips_the_rows_already_done(tmp_path):
    path = write_csv(
        tmp_path / "f.csv", [["Имя"]] + [[str(n)] for n in range(10)], encoding="utf-8", delimiter=","
    )

    table = readers.open_table(path)

    assert [cells[0] for _n, cells in table.rows(skip=7)] == ["7", "8", "9"]


def test_empty_and_old_excel_files_are_refused(tmp_path):
    empty = tmp_path / "e.csv"
    empty.write_bytes(b"  \n")
    old = tmp_path / "o.xls"
    old.write_bytes(b"\xd0\xcf\x11\xe0" + b"\0" * 100)

    with pytest.raises(Invalid) as first:
        readers.open_table(empty)
    with pytest.raises(Invalid) as second:
        readers.open_table(old)

    assert (first.value.code, second.value.code) == ("import.empty_file", "import.old_excel")


def test_the_xlsx_header_is_found_under_a_title_and_merged_cells_fill_in(merged_header_xlsx):
    table = readers.open_table(merged_header_xlsx, header_score=header_scorer("contact", {}))

    assert (table.kind, table.header_row, table.sheet) == ("xlsx", 3, "Клиенты")
    assert table.headers == ["ФИО", "Телефон", "Телефон", "E-mail", "Компания", "Дата рождения"]
    first = next(table.rows())
    assert first[0] == 4 and first[1][2] == 79165551212


def test_bitrix_headers_map_to_fields():
    found = guess("lead", BITRIX_HEADERS, {})

    assert dict(zip(found.headers, found.targets, strict=True)) == {
        "ID": None,
        "Название лида": "title",
        "Обращение": None,
        "Имя": "first_name",
        "Отчество": "second_name",
        "Фамилия": "last_name",
        "Статус": "status",
        "Сумма": "amount",
        "Валюта": "currency",
        "Источник": "source",
        "Ответственный": "assigned_to",
        "Рабочий телефон": "phone:work",
        "Мобильный телефон": "phone:mobile",
        "Рабочий e-mail": "email:work",
        "Частный e-mail": "email:home",
        "Название компании": "company_title",
        "Должность": "position",
        "Адрес": "address",
        "Комментарий": "comments",
        "Дата создания": "created_at",
        "Доступен для всех": None,
    }


def test_bitrix_field_codes_and_custom_fields_map_too():
    headers = [
        "TITLE",
        "NAME",
        "LAST_NAME",
        "PHONE",
        "EMAIL",
        "STATUS_ID",
        "SOURCE_ID",
        "ASSIGNED_BY_ID",
        "OPPORTUNITY",
        "CURRENCY_ID",
        "COMPANY_TITLE",
        "COMMENTS",
        "UF_CRM_1594289616952",
        "Отрасль клиента",
    ]
    custom = {"uf_crm_1594289616952": "UF_CRM_1594289616952", "отрасль клиента": "UF_CRM_INDUSTRY"}

    found = guess("lead", headers, custom)

    assert found.targets == [
        "title",
        "first_name",
        "last_name",
        "phone:work",
        "email:work",
        "status",
        "source",
        "assigned_to",
        "amount",
        "currency",
        "company_title",
        "comments",
        "custom:UF_CRM_1594289616952",
        "custom:UF_CRM_INDUSTRY",
    ]
    assert guess("deal", ["STAGE_ID", "CATEGORY_ID", "Статус"], {}).targets == ["stage", "pipeline", None]


def test_a_mapping_file_with_an_unknown_field_is_refused(tmp_path):
    path = tmp_path / "m.json"
    path.write_text('{"columns": {"Имя": "shoe_size"}}', encoding="utf-8")

    with pytest.raises(Invalid) as refusal:
        guess("lead", ["Имя"], {}, load_override(path))

    assert refusal.value.code == "mapping.bad_target"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("01.02.2024", dt.date(2024, 2, 1)),
        ("1.2.2024 10:30", dt.date(2024, 2, 1)),
        ("2024-02-01", dt.date(2024, 2, 1)),
        ("2024-02-01T23:10:00", dt.date(2024, 2, 1)),
        ("45323", dt.date(2024, 2, 1)),
        (45323.75, dt.date(2024, 2, 1)),
        (dt.datetime(2024, 2, 1, 8), dt.date(2024, 2, 1)),  # noqa: DTZ001 - an Excel cell
    ],
)
def test_dates_as_people_and_excel_write_them(value, expected):
    assert to_date(value) == expected


@pytest.mark.parametrize("value", ["31.02.2024", "вчера", "2024-13-01", "1.2"])
def test_impossible_dates_are_refused(value):
    with pytest.raises(Invalid):
        to_datetime(value)


@given(day=st.dates(min_value=dt.date(1950, 1, 1), max_value=dt.date(2090, 12, 31)))
def test_every_spelling_of_a_date_reads_the_same(day):
    serial = (day - dt.date(1899, 12, 30)).days
    spellings = [day.strftime("%d.%m.%Y"), day.isoformat(), str(serial), float(serial)]
    assert {to_date(spelling) for spelling in spellings} == {day}


def test_cells_become_text_without_formula_escapes_and_float_tails():
    assert [cell_text(v) for v in (79161234567.0, "'=SUM(A1)", "'+7 495", " x ", None)] == [
        "79161234567",
        "=SUM(A1)",
        "+7 495",
        "x",
        "",
    ]


def test_several_phones_in_one_cell_are_split():
    converted = convert(
        Directory(entity="lead"), [(0, "Телефоны", "phone:work")], 2, ["+7 495 1, 8 916 2;\n8 903 3"]
    )

    assert converted.input.values["phones"] == [
        {"value": "+7 495 1", "label": "work"},
        {"value": "8 916 2", "label": "work"},
        {"value": "8 903 3", "label": "work"},
    ]


def test_a_cell_that_could_not_be_decoded_fails_its_row():
    converted = convert(Directory(entity="lead"), [(0, "Имя", "first_name")], 5, ["Ива\ufffd"])

    assert converted.input is None
    assert converted.error.startswith("Имя:")


def test_bitrix_rows_fixture_is_consistent():
    assert all(len(row) == len(BITRIX_HEADERS) for row in BITRIX_ROWS)


def test_utf16_without_bom_is_detected(tmp_path):
    path = tmp_path / "f.txt"
    path.write_bytes(
        "\t".join(["Имя", "Фамилия"]).encode("utf-16-le")
        + "\r\n".encode("utf-16-le")
        + "Иван\tПетров\r\n".encode("utf-16-le") * 20
    )

    table = readers.open_table(path)

    assert codecs.lookup(table.encoding).name.startswith("utf-16")
    assert table.headers == ["Имя", "Фамилия"]


def test_a_two_row_csv_header_is_joined(tmp_path):
    path = tmp_path / "f.csv"
    path.write_text(
        "Имя;Телефон;;E-mail\n;Рабочий;Мобильный;\nИван;+7 495 109 63 75;8 916 555 12 12;i@x.ru\n",
        encoding="utf-8",
    )

    table = readers.open_table(path, header_score=header_scorer("lead", {}))

    assert table.header_row == 2
    assert guess("lead", table.headers, {}).targets == [
        "first_name",
        "phone:work",
        "phone:mobile",
        "email:work",
    ]
