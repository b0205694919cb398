import pytest
from django.core.management import CommandError, call_command
from django.test import Client

from voronka.accounts.models import ApiToken

pytestmark = pytest.mark.django_db


def _run(*args) -> str:
    from io import StringIO

    out = StringIO()
    call_command("token", *args, stdout=out)
    return out.getvalue()


def test_token_create_prints_a_working_token_once(manager):
    output = _run("create", "--user", "ivanov", "--name", "1C sync", "--quiet")
    raw = output.strip()

    token = ApiToken.objects.get()
    assert (token.user, token.name, token.is_read_only) == (manager, "1C sync", False)
    response = Client().get("/api/v1/leads", headers={"Authorization": f"Bearer {raw}"})
    assert response.status_code == 200
    assert raw not in _run("list")


def test_token_create_read_only_and_revoke(manager):
    raw = _run("create", "--user", "ivanov", "--read-only", "--quiet").strip()
    token = ApiToken.objects.get()
    assert token.is_read_only

    _run("revoke", token.prefix)

    token.refresh_from_db()
    assert token.revoked_at is not None
    assert Client().get("/api/v1/leads", headers={"Authorization": f"Bearer {raw}"}).status_code == 401
    assert "revoked" in _run("list", "--user", "ivanov")


def test_token_create_for_an_unknown_user_fails_cleanly(db):
    with pytest.raises(CommandError):
        _run("create", "--user", "nobody")


def test_the_admin_shows_a_new_token_once(admin, manager, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    client = Client()
    client.force_login(admin)

    response = client.post(
        "/admin/accounts/apitoken/add/",
        {"user": manager.pk, "name": "zapier", "is_read_only": "on"},
        follow=True,
    )

    token = ApiToken.objects.get()
    messages = [str(m) for m in response.context["messages"]]
    raw = next(m for m in messages if "not shown again" in m).rsplit(" ", 1)[-1]
    assert sum(raw in m for m in messages) == 1
    assert raw.startswith(token.prefix) and len(raw) > 40
    assert (token.user, token.is_read_only, token.created_by) == (manager, True, admin)
    assert Client().get("/api/v1/leads", headers={"Authorization": f"Bearer {raw}"}).status_code == 200
