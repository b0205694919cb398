from decimal import Decimal

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from voronka.crm.events import ItemCreated, StageChanged
from voronka.crm.models import Communication, Company, Contact, Deal, Lead, StageHistory, TimelineEntry
from voronka.crm.selectors.pipelines import get_pipeline_stage
from voronka.crm.services.bulk import ItemInput, Outcome, create_bulk
from voronka.crm.services.clients import create_company, create_contact
from voronka.crm.services.leads import create_lead

pytestmark = pytest.mark.django_db


def lead_row(ref, **values):
    return ItemInput(ref=ref, values=values)


def test_bulk_lead_is_written_like_create_lead_writes_it(manager, lead_statuses):
    # given: the same lead, once through create_lead and once in bulk
    single = create_lead(
        actor=manager,
        first_name="Anna",
        last_name="Orlova",
        phones=["8 (495) 109-63-75"],
        emails=["A@Mail.ru"],
        amount="1 234,50",
        source="CALL",
    )
    Lead.objects.filter(pk=single.pk).delete()

    # when
    [result] = create_bulk(
        "lead",
        [
            lead_row(
                1,
                first_name="Anna",
                last_name="Orlova",
                phones=["8 (495) 109-63-75"],
                emails=["A@Mail.ru"],
                amount="1 234,50",
                source="CALL",
            )
        ],
        actor=manager,
    )

    # then
    assert result.outcome == Outcome.CREATED
    lead = Lead.objects.get(pk=result.item_id)
    for name in (
        "title",
        "first_name",
        "last_name",
        "amount",
        "currency",
        "status_id",
        "source_id",
        "assigned_to_id",
        "created_by_id",
        "is_closed",
        "is_repeat",
        "search_text",
        "custom",
    ):
        assert getattr(lead, name) == getattr(single, name), name
    assert sorted(lead.communications.values_list("kind", "label", "value", "normalized", "sort")) == [
        ("email", "work", "A@Mail.ru", "a@mail.ru", 0),
        ("phone", "work", "8 (495) 109-63-75", "+74951096375", 0),
    ]
    [entry] = lead.stage_history.all()
    assert (entry.to_stage_id, entry.from_stage_id, entry.moved_by_id, entry.assigned_to_id) == (
        single.status_id,
        None,
        manager.pk,
        manager.pk,
    )
    assert list(lead.timeline.values_list("kind", flat=True)) == ["created"]


def test_bulk_publishes_stage_changed_and_item_created_per_item(manager, lead_statuses, published):
    results = create_bulk("lead", [lead_row(1, title="One"), lead_row(2, title="Two")], actor=manager)

    first, second = (r.item_id for r in results)
    entries = dict(StageHistory.objects.values_list("lead_id", "pk"))
    new = lead_statuses.stages.get(code="NEW")
    assert published == [
        StageChanged(
            kind="lead",
            item_id=first,
            entry_id=entries[first],
            from_stage_id=None,
            to_stage_id=new.pk,
            actor_id=manager.pk,
        ),
        ItemCreated(kind="lead", item_id=first, actor_id=manager.pk),
        StageChanged(
            kind="lead",
            item_id=second,
            entry_id=entries[second],
            from_stage_id=None,
            to_stage_id=new.pk,
            actor_id=manager.pk,
        ),
        ItemCreated(kind="lead", item_id=second, actor_id=manager.pk),
    ]


def test_a_bad_row_fails_alone_with_every_wrong_field(manager, lead_statuses):
    results = create_bulk(
        "lead",
        [
            lead_row(1, title="Fine"),
            lead_row(2, title="Bad", amount="lots", phones=["12"], emails=["nope"]),
            lead_row(3, title="Also fine"),
        ],
        actor=manager,
    )

    assert [r.outcome for r in results] == [Outcome.CREATED, Outcome.FAILED, Outcome.CREATED]
    assert set(results[1].error.details) == {"amount", "phones.0", "emails.0"}
    assert Lead.objects.count() == 2


def test_duplicates_in_the_database_and_in_the_batch_are_skipped(manager, lead_statuses):
    # given
    existing = create_lead(actor=manager, title="Known", phones=["+7 495 109-63-75"])

    # when
    results = create_bulk(
        "lead",
        [
            lead_row(1, title="Same phone", phones=["8 495 1096375"]),
            lead_row(2, title="New", emails=["new@example.com"]),
            lead_row(3, title="Repeats row 2", emails=["NEW@example.com"]),
        ],
        actor=manager,
        on_duplicate="skip",
    )

    # then
    assert [(r.outcome, r.item_id) for r in results] == [
        (Outcome.SKIPPED, existing.pk),
        (Outcome.CREATED, results[1].item_id),
        (Outcome.SKIPPED, results[1].item_id),
    ]
    assert Lead.objects.count() == 2


def test_merge_fills_empty_fields_of_the_existing_and_of_earlier_rows(manager, lead_statuses):
    # given
    existing = create_lead(actor=manager, title="Known", phones=["+7 495 109-63-75"])

    # when
    results = create_bulk(
        "lead",
        [
            lead_row(
                1, title="Other title", phones=["8 495 1096375"], emails=["k@example.com"], position="CEO"
            ),
            lead_row(2, title="New", emails=["new@example.com"]),
            lead_row(3, emails=["new@example.com"], phones=["+7 812 000-00-01"], position="CTO"),
        ],
        actor=manager,
        on_duplicate="merge",
    )

    # then
    assert [r.outcome for r in results] == [Outcome.MERGED, Outcome.CREATED, Outcome.MERGED]
    existing.refresh_from_db()
    assert (existing.title, existing.position) == ("Known", "CEO")
    assert set(existing.communications.values_list("normalized", flat=True)) == {
        "+74951096375",
        "k@example.com",
    }
    new = Lead.objects.get(pk=results[1].item_id)
    assert results[2].item_id == new.pk
    assert new.position == "CTO"
    assert set(new.communications.values_list("normalized", flat=True)) == {"new@example.com", "+78120000001"}


