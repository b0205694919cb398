"""voronka b24 webhook create/list/disable, and the admin's add form."""

import re

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from voronka.b24.models import InboundWebhook

pytestmark = pytest.mark.django_db


def test_webhook_create_prints_a_working_url_once(manager, client, capsys):
    call_command(
        "b24",
        "webhook",
        "create",
        "--user",
        manager.username,
        "--scope",
        "crm",
        "--base-url",
        "https://crm.test",
    )
    out = capsys.readouterr().out
    url = re.search(r"https://crm\.test(/rest/\d+/\w+/)", out).group(1)
    webhook = InboundWebhook.objects.get()
    assert (webhook.user, webhook.scopes) == (manager, ["crm"])
    assert client.post(url + "crm.lead.list").status_code == 200
    assert client.post(url + "user.current").status_code == 401  # not in the scopes

    call_command("b24", "webhook", "list")
    assert url.split("/")[3] not in capsys.readouterr().out  # the code is never shown again
    call_command("b24", "webhook", "disable", str(webhook.pk))
    assert client.post(url + "crm.lead.list").status_code == 401


def test_webhook_create_refuses_unknown_users_and_scopes(manager):
    with pytest.raises(CommandError):
        call_command("b24", "webhook", "create", "--user", "nobody")
    with pytest.raises(CommandError):
        call_command("b24", "webhook", "create", "--user", manager.username, "--scope", "crm,telephony")
    assert not InboundWebhook.objects.exists()


def test_the_admin_creates_a_webhook_and_shows_its_url(admin, manager, client):
    client.force_login(admin)
    response = client.post(
        "/admin/b24/inboundwebhook/add/",
        {"user": manager.pk, "name": "site", "scopes": '["crm"]', "is_active": "on"},
        follow=True,
    )
    assert response.status_code == 200
    webhook = InboundWebhook.objects.get()
    shown = [str(m) for m in response.context["messages"]]
    assert any(f"/rest/{manager.pk}/" in m for m in shown)
    assert webhook.scopes == ["crm"] and webhook.name == "site"


def test_a_wrong_typed_filter_value_is_a_400_not_a_500(rest):
    status, body = rest("crm.lead.list", {"filter": {"ID": "abc"}})
    assert (status, body["error"]) == (400, "ERROR_ARGUMENT")
