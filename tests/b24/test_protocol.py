"""The Bitrix24 protocol: URL forms, parsing, envelope, errors, paging, batch, throttling."""

import json

import pytest

from voronka.b24.models import InboundWebhook
from voronka.b24.parsing import parse_query
from voronka.b24.services import create_webhook, update_webhook
from voronka.crm.models import Lead
from voronka.crm.services.leads import create_lead

pytestmark = pytest.mark.django_db

TIME_KEYS = {"start", "finish", "duration", "processing", "date_start", "date_finish"}


def test_php_bracket_syntax_builds_nested_lists_and_mappings():
    parsed = parse_query(
        "fields[TITLE]=A+%26+B&fields[PHONE][0][VALUE]=%2B7%20900&fields[PHONE][0][VALUE_TYPE]=WORK"
        "&select[]=ID&select[]=TITLE&filter[%3EOPPORTUNITY]=10&filter[@ID][0]=1&filter[@ID][1]=2&flag&"
    )
    assert parsed == {
        "fields": {"TITLE": "A & B", "PHONE": [{"VALUE": "+7 900", "VALUE_TYPE": "WORK"}]},
        "select": ["ID", "TITLE"],
        "filter": {">OPPORTUNITY": "10", "@ID": ["1", "2"]},
        "flag": "",
    }


def test_the_code_is_stored_hashed_and_shown_once(manager):
    webhook, code = create_webhook(user=manager, actor=manager, scopes="crm")
    assert code not in webhook.code_hash and len(code) == 16
    assert InboundWebhook.objects.get().scopes == ["crm"]


@pytest.mark.parametrize(
    "suffix", ["crm.lead.list", "crm.lead.list.json", "crm.lead.list/", "CRM.Lead.List.json/"]
)
def test_every_url_form_and_case_answers_without_redirect(client, hook, suffix):
    for response in (client.get(hook + suffix), client.post(hook + suffix)):
        assert response.status_code == 200
        assert response["Content-Type"] == "application/json; charset=utf-8"
        assert response["Access-Control-Allow-Origin"] == "*"
        body = response.json()
        assert body["result"] == [] and body["total"] == 0
        assert set(body["time"]) == TIME_KEYS
        assert "operating" not in body["time"]


def test_form_and_multipart_bodies_with_brackets(client, hook, manager):
    client.post(
        hook + "crm.lead.add",
        "fields[TITLE]=Form&fields[PHONE][0][VALUE]=%2B79001112233&fields[OPPORTUNITY]=150",
        content_type="application/x-www-form-urlencoded",
    )
    client.post(hook + "crm.lead.add", {"fields[TITLE]": "Multipart", "fields[EMAIL][0][VALUE]": "a@b.ru"})
    form, multipart = Lead.objects.order_by("pk")
    assert (form.title, form.amount, form.communications.get().normalized) == ("Form", 150, "+79001112233")
    assert (multipart.title, multipart.communications.get().value) == ("Multipart", "a@b.ru")


def test_parameter_names_are_case_insensitive_and_unknown_ones_ignored(rest):
    lead_id = rest.ok("crm.lead.add", {"FIELDS": {"TITLE": "Upper"}, "__order": "order0000000000"})
    assert rest.ok("crm.lead.get", {"ID": lead_id})["TITLE"] == "Upper"
    assert rest.ok("crm.lead.get", {"id": str(lead_id)})["ID"] == str(lead_id)


def test_unknown_method_is_404_before_credentials_are_checked(client, manager):
    response = client.post("/rest/1/wrong/crm.nothing")
    assert response.status_code == 404
    assert response.json() == {"error": "ERROR_METHOD_NOT_FOUND", "error_description": "Method not found!"}


def test_bad_code_inactive_webhook_and_missing_auth_are_401(client, manager, hook):
    assert (
        client.post(f"/rest/{manager.pk}/0000000000000000/crm.lead.list").json()["error"]
        == "INVALID_CREDENTIALS"
    )
    webhook = InboundWebhook.objects.get()
    update_webhook(webhook, actor=manager, is_active=False)
    response = client.post(hook + "crm.lead.list")
    assert response.status_code == 401
    assert response.json()["error"] == "INVALID_CREDENTIALS"
    response = client.post("/rest/crm.lead.list")
    assert (response.status_code, response.json()["error"]) == (401, "NO_AUTH_FOUND")


def test_a_method_outside_the_scopes_is_refused(client, manager):
    _webhook, code = create_webhook(user=manager, actor=manager, scopes=["user"])
    response = client.post(f"/rest/{manager.pk}/{code}/crm.lead.list")
    assert (response.status_code, response.json()["error"]) == (401, "insufficient_scope")
    assert client.post(f"/rest/{manager.pk}/{code}/user.current").status_code == 200


def test_classic_errors_are_400_with_an_empty_code_and_no_time(rest):
    status, body = rest("crm.lead.get", {"id": 0})
    assert (status, body) == (400, {"error": "", "error_description": "ID is not defined or invalid."})
    status, body = rest("crm.lead.get", {"id": 12345})
    assert (status, body) == (400, {"error": "", "error_description": "Not found"})
    status, body = rest("crm.lead.add", {"fields": "nope"})
    assert (status, body["error_description"]) == (400, "Parameter 'fields' must be array.")
    status, body = rest("crm.item.get", {"entityTypeId": 1, "id": 12345})
    assert (status, body["error"]) == (400, "NOT_FOUND")


def test_a_malformed_json_body_is_400(client, hook):
    response = client.post(hook + "crm.lead.list", "{nope", content_type="application/json")
    assert response.status_code == 400
    assert response.json()["error"] == "ERROR_ARGUMENT"


