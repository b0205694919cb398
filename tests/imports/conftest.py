"""Realistic files people import: a Bitrix24 lead export, an Excel sheet with a merged header, a UTF-16 file."""

import csv
import datetime as dt
from pathlib import Path

import pytest

from voronka.accounts.services import create_user

BITRIX_HEADERS = [
    "ID",
    "Название лида",
    "Обращение",
    "Имя",
    "Отчество",
    "Фамилия",
    "Статус",
    "Сумма",
    "Валюта",
    "Источник",
    "Ответственный",
    "Рабочий телефон",
    "Мобильный телефон",
    "Рабочий e-mail",
    "Частный e-mail",
    "Название компании",
    "Должность",
    "Адрес",
    "Комментарий",
    "Дата создания",
    "Доступен для всех",
]
BITRIX_ROWS = [
    [
        "101",
        "Заявка с сайта",
        "г-н",
        "Иван",
        "Иванович",
        "Петров",
        "Не обработан",
        "1 234,50",
        "Российский рубль",
        "Веб-сайт",
        "Ольга Смирнова",
        "+7 (495) 109-63-75",
        "8 916 555-12-12",
        "petrov@romashka.ru",
        "",
        "ООО «Ромашка»",
        "Директор",
        "Москва, ул. Ленина, 1",
        'Просил перезвонить; "срочно"\nпосле обеда',
        "01.02.2024 10:30:00",
        "Y",
    ],
    [
        "102",
        "",
        "",
        "Мария",
        "",
        "Сидорова",
        "В работе",
        "50000",
        "RUB",
        "Звонок",
        "",
        "8 (812) 000-11-22",
        "",
        "maria@mail.ru",
        "m.sidorova@gmail.com",
        "",
        "",
        "",
        "",
        "15.03.2024",
        "Y",
    ],
    [
        "103",
        "Битая строка",
        "",
        "Пётр",
        "",
        "Ложкин",
        "Обработан",
        "много",
        "RUB",
        "Реклама",
        "",
        "12",
        "",
        "not-an-e-mail",
        "",
        "",
        "",
        "",
        "",
        "",
        "Y",
    ],
    [
        "104",
        "Повтор Марии",
        "",
        "Мария",
        "",
        "Сидорова",
        "В работе",
        "",
        "",
        "Интернет-магазин",
        "",
        "",
        "+7 812 000 11 22",
        "",
        "",
        "",
        "",
        "",
        "",
        "",
        "Y",
    ],
    [
        "105",
        "Ёлки-палки",
        "",
        "Фёдор",
        "",
        "Ёжиков",
        "Некачественный лид",
        "0",
        "RUB",
        "Выставка",
        "smirnova",
        "",
        "",
        "fedor@ёлки.рф",
        "",
        "ИП Ёжиков",
        "",
        "",
        "",
        "2023-12-31 23:59:00",
        "N",
    ],
    [
        "106",
        "Без даты",
        "",
        "Анна",
        "",
        "Кузнецова",
        "Неизвестный статус",
        "10,5",
        "RUB",
        "Партнёрская сеть",
        "Нет Такого",
        "",
        "+7 903 111-22-33, 8 903 111 22 44",
        "anna@example.ru",
        "",
        "",
        "",
        "",
        "",
        "31.02.2024",
        "Y",
    ],
]


def write_csv(path: Path, rows: list[list[str]], *, encoding: str, delimiter: str) -> Path:
    with open(path, "w", encoding=encoding, newline="") as handle:
        csv.writer(handle, delimiter=delimiter, quoting=csv.QUOTE_MINIMAL).writerows(rows)
    return path


@pytest.fixture(autouse=True)
def imports_dir(settings, tmp_path):
    """Error reports and uploads of the test go to its own folder."""
    settings.IMPORTS_DIR = tmp_path / "imports"
    return settings.IMPORTS_DIR


@pytest.fixture
def smirnova(db):
    return create_user(
        username="smirnova",
        first_name="Ольга",
        last_name="Смирнова",
        email="o.smirnova@corp.ru",
        role="manager",
    )


@pytest.fixture
def bitrix_leads(tmp_path) -> Path:
    """A Bitrix24 lead export as Bitrix writes it: Windows-1251, `;`, quoted multi-line cells."""
    return write_csv(
        tmp_path / "LEAD_20240401.csv", [BITRIX_HEADERS, *BITRIX_ROWS], encoding="cp1251", delimiter=";"
    )


@pytest.fixture
def merged_header_xlsx(tmp_path) -> Path:
    """Contacts in Excel: a merged title row, the header on row 3, "Телефон" merged over two columns."""
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Клиенты"
    sheet["A1"] = "Выгрузка клиентов на 01.04.2024"
    sheet.merge_cells("A1:F1")
    sheet.append([])
    sheet.append(["ФИО", "Телефон", None, "E-mail", "Компания", "Дата рождения", None, None])
    sheet.merge_cells("B3:C3")
    sheet.append(
        [
            "Петров Иван Иванович",
            "+7 495 109-63-75",
            79165551212,
            "petrov@romashka.ru",
            "ООО «Ромашка»",
            dt.datetime(1980, 5, 17),  # noqa: DTZ001 - Excel cells have no time zone
        ]
    )
    sheet.append(["Сидорова Мария", "8 812 000-11-22", None, "maria@mail.ru", "ООО Ромашка", "03.04.1991"])
    sheet.append(["Без Телефона", "123", None, "bad@", None, None])
    sheet.append([None, None, None, None, None, None])
    sheet["H10"] = None  # formatting far right: an empty trailing column
    path = tmp_path / "clients.xlsx"
    workbook.save(path)
    return path


@pytest.fixture
def two_row_header_xlsx(tmp_path) -> Path:
    """Leads in Excel with a two-row header: "Имя" merged down, "Телефон" merged over "Рабочий" and "Мобильный"."""
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["Имя", "Телефон", None, "E-mail", None])
    sheet.append([None, "Рабочий", "Мобильный", "Рабочий", "Личный"])
    sheet.merge_cells("A1:A2")
    sheet.merge_cells("B1:C1")
    sheet.merge_cells("D1:E1")
    sheet.append(["Иван", "+7 495 109-63-75", "+7 916 555-12-12", "ivan@work.ru", "ivan@home.ru"])
    sheet.append(["Мария", None, "8 903 111 22 33", None, "maria@mail.ru"])
    path = tmp_path / "two-rows.xlsx"
    workbook.save(path)
    return path


@pytest.fixture
def utf16_companies(tmp_path) -> Path:
    """Companies saved by Excel as "Unicode text": UTF-16 with a byte-order mark, tab-separated."""
    rows = [
        ["Название компании", "Телефон", "Сайт", "ИНН", "Годовой оборот", "Комментарий"],
        ["ООО «Вектор»", "+7 343 222-33-44", "https://vektor.ru/", "6671000001", "12 500 000", "Урал"],
        ["АО Север", "8 (8152) 55-66-77", "", "5190000002", "1,234,567.89", ""],
        ["", "+7 343 000-00-01", "", "", "", "нет названия"],
    ]
    return write_csv(tmp_path / "companies.txt", rows, encoding="utf-16", delimiter="\t")
