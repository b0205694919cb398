"""A request body parsed from JSON is validated once (ninja validates an extra="forbid" schema
twice, the second time through its reader of ORM objects), with the same errors."""

import pytest
from pydantic import ValidationError, field_validator

from voronka.api.schemas.common import Input


class Probe(Input):
    name: str

    @field_validator("name")
    @classmethod
    def _count(cls, value: str) -> str:
        CALLS.append(value)
        return value


CALLS: list[str] = []


def test_a_json_body_is_validated_once():
    CALLS.clear()

    assert Probe.model_validate({"name": "Pumps"}).name == "Pumps"
    assert CALLS == ["Pumps"]


def test_an_unknown_field_is_still_refused():
    with pytest.raises(ValidationError) as raised:
        Probe.model_validate({"name": "Pumps", "colour": "red"})

    assert [error["type"] for error in raised.value.errors()] == ["extra_forbidden"]


def test_an_object_is_still_read_through_its_attributes():
    class Row:
        name = "Valves"

    assert Probe.model_validate(Row()).name == "Valves"
