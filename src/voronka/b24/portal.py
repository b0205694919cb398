"""A small client of a Bitrix24 portal's REST dialect (incoming webhook URL), for migrations.

Speaks the same protocol the /rest/ endpoint serves: JSON POSTs to `<webhook><method>.json`,
503 QUERY_LIMIT_EXCEEDED retried with back-off, lists read by ID keyset (`>ID`, `start=-1`),
per-item reads grouped 50 to a `batch`.
"""

import json
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import urllib3

PAGE = 50


class PortalError(Exception):
    """The portal answered an error (or not JSON)."""


class Portal:
    """One portal reached through an incoming webhook URL: https://host/rest/<user>/<code>/."""

    def __init__(self, webhook_url: str, *, timeout: float = 60.0, retries: int = 5):
        url = webhook_url.strip()
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.netloc or "/rest/" not in parts.path:
            raise PortalError(f"Not a webhook URL (https://portal/rest/<user>/<code>/): {webhook_url}")
        self.url = url if url.endswith("/") else url + "/"
        # The portal's identity in the id map: the URL without the secret code.
        path = parts.path.rstrip("/").rsplit("/", 1)[0]
        self.key = f"{parts.scheme}://{parts.netloc}{path}/"
        self.http = urllib3.PoolManager(timeout=urllib3.Timeout(connect=10, read=timeout), retries=False)
        self.retries = retries

    def call(self, method: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
        """Call a method; return the whole answer (result, total, next, time)."""
        body = json.dumps(params or {}).encode()
        for attempt in range(self.retries + 1):
            response = self.http.request(
                "POST", f"{self.url}{method}.json", body=body, headers={"Content-Type": "application/json"}
            )
            if response.status == 503 and attempt < self.retries:
                time.sleep(min(2**attempt, 10))
                continue
            try:
                answer = json.loads(response.data or b"{}")
            except ValueError:
                raise PortalError(f"{method}: HTTP {response.status}, not JSON") from None
            if response.status >= 400 or "error" in answer:
                raise PortalError(f"{method}: {answer.get('error')} {answer.get('error_description')}")
            return answer
        raise PortalError(f"{method}: too many requests")

    def result(self, method: str, params: dict[str, Any] | None = None) -> Any:
        return self.call(method, params)["result"]

    def count(self, method: str, params: dict[str, Any] | None = None) -> int:
        """The `total` of a list method (one page read)."""
        answer = self.call(method, {**(params or {}), "start": 0})
        total = answer.get("total")
        result = answer["result"]
        if total is None:
            return len(result) if isinstance(result, list) else 0
        return int(total)

    def rows(
        self, method: str, params: dict[str, Any] | None = None, *, wrap: str | None = None
    ) -> Iterator[dict]:
        """Every row of a list method, by ID keyset (the fast export pattern)."""
        params = dict(params or {})
        id_key = "id" if wrap == "items" and method.startswith("crm.item") else "ID"
        last = 0
        while True:
            page_params = {
                **params,
                "order": {id_key: "ASC"},
                "filter": {**params.get("filter", {}), f">{id_key}": last},
                "start": -1,
            }
            result = self.result(method, page_params)
            rows = result[wrap] if wrap else result
            yield from rows
            if len(rows) < PAGE:
                return
            last = int(rows[-1][id_key])

    def batch(self, commands: dict[str, tuple[str, dict[str, Any]]]) -> dict[str, Any]:
        """Run {key: (method, params)} in batches of 50; return {key: result} (errors raise)."""
        from voronka.b24.parsing import php_query

        results: dict[str, Any] = {}
        keys = list(commands)
        for start in range(0, len(keys), PAGE):
            chunk = keys[start : start + PAGE]
            cmd = {key: f"{commands[key][0]}?{php_query(commands[key][1])}" for key in chunk}
            answer = self.result("batch", {"halt": 0, "cmd": cmd})
            errors = answer.get("result_error") or {}
            if errors:
                raise PortalError(f"batch: {json.dumps(errors)[:500]}")
            found = answer.get("result") or {}
            if isinstance(found, list):
                found = {str(i): v for i, v in enumerate(found)}
            results.update(found)
        return results
