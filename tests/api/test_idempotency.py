import pytest

from voronka.api.models import ApiIdempotencyKey
from voronka.crm.models import Lead

pytestmark = pytest.mark.django_db

KEY = {"Idempotency-Key": "6a3b1f0e-8c1d-4c55-9d1e-1b2f3a4c5d6e"}


def test_a_retried_post_creates_nothing_twice_and_replays_the_answer(api, manager):
    # given
    body = {"title": "Pumps for the farm", "phones": ["+7 495 109 63 75"]}
    first = api.post("/leads", body, user=manager, headers=KEY)

    # when
    second = api.post("/leads", body, user=manager, headers=KEY)

    # then
    assert first.status_code == second.status_code == 201
    assert second.content == first.content
    assert second["Idempotent-Replayed"] == "true"
    assert Lead.objects.count() == 1


def test_the_same_key_with_another_request_is_refused(api, manager):
    api.post("/leads", {"title": "A"}, user=manager, headers=KEY)

    response = api.post("/leads", {"title": "B"}, user=manager, headers=KEY)

    assert response.status_code == 409
    assert response.json()["error"]["code"] == "idempotency.key_reused"
    assert list(Lead.objects.values_list("title", flat=True)) == ["A"]


def test_a_failed_request_keeps_no_key_so_the_retry_runs_again(api, manager):
    bad = api.post("/leads", {"title": "A", "phones": ["not a phone"]}, user=manager, headers=KEY)
    assert bad.status_code == 422
    assert not ApiIdempotencyKey.objects.exists()

    retry = api.post("/leads", {"title": "A", "phones": ["not a phone"]}, user=manager, headers=KEY)

    assert retry.status_code == 422
    assert "Idempotent-Replayed" not in retry


def test_keys_belong_to_one_token(api, manager, colleague):
    api.post("/leads", {"title": "A"}, user=manager, headers=KEY)

    response = api.post("/leads", {"title": "A"}, user=colleague, headers=KEY)

    assert response.status_code == 201
    assert Lead.objects.count() == 2


def test_a_malformed_key_is_a_bad_request(api, manager):
    response = api.post("/leads", {"title": "A"}, user=manager, headers={"Idempotency-Key": "x" * 300})

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "idempotency.bad_key"
    assert not Lead.objects.exists()


def test_bulk_creates_are_idempotent_too(api, manager):
    body = {"items": [{"title": "A"}, {"title": "B"}]}

    api.post("/leads/bulk", body, user=manager, headers=KEY)
    api.post("/leads/bulk", body, user=manager, headers=KEY)

    assert Lead.objects.count() == 2


def test_expired_keys_are_purged_and_may_be_used_again(api, manager, settings):
    import datetime as dt

    from django.utils import timezone

    api.post("/leads", {"title": "A"}, user=manager, headers=KEY)
    ApiIdempotencyKey.objects.update(
        created_at=timezone.now() - dt.timedelta(hours=settings.API_IDEMPOTENCY_HOURS + 1)
    )

    response = api.post("/leads", {"title": "B"}, user=manager, headers=KEY)

    assert response.status_code == 201
    assert Lead.objects.count() == 2
    assert ApiIdempotencyKey.objects.count() == 1
