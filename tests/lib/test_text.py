import pytest

from voronka.lib.text import company_key, fold


@pytest.mark.parametrize(
    "spelling", ["ООО «Ромашка»", 'ооо "ромашка"', "Ромашка, ООО", "  РОМАШКА  ", "ромашка ооо."]
)
def test_company_spellings_meet(spelling):
    assert company_key(spelling) == "ромашка"


def test_fold_treats_yo_as_ye():
    assert fold("Ёлкин  Пётр") == "елкин петр"
