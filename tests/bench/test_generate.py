"""The benchmarks' data generator writes rows the way the services would."""

import pytest
from django.db.models import F, Max, OuterRef, Subquery

from bench import generate
from tests.crm.test_stays import expected_stays, stored_stays
from voronka.activities.models import Activity
from voronka.crm.models import Communication, Contact, Deal, Lead, Pipeline, StageHistory

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
    want = generate.counts(SCALE)
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
