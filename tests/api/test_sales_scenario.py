"""A whole sales scenario over the API, as an integration would drive it."""

import pytest

pytestmark = pytest.mark.django_db


def _all_pages(api, path, user, **params):
    items, cursor = [], None
    while True:
        page = api.get(path, user=user, params={**params, **({"cursor": cursor} if cursor else {})}).json()
        items.extend(page["items"])
        cursor = page["next_cursor"]
        if not cursor:
            return items


def test_leads_in_bulk_to_a_won_deal_with_each_role_seeing_its_share(
    api, manager, colleague, outsider, head, intern
):
    # given: 120 leads from two sources, in bulk
    batches = [
        {
            "items": [
                {
                    "title": f"Lead {b}-{i}",
                    "source": "WEB" if i % 3 else "CALL",
                    "phones": [f"+7 916 {b}{i:02d} 00 00"],
                }
                for i in range(60)
            ]
        }
        for b in (1, 2)
    ]
    for batch in batches:
        assert api.post("/leads/bulk", batch, user=manager).status_code == 201

    # when: the web leads are paged through, 25 at a time
    web = _all_pages(api, "/leads", manager, source="WEB", stage="NEW", limit=25, fields="title,source_id")
    assert len(web) == 80 and len({lead["id"] for lead in web}) == 80

    # and one is worked, converted, and its deal won
    lead_id = web[0]["id"]
    assert api.post(f"/leads/{lead_id}/move", {"stage": "IN_PROCESS"}, user=manager).status_code == 200
    converted = api.post(f"/leads/{lead_id}/convert", {"deal": {"amount": 250000}}, user=manager).json()
    pipeline_id = api.get("/pipelines", user=manager, params={"kind": "deal"}).json()["items"][0]["id"]
    deals = api.get("/deals", user=manager, params={"pipeline_id": pipeline_id}).json()["items"]
    assert [deal["id"] for deal in deals] == [converted["deal_id"]]
    for stage in ("PREPARATION", "EXECUTING", "WON"):
        moved = api.post(f"/deals/{converted['deal_id']}/move", {"stage": stage}, user=manager)
        assert moved.status_code == 200, moved.content
    history = api.get(f"/deals/{converted['deal_id']}/history", user=manager).json()["items"]
    lead_history = api.get(f"/leads/{lead_id}/history", user=manager).json()["items"]

    # then
    assert [row["to_stage"]["code"] for row in history] == ["NEW", "PREPARATION", "EXECUTING", "WON"]
    assert [row["to_stage"]["code"] for row in lead_history] == ["NEW", "IN_PROCESS", "CONVERTED"]
    assert api.get(f"/deals/{converted['deal_id']}", user=manager).json()["is_closed"] is True
    # each role sees what it may: the head everything, the manager's own department, others nothing
    assert len(_all_pages(api, "/leads", head, limit=200)) == 120
    assert _all_pages(api, "/leads", outsider) == []
    assert _all_pages(api, "/leads", colleague) == []
    assert _all_pages(api, "/leads", intern) == []
    assert api.get(f"/leads/{lead_id}", user=outsider).status_code == 404
    assert api.get(f"/deals/{converted['deal_id']}", user=outsider).status_code == 404
    assert api.get(f"/deals/{converted['deal_id']}/history", user=intern).status_code == 404
