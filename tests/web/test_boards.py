import datetime as dt
import json
from decimal import Decimal

import pytest
from django.utils import timezone
from freezegun import freeze_time

from voronka.crm.models import StageHistory
from voronka.crm.services.deals import create_deal
from voronka.crm.services.leads import create_lead
from voronka.crm.services.stages import move

pytestmark = pytest.mark.django_db


def _stage(pipeline, code):
    return pipeline.stages.get(code=code)


def test_board_shows_a_column_per_stage_with_count_and_sum(manager_client, manager, general_pipeline):
    # given
    for amount in ("100", "250.50"):
        create_deal(actor=manager, title=f"Deal {amount}", pipeline=general_pipeline, amount=amount)
    # when
    response = manager_client.get("/deals/")
    # then
    columns = response.context["columns"]
    assert [c["stage"].code for c in columns] == [s.code for s in general_pipeline.stages.order_by("sort")]
    first = columns[0]
    assert (first["total"].count, first["total"].amount) == (2, Decimal("350.50"))
    assert "350.50" in response.content.decode().replace("\u202f", "")


@pytest.mark.parametrize("count", [3, 30])
def test_board_query_count_does_not_grow_with_cards(
    count, manager_client, manager, general_pipeline, django_assert_num_queries
):
    for i in range(count):
        create_deal(actor=manager, title=f"D{i}", pipeline=general_pipeline)
    stages = general_pipeline.stages.count()
    # session, user, its role (navigation), rights, department tree, department users, the filter
    # form (users, departments, sources, stages, custom fields), the pipeline, the pipeline tabs,
    # its stages, the totals (one grouped query for the open stages, one for the closing ones),
    # then one keyset page per column (its ids; then, for the one column holding cards, their rows),
    # and the next activities of all the cards at once
    with django_assert_num_queries(18 + stages):
        response = manager_client.get("/deals/")
    assert response.status_code == 200


def test_a_column_loads_twenty_cards_then_the_next_page_by_cursor(manager_client, manager, general_pipeline):
    # given
    deals = [create_deal(actor=manager, title=f"Deal {i:02d}", pipeline=general_pipeline) for i in range(25)]
    first_stage = _stage(general_pipeline, "NEW")
    # when
    board = manager_client.get("/deals/")
    page = board.context["columns"][0]["page"]
    more = manager_client.get(f"/deals/board/column/{first_stage.pk}/", {"cursor": page.next_cursor})
    # then
    assert [d.pk for d in page.items] == [d.pk for d in reversed(deals)][:20]
    rest = more.content.decode()
    assert [f"Deal {i:02d}" in rest for i in range(6)] == [True] * 5 + [False]
    assert "intersect once" not in rest  # the last page has no "more" marker
    assert f'href="/deals/{deals[0].pk}/"' in rest and f'data-move-url="/deals/{deals[0].pk}/move/"' in rest
    assert 'hx-trigger="intersect once"' in board.content.decode()


def test_drop_on_the_next_stage_moves_the_card_and_writes_history(manager_client, lead, lead_statuses):
    # when
    target = _stage(lead_statuses, "IN_PROCESS")
    response = manager_client.post(f"/leads/{lead.pk}/move/", {"stage": target.pk}, HTTP_HX_REQUEST="true")
    # then
    trigger = json.loads(response["HX-Trigger"])
    assert trigger["card-moved"]["to"] == {"stage": target.pk, "count": 1, "sum": "1\u202f500\u00a0₽"}
    assert trigger["card-moved"]["from"]["count"] == 0
    assert f'id="lead-{lead.pk}"' in response.content.decode()
    lead.refresh_from_db()
    assert lead.status == target
    assert StageHistory.objects.filter(lead=lead, to_stage=target).exists()


def test_a_backward_drop_is_refused_with_the_reason_and_changes_nothing(
    manager_client, manager, lead, lead_statuses
):
    # given
    move(lead, to=_stage(lead_statuses, "PROCESSED"), actor=manager)
    # when
    response = manager_client.post(f"/leads/{lead.pk}/move/", {"stage": _stage(lead_statuses, "NEW").pk})
    # then
    refusal = json.loads(response["HX-Trigger"])["card-refused"]
    assert refusal == {"message": "You may not move a lead back to an earlier status.", "needsReason": False}
    lead.refresh_from_db()
    assert lead.status.code == "PROCESSED"
    assert StageHistory.objects.filter(lead=lead).count() == 2


def test_a_drop_on_a_lost_stage_asks_for_the_loss_reason(manager_client, deal, general_pipeline):
    lost = _stage(general_pipeline, "LOSE")
    asked = manager_client.post(f"/deals/{deal.pk}/move/", {"stage": lost.pk})
    assert json.loads(asked["HX-Trigger"])["card-refused"]["needsReason"] is True
    done = manager_client.post(f"/deals/{deal.pk}/move/", {"stage": lost.pk, "reason": "Price"})
    assert "card-moved" in json.loads(done["HX-Trigger"])
    deal.refresh_from_db()
    assert deal.is_closed and deal.stage == lost


def test_a_drop_of_a_lead_on_converted_sends_to_the_conversion_wizard(manager_client, lead, lead_statuses):
    response = manager_client.post(
        f"/leads/{lead.pk}/move/", {"stage": _stage(lead_statuses, "CONVERTED").pk}
    )
    assert json.loads(response["HX-Trigger"])["card-refused"]["redirect"] == f"/leads/{lead.pk}/convert/"