def test_the_leaky_bucket_answers_503_query_limit_exceeded(client, hook, settings):
    settings.B24_RATE_LIMIT = "3/0.001"
    statuses = [client.post(hook + "server.time").status_code for _ in range(5)]
    assert statuses == [200, 200, 200, 503, 503]
    assert client.post(hook + "server.time").json() == {
        "error": "QUERY_LIMIT_EXCEEDED",
        "error_description": "Too many requests",
    }


def test_rows_outside_the_users_scope_are_invisible(rest, outsider):
    create_lead(actor=outsider, title="Not yours")
    assert rest.ok("crm.lead.list") == []
    lead = Lead.objects.get()
    assert rest("crm.lead.get", {"id": lead.pk})[0] == 400
    assert rest("crm.lead.update", {"id": lead.pk, "fields": {"TITLE": "Mine"}})[0] == 400
    assert Lead.objects.get().title == "Not yours"


# --- Paging ----------------------------------------------------------------------------------


@pytest.fixture
def many_leads(manager):
    return [create_lead(actor=manager, title=f"L{n:03}") for n in range(120)]


def test_pages_of_50_with_next_and_exact_total(rest, many_leads):
    _status, first = rest("crm.lead.list", {"select": ["ID"]})
    assert (len(first["result"]), first["next"], first["total"]) == (50, 50, 120)
    assert [int(r["ID"]) for r in first["result"]] == sorted(lead.pk for lead in many_leads)[:50]
    _status, last = rest("crm.lead.list", {"select": ["ID"], "start": 110})
    assert (len(last["result"]), last["total"]) == (20, 120)  # classic start is floored to 100
    assert "next" not in last


def test_negative_start_skips_the_count(rest, many_leads):
    ordered = sorted(lead.pk for lead in many_leads)
    _status, body = rest(
        "crm.lead.list",
        {"order": {"ID": "ASC"}, "filter": {">ID": ordered[59]}, "select": ["ID"], "start": -1},
    )
    assert [int(r["ID"]) for r in body["result"]] == ordered[60:110]
    assert "next" not in body and body["total"] == 0


def test_crm_item_list_pages_by_exact_offset(rest, many_leads):
    _status, body = rest("crm.item.list", {"entityTypeId": 1, "start": 110, "order": {"id": "ASC"}})
    assert len(body["result"]["items"]) == 10
    assert body["total"] == 120


# --- batch -----------------------------------------------------------------------------------


def test_batch_resolves_references_and_keeps_command_order(rest):
    result = rest.ok(
        "batch",
        {
            "halt": 0,
            "cmd": {
                "lead": "crm.lead.add?fields[TITLE]=Batch&fields[PHONE][0][VALUE]=%2B79005550000",
                "read": "crm.lead.get?id=$result[lead]",
                "list": "crm.lead.list?filter[ID]=$result[read][ID]&select[0]=ID&select[1]=PHONE",
                "phone": "crm.lead.list?filter[PHONE]=$result[list][0][PHONE][0][VALUE]",
            },
        },
    )
    assert list(result["result"]) == ["lead", "read", "list", "phone"]
    assert result["result"]["read"]["TITLE"] == "Batch"
    assert result["result"]["phone"][0]["ID"] == str(result["result"]["lead"])
    assert result["result_total"] == {"list": 1, "phone": 1}
    assert result["result_error"] == [] and result["result_next"] == []
    assert set(result["result_time"]["read"]) == TIME_KEYS


def test_batch_with_numeric_keys_answers_lists_and_halts_on_error(rest):
    result = rest.ok("batch", {"halt": True, "cmd": ["server.time", "crm.lead.get?id=999", "server.time"]})
    assert isinstance(result["result"], list) and len(result["result"]) == 1
    assert result["result_error"] == {"1": {"error": "", "error_description": "Not found"}}
    result = rest.ok("batch", {"halt": 0, "cmd": ["server.time", "crm.lead.get?id=999", "server.time"]})
    assert result["result"] == {"0": result["result"]["0"], "2": result["result"]["2"]}


def test_batch_refuses_nesting_unknown_methods_and_over_50_commands(rest):
    result = rest.ok(
        "batch",
        {"cmd": {"a": "batch?cmd[0]=server.time", "b": "crm.nope", "c": "crm.lead.get?id=$result[zz]"}},
    )
    assert result["result_error"]["a"]["error"] == "ERROR_BATCH_METHOD_NOT_ALLOWED"
    assert result["result_error"]["b"]["error"] == "ERROR_METHOD_NOT_FOUND"
    assert result["result_error"]["c"]["error"] == "ERROR_BATCH_REFERENCE"
    result = rest.ok("batch", {"cmd": {f"c{n}": "server.time" for n in range(52)}})
    assert len(result["result"]) == 50
    assert set(result["result_error"]) == {"c50", "c51"}
    assert result["result_error"]["c50"]["error"] == "ERROR_BATCH_LENGTH_EXCEEDED"


def test_batch_by_form_encoding_with_percent_encoded_references(client, hook):
    body = (
        "halt=0&cmd[a]=crm.lead.add%3Ffields%5BTITLE%5D%3DX&cmd[b]=crm.lead.get%3Fid%3D%2524result%255Ba%255D"
    )
    response = client.post(hook + "batch", body, content_type="application/x-www-form-urlencoded")
    result = response.json()["result"]
    assert result["result"]["b"]["TITLE"] == "X", json.dumps(result)


def test_operating_time_is_reported_only_when_switched_on(rest, settings):
    _status, body = rest("server.time")
    assert "operating" not in body["time"]
    settings.B24_OPERATING_TIME = True
    rest("server.time")
    _status, body = rest("server.time")
    assert body["time"]["operating"] >= body["time"]["processing"]
    assert body["time"]["operating_reset_at"] > body["time"]["start"]
