"""import_history: a newly imported item takes the stage history it had in another CRM."""

import datetime as dt

import pytest
from django.utils import timezone

from voronka.crm.services.history import import_history
from voronka.crm.services.leads import create_lead
from voronka.crm.services.stages import move
from voronka.lib.errors import Invalid, Refused

pytestmark = pytest.mark.django_db


def test_the_creation_row_is_replaced_by_the_imported_history(lead_statuses, system, manager):
    new, working = lead_statuses.stages.get(code="NEW"), lead_statuses.stages.get(code="IN_PROCESS")
    lead = create_lead(actor=system, title="From Bitrix24", status=working)
    then = timezone.now() - dt.timedelta(days=30)

    import_history(lead, [(working, then + dt.timedelta(days=2), manager), (new, then, None)], actor=system)

    rows = list(lead.stage_history.order_by("moved_at"))
    assert [(r.from_stage_id, r.to_stage_id, r.moved_at, r.moved_by) for r in rows] == [
        (None, new.pk, then, None),
        (new.pk, working.pk, then + dt.timedelta(days=2), manager),
    ]


def test_an_item_with_a_history_of_its_own_or_a_wrong_end_is_refused(lead_statuses, system, manager):
    new, working = lead_statuses.stages.get(code="NEW"), lead_statuses.stages.get(code="IN_PROCESS")
    lead = create_lead(actor=system, title="Here", status=new)
    with pytest.raises(Invalid):
        import_history(lead, [(working, timezone.now(), None)], actor=system)
    move(lead, to=working, actor=system)
    with pytest.raises(Refused):
        import_history(lead, [(new, timezone.now(), None), (working, timezone.now(), None)], actor=system)
    assert lead.stage_history.count() == 2
