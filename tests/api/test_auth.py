import hashlib
from types import SimpleNamespace

import pytest

from voronka.accounts.models import ApiToken
from voronka.accounts.services import create_token, revoke_token, system_user
from voronka.crm.models import Lead

pytestmark = pytest.mark.django_db


def test_without_a_token_the_answer_is_401_in_the_error_shape(api):
    response = api.get("/leads")

    assert response.status_code == 401
    assert response.json()["error"]["code"] == "auth.required"
    assert set(response.json()["error"]) == {"code", "message", "details"}
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_bearer_and_token_schemes_both_work(api, manager):
    raw = api.token(manager)

    assert api.get("/leads", headers={"Authorization": f"Bearer {raw}"}).status_code == 200
    assert api.get("/leads", headers={"Authorization": f"Token {raw}"}).status_code == 200
    assert api.get("/leads", headers={"Authorization": f"Basic {raw}"}).status_code == 401


def test_a_token_is_stored_only_as_its_sha256(manager):
    token, raw = create_token(user=manager, actor=manager, name="zapier")

    stored = ApiToken.objects.get(pk=token.pk)
    assert stored.token_hash == hashlib.sha256(raw.encode()).hexdigest()
    assert raw not in {stored.prefix, stored.token_hash, stored.name}
    assert raw.startswith(stored.prefix)


def test_a_revoked_token_stops_working(api, manager):
    token, raw = create_token(user=manager, actor=manager)
    assert api.get("/leads", token=raw).status_code == 200

    revoke_token(token, actor=manager)

    response = api.get("/leads", token=raw)
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "auth.invalid_token"


def test_the_token_of_a_deactivated_user_stops_working(api, manager):
    raw = api.token(manager)
    manager.is_active = False
    manager.save()

    assert api.get("/leads", token=raw).status_code == 401


def test_a_read_only_token_reads_but_cannot_write(api, manager):
    assert api.get("/leads", user=manager, read_only=True).status_code == 200

    response = api.post("/leads", {"title": "X"}, user=manager, read_only=True)

    assert response.status_code == 403
    assert response.json()["error"]["code"] == "token.read_only"
    assert not Lead.objects.exists()


def test_use_records_the_last_used_time(api, manager):
    token, raw = create_token(user=manager, actor=system_user())
    assert token.last_used_at is None

    api.get("/leads", token=raw)

    token.refresh_from_db()
    assert token.last_used_at is not None


def test_only_administrators_create_tokens_for_other_people(manager, colleague, admin):
    from voronka.lib.errors import Forbidden

    with pytest.raises(Forbidden):
        create_token(user=colleague, actor=manager)
    token, _raw = create_token(user=colleague, actor=admin)
    assert token.user == colleague


def test_the_rate_limit_answers_429_with_retry_after(api, manager, settings):
    settings.API_RATE_LIMIT = "3/min"

    statuses = [api.get("/leads", user=manager).status_code for _ in range(4)]

    assert statuses == [200, 200, 200, 429]
    response = api.get("/leads", user=manager)
    assert response.status_code == 429
    assert response.json()["error"]["code"] == "rate_limited"
    assert 1 <= int(response["Retry-After"]) <= 60


def test_the_rate_limit_is_per_token(api, manager, colleague, settings):
    settings.API_RATE_LIMIT = "2/min"
    for _ in range(3):
        api.get("/leads", user=manager)

    assert api.get("/leads", user=colleague).status_code == 200


def test_answers_carry_the_rate_limit_headers(api, manager, settings, monkeypatch):
    settings.API_RATE_LIMIT = "10/min"
    # both requests in the middle of one window, however slow the machine is
    monkeypatch.setattr("voronka.api.services.time", SimpleNamespace(time=lambda: 1_000_020.0))

    first = api.get("/leads", user=manager)
    second = api.get("/leads", user=manager)

    assert first["X-RateLimit-Limit"] == "10"
    assert (first["X-RateLimit-Remaining"], second["X-RateLimit-Remaining"]) == ("9", "8")


@pytest.mark.parametrize(
    ("text", "requests", "seconds"),
    [("3000/min", 3000, 60), ("50/s", 50, 1), ("100/10s", 100, 10), ("10000/h", 10000, 3600)],
)
def test_rate_limits_are_read_from_the_setting(text, requests, seconds):
    from voronka.api.services import parse_rate

    assert (parse_rate(text).requests, parse_rate(text).seconds) == (requests, seconds)


def test_a_new_window_starts_a_new_count(manager, settings):
    from voronka.api.services import count_request

    settings.API_RATE_LIMIT = "3000/min"
    token, _raw = create_token(user=manager, actor=manager)
    first = [count_request(token, now=1_000_000.0 + i).remaining for i in range(3)]
    later = count_request(token, now=1_000_000.0 + 3600)

    assert first == [2999, 2998, 2997]
    assert later.remaining == 2999


def test_a_token_read_again_gives_fresh_objects_and_follows_the_users_row(manager, admin):
    from voronka.accounts.models import Role
    from voronka.accounts.rights import department_user_ids, scope_for
    from voronka.accounts.selectors import active_token

    _token, raw = create_token(user=manager, actor=system_user())
    first = active_token(raw)
    department_user_ids(first.user)  # kept on that user object only
    first.user.first_name = "changed in memory"

    second = active_token(raw)

    assert second is not first and second.user is not first.user and second.user is second.user
    assert second.user.first_name == manager.first_name and second.user.pk == manager.pk
    assert not hasattr(second.user, "_voronka_department_users")
    assert not second.user._state.adding and second.token_hash == first.token_hash
    # A change of the user's row (here its role) shows at the next request.
    before = scope_for(second.user, "lead", "delete")
    manager.role = Role.objects.get(code="administrator")
    manager.save(update_fields=["role"])
    third = active_token(raw)
    assert third.user.role_id == manager.role_id
    assert scope_for(third.user, "lead", "delete") != before
