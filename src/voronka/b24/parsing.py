"""Reading a Bitrix24 request: PHP bracket syntax, JSON bodies, case-insensitive names.

`parse_query("fields[PHONE][0][VALUE]=1&select[]=ID")` gives
{"fields": {"PHONE": [{"VALUE": "1"}]}, "select": ["ID"]}: `[]` appends, and a mapping whose
keys are exactly "0".."n-1" becomes a list (a PHP array is both).
"""

import json
import re
from typing import Any
from urllib.parse import unquote_plus

from django.http import HttpRequest

_SEGMENT = re.compile(r"\[([^\]]*)\]")


class MalformedRequest(ValueError):
    """The body cannot be read (bad JSON, a non-object JSON body)."""


def parse_pairs(pairs: list[tuple[str, str]]) -> dict[str, Any]:
    """Build nested parameters from (key, value) pairs with PHP bracket keys."""
    root: dict[str, Any] = {}
    for key, value in pairs:
        _assign(root, key, value)
    return _listify(root)


def parse_query(text: str) -> dict[str, Any]:
    """Parse a query string the way PHP's parse_str does."""
    pairs = []
    for part in text.split("&"):
        if not part:
            continue
        key, _eq, value = part.partition("=")
        pairs.append((unquote_plus(key), unquote_plus(value)))
    return parse_pairs(pairs)


def _assign(root: dict[str, Any], key: str, value: Any) -> None:
    head, bracket, rest = key.partition("[")
    if not head:
        return
    if not bracket:
        root[head] = value
        return
    path = [head, *_SEGMENT.findall("[" + rest)]
    node = root
    for index, part in enumerate(path[:-1]):
        if part == "":
            part = str(len(node))
        following = node.get(part)
        if not isinstance(following, dict):
            following = {}
            node[part] = following
        node = following
        path[index] = part
    last = path[-1]
    if last == "":
        last = str(len(node))
    node[last] = value


def _listify(value: Any) -> Any:
    if isinstance(value, dict):
        converted = {k: _listify(v) for k, v in value.items()}
        if converted and list(converted) == [str(i) for i in range(len(converted))]:
            return list(converted.values())
        return converted
    if isinstance(value, list):
        return [_listify(v) for v in value]
    return value


def request_params(request: HttpRequest) -> dict[str, Any]:
    """Return the query and body parameters merged (the body wins)."""
    params = parse_query(request.META.get("QUERY_STRING", ""))
    if request.method != "POST":
        return params
    content_type = request.content_type or ""
    if content_type == "application/json":
        raw = request.body
        if raw.strip():
            try:
                body = json.loads(raw)
            except (ValueError, UnicodeDecodeError) as error:
                raise MalformedRequest(str(error)) from None
            if not isinstance(body, dict):
                raise MalformedRequest("the JSON body is not an object")
            params.update(body)
    elif content_type == "multipart/form-data":
        pairs = [(key, value) for key, values in request.POST.lists() for value in values]
        params.update(parse_pairs(pairs))
    else:
        params.update(parse_query(request.body.decode("utf-8", "replace")))
    return params


def param(params: dict[str, Any], name: str, default: Any = None) -> Any:
    """Return a top-level parameter by its name in any case (`fields`, `FIELDS`, `Fields`...)."""
    if name in params:
        return params[name]
    lowered = name.lower()
    for key, value in params.items():
        if isinstance(key, str) and key.lower() == lowered:
            return value
    return default


def as_list(value: Any) -> list[Any]:
    """Return a list for a PHP array given as a list, a "0".."n-1" mapping or one value."""
    if value is None or value == "":
        return []
    if isinstance(value, list):
        return value
    if isinstance(value, dict):
        return list(value.values())
    return [value]


def flag(value: Any, default: bool = False) -> bool:
    """Read a Bitrix24 flag: Y/N, true/false in any case, 1/0, JSON booleans; empty is `default`."""
    if value is None or value == "":
        return default
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("y", "yes", "true", "1", "on"):
        return True
    if text in ("n", "no", "false", "0", "off", "none"):
        return False
    return default


def php_truthy(value: Any) -> bool:
    """PHP's truth of a parameter (batch `halt`); "N"/"false" count as false here, unlike PHP."""
    if isinstance(value, str):
        return flag(value, default=bool(value))
    return bool(value)


def php_query(params: dict[str, Any], prefix: str = "") -> str:
    """Encode nested parameters as PHP's http_build_query does (the inverse of parse_query)."""
    from urllib.parse import quote

    parts: list[str] = []
    for key, value in params.items():
        name = f"{prefix}[{key}]" if prefix else str(key)
        if isinstance(value, dict):
            parts.append(php_query(value, name))
        elif isinstance(value, list):
            parts.append(php_query({str(i): v for i, v in enumerate(value)}, name))
        else:
            text = "" if value is None else ("Y" if value is True else "N" if value is False else str(value))
            parts.append(f"{quote(name, safe='[]')}={quote(text, safe='')}")
    return "&".join(part for part in parts if part)
