"""`batch`: up to 50 commands in one request, with `$result[cmd][...]` references and `halt`.

The batch is one call, so one transaction (protocol.run); each command runs in a savepoint of
its own: a refused command is rolled back alone, the others commit together at the end.
"""

import re
from typing import Any

from voronka.b24 import protocol
from voronka.b24.parsing import param, parse_query, php_truthy
from voronka.b24.protocol import B24Error, Call, method

LIMIT = 50
NOT_IN_BATCH = {"batch", "upload", "download"}
_REFERENCE = re.compile(r"\$(result|next|total|time|error)((?:\[[^\]]*\])+)", re.IGNORECASE)
_KEY = re.compile(r"\[([^\]]*)\]")


class Unresolved(Exception):
    """A reference names a command or key that gave nothing."""


def php_map(entries: dict[str, Any]) -> Any:
    """Serialise like PHP: [] when empty, a list for keys "0".."n-1" in order, else an object."""
    if not entries:
        return []
    if list(entries) == [str(i) for i in range(len(entries))]:
        return list(entries.values())
    return entries


def _follow(sections: dict[str, dict[str, Any]], match: re.Match) -> Any:
    section = sections[match.group(1).lower()]
    keys = _KEY.findall(match.group(2))
    if not keys or keys[0] not in section:
        raise Unresolved(match.group(0))
    value = section[keys[0]]
    for key in keys[1:]:
        if isinstance(value, dict) and key in value:
            value = value[key]
        elif isinstance(value, list) and key.isdigit() and int(key) < len(value):
            value = value[int(key)]
        else:
            raise Unresolved(match.group(0))
    return value


def _resolve(value: Any, sections: dict[str, dict[str, Any]]) -> Any:
    if isinstance(value, dict):
        return {_resolve(k, sections): _resolve(v, sections) for k, v in value.items()}
    if isinstance(value, list):
        return [_resolve(v, sections) for v in value]
    if not isinstance(value, str) or "$" not in value:
        return value
    whole = _REFERENCE.fullmatch(value)
    if whole:
        return _follow(sections, whole)

    def scalar(match: re.Match) -> str:
        found = _follow(sections, match)
        if isinstance(found, dict | list):
            return match.group(0)
        if isinstance(found, bool):
            return "1" if found else ""
        return str(found)

    return _REFERENCE.sub(scalar, value)


def _commands(raw: Any) -> list[tuple[str, Any]]:
    if isinstance(raw, dict):
        return [(str(k), v) for k, v in raw.items()]
    if isinstance(raw, list):
        return [(str(i), v) for i, v in enumerate(raw)]
    raise protocol.bad_argument("Parameter 'cmd' must be array.")


def _one(call: Call, command: str, sections: dict[str, dict[str, Any]]) -> protocol.Outcome:
    name, _q, query = command.partition("?")
    target = protocol.find(name)
    if target is None:
        return protocol.Outcome(error=protocol.method_not_found())
    if target.name.lower() in NOT_IN_BATCH:
        return protocol.Outcome(
            error=B24Error(
                "ERROR_BATCH_METHOD_NOT_ALLOWED", "Method is not allowed for batch usage", status=405
            )
        )
    webhook = call.webhook
    if webhook is not None and target.scope and target.scope not in webhook.scopes:
        return protocol.Outcome(
            error=B24Error(
                "insufficient_scope",
                "The request requires higher privileges than provided by the webhook token",
            )
        )
    try:
        params = _resolve(parse_query(query), sections)
    except Unresolved as unresolved:
        return protocol.Outcome(
            error=B24Error("ERROR_BATCH_REFERENCE", f"Cannot resolve the reference {unresolved}.")
        )
    return protocol.run(target, Call(user=call.user, webhook=webhook, params=params, name=target.name))


@method("batch", scope=None)
def batch(call: Call) -> dict[str, Any]:
    halt = php_truthy(param(call.params, "halt", 0))
    sections: dict[str, dict[str, Any]] = {"result": {}, "error": {}, "total": {}, "next": {}, "time": {}}
    for index, (key, command) in enumerate(_commands(param(call.params, "cmd", {}))):
        if not isinstance(command, str):
            continue
        if index >= LIMIT:
            sections["error"][key] = {
                "error": "ERROR_BATCH_LENGTH_EXCEEDED",
                "error_description": f"Max batch length exceeded ({LIMIT})",
            }
            continue
        outcome = _one(call, command, sections)
        if outcome.error is not None:
            sections["error"][key] = protocol.error_body(outcome.error)
            if halt:
                break
            continue
        sections["result"][key] = outcome.result
        sections["time"][key] = outcome.time
        if outcome.total is not None:
            sections["total"][key] = outcome.total
        if outcome.next is not None:
            sections["next"][key] = outcome.next
    return {
        "result": php_map(sections["result"]),
        "result_error": php_map(sections["error"]),
        "result_total": php_map(sections["total"]),
        "result_next": php_map(sections["next"]),
        "result_time": php_map(sections["time"]),
    }