def test_refuse_policy_fails_the_duplicate_row(manager, lead_statuses):
    create_lead(actor=manager, title="Known", emails=["k@example.com"])

    [result] = create_bulk(
        "lead", [lead_row(1, emails=["k@example.com"])], actor=manager, on_duplicate="refuse"
    )

    assert result.outcome == Outcome.FAILED
    assert result.error.code == "duplicate.found"


def test_rows_for_a_responsible_outside_the_actors_create_scope_fail(intern, outsider, lead_statuses):
    results = create_bulk(
        "lead",
        [lead_row(1, title="Mine"), lead_row(2, title="Theirs", assigned_to=outsider.pk)],
        actor=intern,
    )

    assert [r.outcome for r in results][1] == Outcome.FAILED
    assert results[1].error.code == "rights.create"
    assert not Lead.objects.filter(title="Theirs").exists()


def test_bulk_deals_enter_the_history_with_their_stage_and_closed_stages_close(manager, general_pipeline):
    won = get_pipeline_stage(general_pipeline, code="WON")
    company = create_company(actor=manager, title="Romashka")

    results = create_bulk(
        "deal",
        [
            ItemInput(ref=1, values={"title": "Pumps", "amount": "10"}, stage=won),
            ItemInput(ref=2, values={"company": company.pk}),
            ItemInput(ref=3, values={"company": company.pk}),
        ],
        actor=manager,
    )

    deals = [Deal.objects.get(pk=r.item_id) for r in results]
    assert (deals[0].stage_id, deals[0].is_closed, deals[0].amount) == (won.pk, True, Decimal("10.00"))
    assert deals[0].closed_at is not None
    assert [StageHistory.objects.get(deal=d).to_stage_id for d in deals] == [d.stage_id for d in deals]
    assert (deals[1].title, deals[1].is_repeat, deals[2].is_repeat) == ("Romashka", False, True)


def test_unknown_company_link_fails_the_row(manager, general_pipeline):
    [result] = create_bulk("deal", [ItemInput(ref=1, values={"company": 999999})], actor=manager)

    assert (result.outcome, result.error.code) == (Outcome.FAILED, "link.unknown")


def test_contacts_and_companies_in_bulk_follow_the_client_rules(manager):
    create_contact(actor=manager, first_name="Old", phones=["+7 495 109-63-75"])

    contacts = create_bulk(
        "contact",
        [
            ItemInput(ref=1, values={"position": "nobody"}),
            ItemInput(ref=2, values={"phones": ["84951096375"]}),
        ],
        actor=manager,
        on_duplicate="skip",
    )
    companies = create_bulk(
        "company",
        [ItemInput(ref=1, values={"title": "ООО «Ромашка»"}), ItemInput(ref=2, values={"title": "Ромашка"})],
        actor=manager,
        on_duplicate="skip",
    )

    assert contacts[0].error.code == "contact.name_required"
    assert contacts[1].outcome == Outcome.SKIPPED
    assert [r.outcome for r in companies] == [Outcome.CREATED, Outcome.SKIPPED]
    assert Company.objects.get().title_key == "ромашка"
    assert Contact.objects.count() == 1


def test_import_job_is_named_on_the_timeline(manager, lead_statuses):
    [result] = create_bulk("lead", [lead_row(7, title="x")], actor=manager, import_job_id=42)

    entry = TimelineEntry.objects.get(lead_id=result.item_id)
    assert (entry.kind, entry.data) == ("import", {"import_job": 42, "row": 7})


@pytest.mark.parametrize("count", [5, 60])
def test_bulk_query_count_does_not_grow_with_rows(
    count, manager, lead_statuses, django_assert_max_num_queries
):
    rows = [
        lead_row(i, title=f"L{i}", phones=[f"+7 495 100-{i:02d}-{i % 10}0"], emails=[f"l{i}@example.com"])
        for i in range(count)
    ]
    with django_assert_max_num_queries(20):
        results = create_bulk("lead", rows, actor=manager, on_duplicate="skip")
    assert {r.outcome for r in results} == {Outcome.CREATED}
    assert Communication.objects.count() == 2 * count


def test_a_batch_in_a_transaction_writes_without_a_savepoint(manager, lead_statuses):
    # given: an import batch's transaction (SQLite would copy every page the batch changes into a
    # savepoint's journal and walk it at each stage-history row: the import slowed as the file grew)
    rows = [lead_row(i, title=f"L{i}", phones=[f"+7 495 200-{i:02d}-00"]) for i in range(3)]
    # when
    with transaction.atomic(), CaptureQueriesContext(connection) as captured:
        results = create_bulk("lead", rows, actor=manager, on_duplicate="skip")
    # then
    assert {r.outcome for r in results} == {Outcome.CREATED}
    assert not [q["sql"] for q in captured.captured_queries if "SAVEPOINT" in q["sql"].upper()]


def test_leads_of_one_company_are_not_duplicates_of_each_other(manager, lead_statuses):
    results = create_bulk(
        "lead",
        [
            lead_row(1, title="A", company_title="ООО Ромашка", phones=["+7 495 000-00-01"]),
            lead_row(2, title="B", company_title="Ромашка", phones=["+7 495 000-00-02"]),
        ],
        actor=manager,
        on_duplicate="skip",
    )

    assert [r.outcome for r in results] == [Outcome.CREATED, Outcome.CREATED]
