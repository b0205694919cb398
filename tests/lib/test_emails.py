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
