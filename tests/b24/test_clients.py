"""The released Bitrix24 client libraries, unchanged, against a live Voronka.

fast_bitrix24 talks plain HTTP to the live server; b24pysdk only speaks https://, so it goes
through a TLS-terminating proxy with a throw-away CA trusted through REQUESTS_CA_BUNDLE.
"""

import ssl
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlsplit

import pytest
import trustme
from b24pysdk import BitrixWebhook, Client
from b24pysdk.errors import (
    BitrixAPIBadRequest,
    BitrixAPIInvalidCredentials,
    BitrixAPINotFound,
    BitrixAPIQueryLimitExceeded,
)
from fast_bitrix24 import Bitrix

from voronka.b24 import throttle
from voronka.b24.services import create_webhook
from voronka.crm.models import Lead
from voronka.crm.services.leads import create_lead

from .tls import TlsProxy

pytestmark = pytest.mark.django_db(transaction=True)


def in_thread(call, *args, **kwargs):
    """Run a fast_bitrix24 call in a thread of its own.

    Its sync wrapper runs the thread's asyncio loop, and the browser tests' Playwright marks the
    main thread's loop as running between calls; the two must not share a thread.
    """
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(call, *args, **kwargs).result()


@pytest.fixture
def code(manager):
    _webhook, code = create_webhook(user=manager, actor=manager)
    return code


@pytest.fixture
def leads(manager):
    return [create_lead(actor=manager, title=f"Lead {n:03}") for n in range(120)]


@pytest.fixture
def https_domain(live_server, tmp_path, monkeypatch):
    """`localhost:<port>` of a TLS proxy in front of the live server, trusted by requests."""
    ca = trustme.CA()
    certificate = ca.issue_cert("localhost", "127.0.0.1")
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    certificate.configure_cert(context)
    bundle = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(bundle))
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(bundle))
    upstream = urlsplit(live_server.url)
    with TlsProxy((upstream.hostname, upstream.port), context) as proxy:
        yield f"localhost:{proxy.port}"


@pytest.fixture
def sdk(https_domain, manager, code):
    return Client(BitrixWebhook(domain=https_domain, webhook_token=f"{manager.pk}/{code}"))


# --- fast_bitrix24 -------------------------------------------------------------------------


def test_fast_bitrix24_get_all_reads_every_lead_over_several_pages(live_server, manager, code, leads):
    bitrix = Bitrix(f"{live_server.url}/rest/{manager.pk}/{code}/", verbose=False)

    rows = in_thread(bitrix.get_all, "crm.lead.list", {"select": ["ID", "TITLE"]})

    assert len(rows) == 120
    assert sorted(int(r["ID"]) for r in rows) == sorted(lead.pk for lead in leads)
    assert {r["TITLE"] for r in rows} == {lead.title for lead in leads}


def test_fast_bitrix24_call_with_a_list_of_adds_and_get_by_id(live_server, manager, code):
    bitrix = Bitrix(f"{live_server.url}/rest/{manager.pk}/{code}/", verbose=False)

    ids = in_thread(
        bitrix.call,
        "crm.lead.add",
        [
            {
                "fields": {
                    "TITLE": "From a script",
                    "PHONE": [{"VALUE": "+7 900 000-00-01", "VALUE_TYPE": "WORK"}],
                }
            },
            {"fields": {"TITLE": "Second", "OPENED": True, "OPPORTUNITY": 1500}},
        ],
    )
    found = in_thread(bitrix.get_by_ID, "crm.lead.get", ids)

    assert len(ids) == 2
    assert Lead.objects.filter(pk__in=ids).count() == 2
    titles = {str(key): value["TITLE"] for key, value in found.items()}
    assert titles == {str(ids[0]): "From a script", str(ids[1]): "Second"}
    assert found[str(ids[1])]["OPPORTUNITY"] == "1500.00"


def test_fast_bitrix24_call_batch_resolves_references(live_server, manager, code):
    bitrix = Bitrix(f"{live_server.url}/rest/{manager.pk}/{code}/", verbose=False)

    result = in_thread(
        bitrix.call_batch,
        {
            "halt": 0,
            "cmd": {
                "lead": "crm.lead.add?fields[TITLE]=Batch lead",
                "read": "crm.lead.get?id=$result[lead]",
                "deal": "crm.deal.add?fields[TITLE]=For $result[read][TITLE]",
            },
        },
    )

    assert result["read"]["TITLE"] == "Batch lead"
    assert result["read"]["ID"] == str(result["lead"])
    assert isinstance(result["deal"], int)


def test_fast_bitrix24_gets_an_error_for_a_refused_call(live_server, manager, code):
    bitrix = Bitrix(f"{live_server.url}/rest/{manager.pk}/{code}/", verbose=False)

    with pytest.raises(Exception, match="Not found"):
        in_thread(bitrix.call, "crm.lead.get", {"id": 999999})


# --- b24pysdk ------------------------------------------------------------------------------


def test_b24pysdk_as_list_reads_every_lead(sdk, leads):
    rows = sdk.crm.lead.list(select=["ID", "TITLE"]).as_list().result

    assert len(rows) == 120
    assert sorted(int(r["ID"]) for r in rows) == sorted(lead.pk for lead in leads)


def test_b24pysdk_as_list_fast_reads_every_lead(sdk, leads):
    rows = sdk.crm.lead.list(select=["ID", "TITLE"]).as_list_fast().result

    assert sorted(int(r["ID"]) for r in rows) == sorted(lead.pk for lead in leads)


def test_b24pysdk_call_batch(sdk, manager):
    lead = create_lead(actor=manager, title="Known")

    result = sdk.call_batch(
        {"one": sdk.crm.lead.get(bitrix_id=lead.pk), "two": sdk.crm.lead.add(fields={"TITLE": "New"})}
    ).result

    assert result.result["one"]["TITLE"] == "Known"
    assert Lead.objects.get(pk=result.result["two"]).title == "New"


def test_b24pysdk_error_classes(sdk, https_domain, manager, code, settings):
    with pytest.raises(BitrixAPIBadRequest):
        _ = sdk.crm.lead.get(bitrix_id=999999).result
    with pytest.raises(BitrixAPINotFound):
        BitrixWebhook(domain=https_domain, webhook_token=f"{manager.pk}/{code}").call_method(
            "crm.nothing.here"
        )
    stranger = Client(BitrixWebhook(domain=https_domain, webhook_token=f"{manager.pk}/wrongcode0000000"))
    with pytest.raises(BitrixAPIInvalidCredentials):
        _ = stranger.crm.lead.list().result
    settings.B24_RATE_LIMIT = "1/0.0001"
    throttle.reset()
    _ = sdk.server.time().result
    with pytest.raises(BitrixAPIQueryLimitExceeded):
        _ = sdk.server.time().result
