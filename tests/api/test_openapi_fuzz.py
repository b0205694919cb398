"""Schemathesis against /api/v1/openapi.json: no 5xx on any input, every answer matches the schema.

The examples are bounded (FUZZ_EXAMPLES per operation) to keep the run short; the data the
operations work on is a small CRM built through the services, so ids hit real items.
"""

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from voronka.crm.services.deals import create_deal
from voronka.crm.services.leads import create_lead
from voronka.wsgi import application

FUZZ_EXAMPLES = 6
# Generating 500-item bodies is slow: the bulk operations get fewer examples.
BULK_EXAMPLES = 3
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


BULK = r"/bulk$"


def load_schema():
    """Load the OpenAPI document (at collection: it needs no database)."""
    loaded = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", application)
    loaded.config.generation.update(modes=[schemathesis.GenerationMode.POSITIVE], deterministic=True)
    # The coverage phase (every boundary of every field) costs minutes on this many operations;
    # the bounded fuzzing phase keeps the suite short on both databases.
    loaded.config.phases.coverage.enabled = False
    return loaded


schema = load_schema().exclude(path_regex=BULK)
bulk_schema = load_schema().include(path_regex=BULK)
HYPOTHESIS = {
    "deadline": None,
    "suppress_health_check": [
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.filter_too_much,
    ],
}


pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def keep_the_test_connection():
    """The WSGI app closes the database connection after each request; Django's test client
    avoids that, and so must requests sent straight to the app inside a test transaction."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def crm(admin, manager, settings):
    settings.API_RATE_LIMIT = "1000000/min"
    for index in range(3):
        create_lead(actor=manager, title=f"Lead {index}", phones=[f"+7 495 100 00 0{index}"])
        create_deal(actor=manager, title=f"Deal {index}")


@schema.parametrize()
@settings(max_examples=FUZZ_EXAMPLES, **HYPOTHESIS)
def test_no_server_errors_and_answers_match_the_schema(case, crm, api, admin):
    case.call_and_validate(headers={"Authorization": f"Bearer {api.token(admin)}"}, checks=CHECKS)


@bulk_schema.parametrize()
@settings(max_examples=BULK_EXAMPLES, **HYPOTHESIS)
def test_bulk_creates_answer_by_the_schema_too(case, crm, api, admin):
    case.call_and_validate(headers={"Authorization": f"Bearer {api.token(admin)}"}, checks=CHECKS)
