import pytest

from voronka.crm.errors import DuplicateFound
from voronka.crm.events import ItemCreated
from voronka.crm.models import Lead
from voronka.crm.services.batch import MAX_ITEMS, create_many
from voronka.crm.services.leads import create_lead
from voronka.lib.errors import Invalid

pytestmark = pytest.mark.django_db


def test_create_many_makes_every_item_through_its_service(manager, published):
    created = create_many(
        "lead", [{"title": "A", "phones": ["+7 495 000 00 01"]}, {"title": "B"}], actor=manager
    )

    assert [lead.title for lead in created] == ["A", "B"]
    assert [e for e in published if isinstance(e, ItemCreated)] == [
        ItemCreated(kind="lead", item_id=lead.pk, actor_id=manager.pk) for lead in created
    ]


def test_one_refused_item_undoes_all_and_publishes_nothing(manager, django_capture_on_commit_callbacks):
    # given: the second and the third items are refused by their service
    rows = [{"title": "ok"}, {"title": "bad", "phones": ["nope"]}, {"title": "x", "colour": "red"}]

    # when: events go out on commit; the rolled-back ones are dropped with their savepoints
    with django_capture_on_commit_callbacks() as published, pytest.raises(Invalid) as refusal:
        create_many("lead", rows, actor=manager)

    # then
    assert refusal.value.code == "bulk.rejected"
    errors = refusal.value.details["errors"]
    assert (set(errors), errors["1"]["code"], errors["2"]["code"]) == (
        {"1", "2"},
        "communication.invalid",
        "item.invalid",
    )
    assert not Lead.objects.exists()
    assert published == []


def test_create_many_takes_at_most_500(manager):
    with pytest.raises(Invalid) as refusal:
        create_many("lead", [{"title": "x"}] * (MAX_ITEMS + 1), actor=manager)

    assert refusal.value.code == "bulk.too_many"
    assert not Lead.objects.exists()


def test_a_duplicate_outside_the_scope_is_reported_without_saying_which(manager, outsider):
    theirs = create_lead(actor=outsider, title="Secret client", phones=["+7 495 109 63 75"])

    with pytest.raises(DuplicateFound) as refusal:
        create_lead(actor=manager, title="Mine", phones=["8 495 109-63-75"])

    [match] = refusal.value.details["duplicates"]
    assert (match["id"], match["title"], match["matched_by"]) == (None, "", "phone")
    assert "Secret client" not in str(refusal.value.message)
    assert theirs.pk


def test_skip_and_merge_never_reach_an_item_outside_the_scope(manager, outsider):
    theirs = create_lead(actor=outsider, title="Theirs", phones=["+7 495 109 63 75"])

    skipped = create_lead(actor=manager, title="Mine", phones=["+7 495 109 63 75"], on_duplicate="skip")

    assert skipped.pk != theirs.pk
    assert skipped.assigned_to == manager
