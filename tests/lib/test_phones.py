import pytest
from hypothesis import given
from hypothesis import strategies as st

from voronka.lib.errors import Invalid
from voronka.lib.phones import normalize_phone, try_normalize_phone

moscow_numbers = st.from_regex(r"495[1-9][0-9]{6}", fullmatch=True)
spellings = st.sampled_from(
    [
        lambda n: f"8{n}",
        lambda n: f"+7{n}",
        lambda n: f"+7 {n}",
        lambda n: f"7{n}",
        lambda n: f"8 ({n[:3]}) {n[3:6]}-{n[6:8]}-{n[8:]}",
        lambda n: f"+7 ({n[:3]}) {n[3:6]} {n[6:8]} {n[8:]}",
        lambda n: f"+7-{n[:3]}-{n[3:6]}-{n[6:8]}-{n[8:]}",
        lambda n: f"  8.{n[:3]}.{n[3:6]}.{n[6:]}  ",
    ]
)


@given(number=moscow_numbers, spell=spellings)
def test_every_common_spelling_normalises_to_one_e164(number, spell):
    assert normalize_phone(spell(number), region="RU") == f"+7{number}"


@given(number=moscow_numbers)
def test_normalising_is_idempotent(number):
    once = normalize_phone(f"8 {number}", region="RU")
    assert normalize_phone(once, region="RU") == once


def test_the_issue_example():
    assert normalize_phone("8 (495) 109-63-75") == "+74951096375"
    assert normalize_phone("+7 495 109 63 75") == "+74951096375"


def test_foreign_numbers_keep_their_country():
    assert normalize_phone("+44 20 7946 0958") == "+442079460958"
    assert normalize_phone("(202) 555-0143", region="US") == "+12025550143"


@pytest.mark.parametrize("text", ["", "   ", "abc", "12", "+7 495", "8 (495) 109-63-75-99-99-99"])
def test_non_numbers_are_refused_with_a_code(text):
    with pytest.raises(Invalid) as error:
        normalize_phone(text)
    assert error.value.code in {"phone.empty", "phone.invalid"}
    assert try_normalize_phone(text) is None


def _by_phonenumbers(text: str) -> str | None:
    import phonenumbers

    try:
        number = phonenumbers.parse(text.strip(), "RU")
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_possible_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


plain_spellings = st.text(alphabet="0123456789 ()-.+", max_size=22) | st.builds(
    lambda prefix, digits, sep: prefix + sep.join([digits[:3], digits[3:6], digits[6:8], digits[8:]]),
    st.sampled_from(["", "8", "7", "+7", "+7 ", "8 ", "+8", "+1", "810", "(", "+7("]),
    st.text(alphabet="0123456789", min_size=8, max_size=12),
    st.sampled_from(["", " ", "-", ".", ") "]),
)


@given(text=plain_spellings)
def test_the_quick_path_for_russian_numbers_agrees_with_phonenumbers(text):
    from voronka.lib.phones import _russian

    quick = _russian(text.strip())
    if quick is not None:
        assert quick == _by_phonenumbers(text)
    assert try_normalize_phone(text, region="RU") == _by_phonenumbers(text)
