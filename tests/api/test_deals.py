import pytest

from voronka.crm.models import Deal
from voronka.crm.services.deals import create_deal
from voronka.crm.services.pipelines import create_pipeline

pytestmark = pytest.mark.django_db


@pytest.fixture
def wholesale(admin):
    return create_pipeline(
        name="Wholesale", actor=admin, stages=[("Qualified", "open"), ("Won", "won"), ("Price", "lost")]
    )


def test_a_deal_is_created_in_a_pipeline_at_a_stage_given_by_code(api, manager, wholesale):
    response = api.post(
        "/deals", {"title": "Pumps", "pipeline_id": wholesale.pk, "amount": "12 500,00"}, user=manager
    )
    staged = api.post("/deals", {"title": "Valves", "stage": "PREPARATION"}, user=manager)

    assert response.status_code == 201
    body = response.json()
    assert (body["pipeline_id"], body["stage"]["name"], body["amount"]) == (
        wholesale.pk,
        "Qualified",
        "12500.00",
    )
    assert staged.json()["stage"]["code"] == "PREPARATION"


def test_a_stage_of_another_pipeline_is_refused(api, manager, wholesale, general_pipeline):
    stage = general_pipeline.stages.get(code="PREPARATION")

    response = api.post(
        "/deals", {"title": "X", "pipeline_id": wholesale.pk, "stage_id": stage.pk}, user=manager
    )

    assert response.status_code == 422
    assert not Deal.objects.exists()


def test_deals_of_a_pipeline(api, manager, wholesale):
    create_deal(actor=manager, title="General deal")
    create_deal(actor=manager, title="Wholesale deal", pipeline=wholesale)

    response = api.get("/deals", user=manager, params={"pipeline_id": wholesale.pk})

    assert [item["title"] for item in response.json()["items"]] == ["Wholesale deal"]


def test_moving_a_deal_and_reading_its_history(api, manager, general_pipeline):
    deal = create_deal(actor=manager, title="Pumps")

    api.post(f"/deals/{deal.pk}/move", {"stage": "PREPARATION"}, user=manager)
    lost = api.post(f"/deals/{deal.pk}/move", {"stage": "LOSE", "reason": "Too expensive"}, user=manager)
    moved_again = api.post(f"/deals/{deal.pk}/move", {"stage": "EXECUTING"}, user=manager)
    history = api.get(f"/deals/{deal.pk}/history", user=manager).json()["items"]

    assert (lost.json()["stage"]["code"], lost.json()["is_closed"]) == ("LOSE", True)
    assert moved_again.json()["error"]["code"] == "stage.item_closed"
    assert [row["to_stage"]["code"] for row in history] == ["NEW", "PREPARATION", "LOSE"]
    assert history[-1]["reason"] == "Too expensive"


def test_a_closed_deal_is_reopened_by_who_may_move_back(api, manager, head):
    deal = create_deal(actor=manager, title="Pumps")
    api.post(f"/deals/{deal.pk}/move", {"stage": "WON"}, user=manager)

    refused = api.post(f"/deals/{deal.pk}/reopen", {"reason": "signed twice"}, user=manager)
    reopened = api.post(f"/deals/{deal.pk}/reopen", {"reason": "signed twice"}, user=head)

    assert refused.status_code == 409
    assert (reopened.status_code, reopened.json()["is_closed"]) == (200, False)


def test_a_deal_changes_pipeline(api, manager, wholesale):
    deal = create_deal(actor=manager, title="Pumps")

    response = api.post(f"/deals/{deal.pk}/pipeline", {"pipeline_id": wholesale.pk}, user=manager)

    assert (response.json()["pipeline_id"], response.json()["stage"]["name"]) == (wholesale.pk, "Qualified")


def test_unknown_fields_are_refused_not_dropped(api, manager):
    response = api.post("/deals", {"title": "X", "phones": ["+7 495 109 63 75"]}, user=manager)

    assert response.status_code == 422
    assert "phones" in response.json()["error"]["details"]
    assert not Deal.objects.exists()


def test_linking_a_client_outside_the_scope_is_refused(api, manager, outsider):
    from voronka.crm.services.clients import create_contact

    theirs = create_contact(actor=outsider, first_name="Hidden")

    response = api.post("/deals", {"title": "X", "contact_id": theirs.pk}, user=manager)

    assert response.status_code == 422
    assert response.json()["error"]["details"] == {"contact_id": "Unknown."}


def test_bulk_deals(api, manager, wholesale):
    response = api.post(
        "/deals/bulk", {"items": [{"title": "A"}, {"title": "B", "pipeline_id": wholesale.pk}]}, user=manager
    )

    assert response.status_code == 201
    assert [item["pipeline_id"] for item in response.json()["items"]][1] == wholesale.pk
