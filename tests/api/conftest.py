"""Fixtures for the API tests: a client that signs requests with each user's token."""

import json
from typing import Any

import pytest
from django.test import Client

from voronka.accounts.services import create_token, system_user


class ApiClient:
    """Django's test client speaking JSON with `Authorization: Bearer <token>`."""

    def __init__(self) -> None:
        self.client = Client()
        self.tokens: dict[tuple[int, bool], str] = {}

    def token(self, user, *, read_only: bool = False) -> str:
        key = (user.pk, read_only)
        if key not in self.tokens:
            _token, raw = create_token(user=user, actor=system_user(), read_only=read_only)
            self.tokens[key] = raw
        return self.tokens[key]

    def _headers(self, user, token: str | None, read_only: bool, headers: dict | None) -> dict[str, str]:
        result = dict(headers or {})
        if token is None and user is not None:
            token = self.token(user, read_only=read_only)
        if token is not None:
            result["Authorization"] = f"Bearer {token}"
        return result

    def request(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        user=None,
        token: str | None = None,
        read_only: bool = False,
        headers: dict | None = None,
        params: dict | None = None,
    ):
        url = path if path.startswith("/api/") else f"/api/v1{path}"
        call = getattr(self.client, method.lower())
        if method.upper() in ("GET", "DELETE", "HEAD"):
            return call(url, params or {}, headers=self._headers(user, token, read_only, headers))
        data = body if isinstance(body, str | bytes) else json.dumps(body if body is not None else {})
        return call(
            url, data, content_type="application/json", headers=self._headers(user, token, read_only, headers)
        )

    def get(self, path: str, **kwargs):
        return self.request("GET", path, **kwargs)

    def post(self, path: str, body: Any = None, **kwargs):
        return self.request("POST", path, body, **kwargs)

    def patch(self, path: str, body: Any = None, **kwargs):
        return self.request("PATCH", path, body, **kwargs)

    def put(self, path: str, body: Any = None, **kwargs):
        return self.request("PUT", path, body, **kwargs)

    def delete(self, path: str, **kwargs):
        return self.request("DELETE", path, **kwargs)


@pytest.fixture
def api(db) -> ApiClient:
    return ApiClient()


@pytest.fixture(autouse=True)
def fast_passwords(settings):
    """Users with passwords are made in many API tests: hash them cheaply."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
