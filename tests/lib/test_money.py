from decimal import Decimal

import pytest

from voronka.lib.errors import Invalid
from voronka.lib.money import to_amount, to_currency


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1 234,50", "1234.50"),
        ("1,234.50", "1234.50"),
        ("1.234,50", "1234.50"),
        ("1234", "1234.00"),
        ("1,5", "1.50"),
        ("1,234", "1234.00"),
        ("12 345 678,9", "12345678.90"),
        ("1\u00a0000", "1000.00"),
        ("100 руб.", "100.00"),
        ("$99.99", "99.99"),
        ("", "0.00"),
        (None, "0.00"),
        (15, "15.00"),
        (Decimal("2.005"), "2.01"),
    ],
)
def test_amount_spellings(text, expected):
    assert to_amount(text) == Decimal(expected)


@pytest.mark.parametrize("text", ["abc", "1,2,3.4.5", "NaN", True])
def test_bad_amounts_are_refused(text):
    with pytest.raises(Invalid):
        to_amount(text)


def test_huge_amounts_are_refused():
    with pytest.raises(Invalid) as error:
        to_amount("1" * 30)
    assert error.value.code == "amount.too_large"


def test_currencies():
    assert to_currency("usd", default="RUB") == "USD"
    assert to_currency("", default="RUB") == "RUB"
    with pytest.raises(Invalid):
        to_currency("rubles", default="RUB")
