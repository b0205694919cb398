import pytest
from hypothesis import given
from hypothesis import strategies as st

from voronka.lib.emails import normalize_email, try_normalize_email
from voronka.lib.errors import Invalid

local_parts = st.from_regex(r"[a-zA-Z][a-zA-Z0-9._-]{0,15}[a-zA-Z0-9]", fullmatch=True).filter(
    lambda s: ".." not in s
)
domains = st.sampled_from(["example.com", "Mail.RU", "yandex.ru", "sub.Example.org"])


@given(local=local_parts, domain=domains, pad=st.sampled_from(["", " ", "\t"]))
def test_addresses_normalise_to_lower_case(local, domain, pad):
    address = f"{pad}{local}@{domain}{pad}"
    assert normalize_email(address) == f"{local}@{domain}".lower()


@given(local=local_parts, domain=domains)
def test_case_variants_meet(local, domain):
    assert normalize_email(f"{local.upper()}@{domain.upper()}") == normalize_email(
        f"{local.lower()}@{domain}"
    )


@pytest.mark.parametrize("text", ["", "plain", "a@", "@b.ru", "a b@c.ru", "a@@b.ru", "иван@"])
def test_bad_addresses_are_refused(text):
    with pytest.raises(Invalid):
        normalize_email(text)
    assert try_normalize_email(text) is None


def test_international_domains_are_accepted():
    assert normalize_email("Ivan@Пример.РФ") == "ivan@пример.рф"


plain_addresses = st.builds(
    lambda local, domain: f"{local}@{domain}",
    st.text(alphabet="abcXYZ019._+-", min_size=0, max_size=70),
    st.text(alphabet="abcRU09.-", min_size=0, max_size=30)
    | st.sampled_from(
        ["example.com", "mail.ru", "x.test", "a.local", "host.invalid", "xn--p1ai", "a--b.ru", "1.23"]
    ),
)


@given(address=plain_addresses)
def test_the_quick_path_for_plain_addresses_agrees_with_email_validator(address):
    from email_validator import EmailNotValidError, validate_email

    from voronka.lib.emails import _plain

    try:
        expected = validate_email(address, check_deliverability=False, allow_smtputf8=True).normalized.lower()
    except EmailNotValidError:
        expected = None
    quick = _plain(address)
    if quick is not None:
        assert quick == expected
    assert try_normalize_email(address) == expected
