"""Fixtures of the Bitrix24 dialect tests: a webhook of the manager and a client that calls it."""

import json

import pytest

from voronka.b24 import throttle
from voronka.b24.services import create_webhook


@pytest.fixture(autouse=True)
def empty_buckets():
    throttle.reset()
    yield
    throttle.reset()


@pytest.fixture
def hook(manager):
    _webhook, code = create_webhook(user=manager, actor=manager)
    return f"/rest/{manager.pk}/{code}/"


@pytest.fixture
def admin_hook(admin):
    _webhook, code = create_webhook(user=admin, actor=admin)
    return f"/rest/{admin.pk}/{code}/"


class Rest:
    """Calls methods through the Django test client and returns (status, body)."""

    def __init__(self, client, base):
        self.client = client
        self.base = base

    def __call__(self, name, params=None, *, base=None):
        response = self.client.post(
            (base or self.base) + name, data=json.dumps(params or {}), content_type="application/json"
        )
        assert response["Content-Type"].startswith("application/json")
        return response.status_code, response.json()

    def ok(self, name, params=None, *, base=None):
        status, body = self(name, params, base=base)
        assert status == 200, body
        return body["result"]


@pytest.fixture
def rest(client, hook):
    return Rest(client, hook)


@pytest.fixture
def admin_rest(client, admin_hook):
    return Rest(client, admin_hook)
