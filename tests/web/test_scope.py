"""A manager sees only what the role allows: on boards, lists, cards and search."""

import pytest

from voronka.crm.services.deals import create_deal
from voronka.crm.services.leads import create_lead

pytestmark = pytest.mark.django_db


@pytest.fixture
def items(manager, colleague, outsider, general_pipeline):
    return {
        "mine": create_lead(actor=manager, title="Mine lead ZX1"),
        "colleague": create_lead(actor=colleague, title="Colleague lead ZX2"),
        "foreign": create_lead(actor=outsider, title="Foreign lead ZX3"),
        "mine_deal": create_deal(actor=manager, title="Mine deal ZX4", pipeline=general_pipeline),
        "foreign_deal": create_deal(actor=outsider, title="Foreign deal ZX5", pipeline=general_pipeline),
    }


@pytest.mark.parametrize(
    "url", ["/leads/", "/leads/list/", "/deals/", "/deals/list/", "/search/?q=ZX"], ids=lambda u: u
)
def test_boards_lists_and_search_show_only_the_scope(url, items, manager_client):
    page = manager_client.get(url).content.decode()
    if "lead" in url or "search" in url:
        assert "Mine lead ZX1" in page
        assert "Colleague lead ZX2" in page  # a sub-department is in a manager's scope
        assert "Foreign lead ZX3" not in page
    if "deal" in url or "search" in url:
        assert "Mine deal ZX4" in page
        assert "Foreign deal ZX5" not in page


def test_a_card_outside_the_scope_is_not_found(items, manager_client, admin_client):
    assert manager_client.get(f"/leads/{items['foreign'].pk}/").status_code == 404
    assert manager_client.get(f"/deals/{items['foreign_deal'].pk}/").status_code == 404
    assert manager_client.get(f"/leads/{items['colleague'].pk}/").status_code == 200
    assert admin_client.get(f"/leads/{items['foreign'].pk}/").status_code == 200


def test_actions_on_items_outside_the_scope_are_not_found(items, manager_client):
    foreign = items["foreign"]
    stage = foreign.status.pipeline.stages.get(code="IN_PROCESS")
    assert manager_client.post(f"/leads/{foreign.pk}/move/", {"stage": stage.pk}).status_code == 404
    assert manager_client.post(f"/leads/{foreign.pk}/comment/", {"text": "hi"}).status_code == 404
    assert manager_client.post(f"/leads/{foreign.pk}/delete/").status_code == 404
    foreign.refresh_from_db()
    assert foreign.status.code == "NEW"


def test_the_column_totals_count_only_the_scope(items, manager_client, outsider_client):
    column = manager_client.get("/leads/").context["columns"][0]
    assert column["total"].count == 2
    assert outsider_client.get("/leads/").context["columns"][0]["total"].count == 1


def test_bulk_actions_skip_items_outside_the_scope(items, manager_client):
    foreign = items["foreign"]
    manager_client.post("/leads/bulk/", {"action": "delete", "ids": [foreign.pk]})
    foreign.refresh_from_db()  # still there


def test_settings_are_for_administrators(manager_client, admin_client):
    assert manager_client.get("/settings/pipelines/").status_code == 403
    assert admin_client.get("/settings/pipelines/").status_code == 200
