import pytest

from voronka.crm.models import Lead

pytestmark = pytest.mark.django_db


def test_a_body_that_is_not_json_is_a_400_in_the_error_shape(api, manager):
    response = api.post("/leads", "{not json", user=manager)

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "request.malformed"


def test_a_nul_character_is_refused_before_it_reaches_the_database(api, manager):
    response = api.post("/leads", {"title": "a\x00b"}, user=manager)

    assert response.status_code == 400
    assert not Lead.objects.exists()


def test_a_nul_character_in_the_query_is_refused(api, manager):
    response = api.get("/leads", user=manager, params={"q": "a\x00b"})

    assert response.status_code == 400


def test_schema_errors_name_the_fields(api, manager):
    response = api.post("/leads", {"title": 5, "amount": {"x": 1}, "on_duplicate": "whatever"}, user=manager)

    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "request.invalid"
    assert {"title", "on_duplicate"} <= set(error["details"])


def test_unknown_paths_answer_404_in_the_error_shape(api, manager):
    response = api.get("/no-such-thing", user=manager)

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_a_huge_id_is_invalid_not_a_crash(api, manager):
    response = api.get(f"/leads/{10**30}", user=manager)

    assert response.status_code == 422


def test_messages_follow_the_accept_language(api, manager):
    response = api.get("/leads/999", user=manager, headers={"Accept-Language": "ru"})

    assert response.status_code == 404
    assert response.json()["error"]["message"] != "Lead not found."


def test_the_openapi_document_and_the_docs_are_served(api):
    document = api.get("/openapi.json")
    docs = api.get("/docs")

    assert document.status_code == 200
    assert "/api/v1/leads/{lead_id}/move" in document.json()["paths"]
    assert docs.status_code == 200
    assert b"swagger" in docs.content.lower()
    assert b"cdn.jsdelivr" not in docs.content
