"""Sources of requests."""

from typing import Any

from ninja import Schema

from voronka.api.schemas.common import Input, ShortText


class SourceOut(Schema):
    id: int
    code: str
    name: str
    sort: int
    is_active: bool


class SourceList(Schema):
    items: list[SourceOut]


class SourceIn(Input):
    name: ShortText
    code: ShortText = ""


class SourcePatch(Input):
    name: ShortText | None = None
    is_active: bool | None = None


def source_dict(source) -> dict[str, Any]:
    return {
        "id": source.pk,
        "code": source.code,
        "name": source.title,
        "sort": source.sort,
        "is_active": source.is_active,
    }
