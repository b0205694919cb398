"""Fixtures of the web UI tests: signed-in clients and a few items."""

import pytest
from django.test import Client

from voronka.crm.services.deals import create_deal
from voronka.crm.services.leads import create_lead
from voronka.web import totals


@pytest.fixture(autouse=True)
def fresh_board_totals():
    """Tests roll back instead of committing, so no event clears the cached closed-column totals."""
    totals.forget()
    yield
    totals.forget()


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def admin_client(admin):
    return signed_in(admin)


@pytest.fixture
def manager_client(manager):
    return signed_in(manager)


@pytest.fixture
def outsider_client(outsider):
    return signed_in(outsider)


@pytest.fixture
def lead(manager):
    return create_lead(actor=manager, title="Pumps for the dairy", phones=["+7 495 109 63 75"], amount="1500")


@pytest.fixture
def deal(manager, general_pipeline):
    return create_deal(actor=manager, title="Valve delivery", pipeline=general_pipeline, amount="25000")