def test_quick_add_puts_a_card_in_the_first_column(manager_client, general_pipeline):
    first = _stage(general_pipeline, "NEW")
    response = manager_client.post(
        f"/deals/board/quick-add/{first.pk}/", {"title": "Quick one", "amount": "10"}
    )
    assert "Quick one" in response.content.decode()
    assert 'href="/deals/' in response.content.decode()
    assert json.loads(response["HX-Trigger"])["card-added"]["count"] == 1


def test_quick_add_without_a_title_is_refused_with_a_toast(manager_client, general_pipeline):
    first = _stage(general_pipeline, "NEW")
    response = manager_client.post(
        f"/deals/board/quick-add/{first.pk}/", {"title": ""}, HTTP_HX_REQUEST="true"
    )
    assert json.loads(response["HX-Trigger"])["toast"]["level"] == "error"
    assert response["HX-Reswap"] == "none"


def test_board_filters_narrow_cards_and_totals(manager_client, manager, colleague, general_pipeline):
    create_deal(actor=manager, title="Mine", pipeline=general_pipeline)
    create_deal(actor=colleague, title="Theirs", pipeline=general_pipeline)
    response = manager_client.get("/deals/", {"responsible": manager.pk})
    first = response.context["columns"][0]
    assert [d.title for d in first["page"].items] == ["Mine"]
    assert first["total"].count == 1


def test_a_lead_board_lists_the_lead_statuses(manager_client, lead):
    response = manager_client.get("/leads/")
    assert [c["stage"].code for c in response.context["columns"]][:3] == ["NEW", "IN_PROCESS", "PROCESSED"]
    assert lead.title in response.content.decode()


def test_lead_created_counts_in_the_first_column(manager_client, manager):
    create_lead(actor=manager, title="One")
    assert manager_client.get("/leads/").context["columns"][0]["total"].count == 1


def test_cards_show_the_next_activity_and_an_overdue_badge(manager_client, manager, deal):
    # given
    from voronka.activities.services.activities import create_activity

    soon = timezone.now() + dt.timedelta(hours=1)
    create_activity(deal, kind="call", actor=manager, deadline=soon, subject="Call about the valves")
    # when
    on_time = manager_client.get("/deals/").content.decode()
    with freeze_time(soon + dt.timedelta(hours=2)):
        late = manager_client.get("/deals/").content.decode()
    # then
    assert "Call about the valves" in on_time and "Overdue" not in on_time
    assert "Overdue" in late
    card = manager_client.get(f"/deals/{deal.pk}/").content.decode()
    assert "Call about the valves" in card


def test_closing_columns_totals_are_cached_until_an_item_changes(manager, general_pipeline, settings):
    # given
    from voronka.crm.selectors.items import visible
    from voronka.web import totals

    settings.BOARD_CLOSED_TOTALS_SECONDS = 60
    stages = list(general_pipeline.stages.order_by("sort"))
    won = general_pipeline.stages.get(code="WON")
    first = totals.board_totals(visible(manager, "deal"), "deal", stages)
    # when: a deal is won without any event reaching this process
    create_deal(actor=manager, title="Won already", pipeline=general_pipeline, stage=won)
    cached = totals.board_totals(visible(manager, "deal"), "deal", stages)
    totals.forget(None)  # what the bus does after the commit
    fresh = totals.board_totals(visible(manager, "deal"), "deal", stages)
    settings.BOARD_CLOSED_TOTALS_SECONDS = 0
    uncached = totals.board_totals(visible(manager, "deal"), "deal", stages)
    # then
    assert first[won.pk].count == cached[won.pk].count == 0
    assert fresh[won.pk].count == uncached[won.pk].count == 1


def test_item_events_clear_the_cached_totals():
    from voronka.crm import events
    from voronka.lib import bus
    from voronka.web import totals

    assert totals.forget in bus.subscribers(events.StageChanged)
    assert totals.forget in bus.subscribers(events.ItemCreated)


def test_a_deal_card_shows_amount_client_responsible_and_date_in_the_users_language(
    manager_client, manager, general_pipeline
):
    # given
    from voronka.crm.services.clients import create_company, create_contact

    company = create_company(actor=manager, title="Ромашка")
    contact = create_contact(actor=manager, first_name="Пётр", last_name="Сидоров", company=company)
    won = _stage(general_pipeline, "WON")
    create_deal(actor=manager, title="Насосы", pipeline=general_pipeline, amount="1234567.50",
                contact=contact, company=company)  # fmt: skip
    create_deal(
        actor=manager, title="Поставка для Ромашка", pipeline=general_pipeline, stage=won, company=company
    )
    manager_client.cookies["django_language"] = "ru"
    # when
    html = manager_client.get("/deals/", headers={"accept-language": "ru"}).content.decode()
    # then: the open deal's card
    open_card = html[html.index('<article class="card"') : html.index("</article>")]
    assert "Насосы" in open_card and "1\u202f234\u202f567,50\u00a0₽" in open_card
    assert "<span>Ромашка</span>" in open_card and "<span>Пётр Сидоров</span>" in open_card
    assert ">II</span><span>Ivan Ivanov</span>" in open_card
    assert timezone.localdate().strftime("%d.%m.%Y") in open_card
    assert "Дел не запланировано" in open_card and 'aria-label="Перенести в…"' in open_card
    # the won deal names its company in the title: not repeated; a closed card asks for no activity
    won_card = html[html.index('id="deal-', html.index("</article>")) :]
    won_card = won_card[: won_card.index("</article>")]
    assert "<span>Ромашка</span>" not in won_card and "Дел не запланировано" not in won_card
