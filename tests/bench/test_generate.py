"""The benchmarks' data generator writes rows the way the services would."""

import datetime as dt

import pytest
from django.db.models import F, Max, OuterRef, Subquery

from bench import generate
from tests.crm.test_stays import expected_stays, stored_stays
from voronka.activities.models import Activity
from voronka.crm.models import Communication, Contact, Deal, Lead, Pipeline, StageHistory
from voronka.lib.text import search_key

pytestmark = pytest.mark.django_db

SCALE = 0.0002  # 200 leads, 200 deals, 20 companies, 200 contacts, 400 activities


def _last(field: str):
    return Subquery(
        StageHistory.objects.filter(**{field: OuterRef("pk")})
        .order_by("-moved_at", "-pk")
        .values("to_stage")[:1]
    )


def test_counts_shapes_and_history_match_the_items():
    made = generate.load(SCALE, seed=3, log=lambda *a, **k: None)
    _check(made, generate.counts(SCALE))


def _check(made: dict, want: dict) -> None:
    assert (Lead.objects.count(), Deal.objects.count()) == (want["leads"], want["deals"])
    assert Activity.objects.count() == want["activities"]
    assert Contact.objects.filter(source_description="bench-intake").count() == want["contacts"]
    assert StageHistory.objects.count() == made["history"] > want["deals"] + want["leads"]
    assert Pipeline.objects.filter(kind="deal").count() >= 3
    # Every item's current stage is where its history ends, at the time it says.
    assert not Deal.objects.annotate(last=_last("deal")).exclude(stage_id=F("last")).exists()
    assert not Lead.objects.annotate(last=_last("lead")).exclude(status_id=F("last")).exists()
    for deal in Deal.objects.annotate(moved=Max("stage_history__moved_at"))[:50]:
        assert deal.stage_changed_at == deal.moved
        assert deal.is_closed == deal.stage.closes_items == (deal.closed_at is not None)
    lead = Lead.objects.first()
    assert lead.search_text and lead.search_text == lead.search_text.lower()
    phone = Communication.objects.filter(lead=lead, kind="phone").get()
    assert phone.normalized.startswith("+7916")


def test_above_the_generated_share_the_rest_are_copies_made_in_sql(monkeypatch):
    monkeypatch.setattr(generate, "GENERATED", SCALE / 2)
    assert generate.parts(SCALE) == (SCALE / 2, 2)
    made = generate.load(SCALE, seed=3, log=lambda *a, **k: None)
    part = generate.counts(SCALE / 2)
    _check(made, {key: count * 2 for key, count in part.items()})
    n = part["deals"]
    # The copy of deal i is deal n + i: the same walk, SHIFT seconds earlier, its own number.
    for original in Deal.objects.filter(pk__lte=5):
        copy = Deal.objects.get(pk=original.pk + n)
        assert copy.title == original.title.replace(f"#{original.pk}", f"#{copy.pk}")
        assert copy.search_text == search_key(copy.title)
        assert (copy.stage_id, copy.amount, copy.assigned_to_id) == (
            original.stage_id, original.amount, original.assigned_to_id
        )  # fmt: skip
        assert copy.created_at == original.created_at - dt.timedelta(seconds=generate.SHIFT)
        walk = list(StageHistory.objects.filter(deal=original).values_list("to_stage", "moved_at"))
        assert list(StageHistory.objects.filter(deal=copy).values_list("to_stage", "moved_at")) == [
            (stage, moved - dt.timedelta(seconds=generate.SHIFT)) for stage, moved in walk
        ]
    # Copied leads and contacts get the phones, e-mails and search text of their own number.
    for lead in Lead.objects.filter(pk__gt=part["leads"])[:5]:
        phones = list(
            Communication.objects.filter(lead=lead).order_by("sort").values_list("normalized", flat=True)
        )
        assert phones[0] == f"+7916{lead.pk:07d}"
        assert lead.search_text == search_key(
            lead.title, phones[0], phones[0][1:], f"lead{lead.pk}@example.ru"
        )
    for contact in Contact.objects.filter(pk__gt=part["contacts"])[:5]:
        i = contact.pk - 1
        assert contact.first_name == f"Client{i}"
        assert contact.search_text == search_key(
            f"Client{i}", "Bench", f"+{79_000_000_000 + i}", f"bench{i}@example.com"
        )
        assert {c.normalized for c in contact.communications.all()} == {
            f"+{79_000_000_000 + i}",
            f"bench{i}@example.com",
        }
    normalized = Communication.objects.values_list("normalized", flat=True)
    assert len(set(normalized)) == len(normalized)  # no phone or e-mail twice
    assert stored_stays() == expected_stays()  # the copies' stays too


def test_the_same_seed_gives_the_same_rows():
    generate.load(SCALE, seed=5, log=lambda *a, **k: None)
    first = list(Deal.objects.order_by("pk").values_list("stage_id", "amount")[:100])
    assert len(set(first)) > 10  # not all alike
    assert generate.counts(1) == generate.FULL


def test_the_history_rows_carry_their_stays_and_the_triggers_run_again():
    # given
    generate.load(SCALE, seed=7, log=lambda *a, **k: None)
    # then: every row's left_at, won_at and lost_at as the reports define them
    assert stored_stays() == expected_stays()
    assert StageHistory.objects.filter(left_at__isnull=False).exists()
    # when: a row is added after the load
    deal = Deal.objects.filter(is_closed=False).first()
    last = StageHistory.objects.filter(deal=deal).order_by("-moved_at", "-pk").first()
    StageHistory.objects.create(
        deal=deal, pipeline_id=last.pipeline_id, to_stage_id=last.to_stage_id, moved_at=last.moved_at
    )
    # then
    assert stored_stays() == expected_stays()
