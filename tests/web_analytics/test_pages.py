"""The analytics pages and JSON endpoints: signed-in users only, the selectors' figures, clear errors."""

import pytest

from tests.analytics.conftest import History

pytestmark = pytest.mark.django_db

PERIOD = {"date_from": "2025-03-01", "date_to": "2025-03-31"}
REPORTS = ["funnel", "time-in-stage", "bottlenecks", "losses", "activities", "sources", "forecast", "review"]


@pytest.fixture
def deals(admin, general_pipeline, intern):
    history = History(admin)
    history.deal(general_pipeline, [("NEW", "2025-03-02 10:00"), ("PREPARATION", "2025-03-03 10:00")])
    history.deal(general_pipeline, [("NEW", "2025-03-05 10:00"), ("LOSE", "2025-03-06 10:00")])
    history.deal(general_pipeline, [("NEW", "2025-03-07 10:00")], assigned_to=intern)


@pytest.fixture
def signed_in(client, admin):
    client.force_login(admin)
    return client


def test_pages_need_a_signed_in_user(client):
    assert client.get("/analytics/").status_code == 302
    assert client.get("/analytics/api/funnel.json").status_code == 302


def test_funnel_json_is_the_selector_dataclass(signed_in, deals):
    data = signed_in.get("/analytics/api/funnel.json", PERIOD).json()

    assert data["items"] == 3
    assert [s["reached"] for s in data["stages"]][:2] == [3, 1]


def test_json_counts_only_what_the_user_may_read(client, deals, intern):
    client.force_login(intern)
    assert client.get("/analytics/api/funnel.json", PERIOD).json()["items"] == 1


@pytest.mark.parametrize("name", REPORTS)
def test_every_report_page_renders_its_tables(signed_in, deals, name):
    response = signed_in.get(f"/analytics/{name}/", PERIOD)

    assert response.status_code == 200
    assert b'<table class="report">' in response.content


def test_plan_page_with_a_target(signed_in, deals):
    response = signed_in.get("/analytics/plan/", {**PERIOD, "target_count": "2"})
    assert response.status_code == 200 and b"chart-main-data" in response.content


def test_dashboard_shows_funnel_losses_and_forecast_charts(signed_in, deals):
    response = signed_in.get("/analytics/", PERIOD)

    assert response.status_code == 200
    for chart in (b"chart-funnel-data", b"chart-losses-data", b"chart-forecast-data"):
        assert chart in response.content
    assert b"vendor/chart.umd.min.js" in response.content


def test_dashboard_in_russian(signed_in, deals):
    response = signed_in.get("/analytics/", PERIOD, HTTP_ACCEPT_LANGUAGE="ru")
    assert "Воронка".encode() in response.content


@pytest.mark.parametrize(
    ("url", "params", "status", "code"),
    [
        ("/analytics/api/funnel.json", {"date_from": "yesterday"}, 400, "analytics.bad_date"),
        ("/analytics/api/funnel.json", {"pipeline": "999999"}, 404, "pipeline.not_found"),
        ("/analytics/api/plan.json", {}, 400, "analytics.plan_target"),
        ("/analytics/api/nonsense.json", {}, 404, "analytics.unknown_report"),
    ],
)
def test_bad_input_gets_a_json_error_not_a_500(signed_in, url, params, status, code):
    response = signed_in.get(url, params)

    assert response.status_code == status
    assert response.json()["error"]["code"] == code


def test_bad_input_on_a_page_shows_the_message(signed_in):
    response = signed_in.get("/analytics/funnel/", {"date_from": "2025-04-01", "date_to": "2025-03-01"})
    assert response.status_code == 400 and b"The period starts after it ends." in response.content
    assert signed_in.get("/analytics/nonsense/").status_code == 404
