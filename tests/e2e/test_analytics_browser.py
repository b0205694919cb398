"""Browser test: the analytics dashboard draws its charts with the vendored Chart.js."""

import os
from pathlib import Path

import pytest

from tests.analytics.conftest import History
from voronka.accounts.services import create_user
from voronka.crm.selectors.pipelines import default_deal_pipeline

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "artifacts"
VENDOR = ROOT / "src/voronka/web/static/vendor/chart.umd.min.js"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def built_in_rows(transactional_db):
    """Restore what the data migrations made: a browser test that ran before flushed the database."""
    from django.apps import apps

    from voronka.accounts.roles import create_built_in_roles
    from voronka.crm.defaults import create_defaults

    create_built_in_roles(apps)
    create_defaults(apps)


@pytest.fixture
def browser():
    sync_api = pytest.importorskip("playwright.sync_api")
    if not VENDOR.exists():
        pytest.skip("Chart.js is not vendored: run `make vendor`")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def test_dashboard_draws_the_funnel_losses_and_forecast(live_server, browser):
    # given: a head of sales and a month of deals
    head = create_user(username="smirnova", password="demo12345-pass", role="head_of_sales")
    history = History(head)
    pipeline = default_deal_pipeline()
    for day in range(1, 21):
        path = [("NEW", f"2025-03-{day:02d} 10:00"), ("PREPARATION", f"2025-03-{day:02d} 15:00")]
        if day % 3 == 0:
            path.append(("LOSE", f"2025-03-{day + 2:02d} 10:00"))
        elif day % 2 == 0:
            path.append(("WON", f"2025-03-{day + 5:02d} 10:00"))
        history.deal(pipeline, path)
    page = browser.new_page(
        locale="ru-RU", timezone_id="Europe/Moscow", viewport={"width": 1400, "height": 1000}
    )
    page.goto(f"{live_server.url}/accounts/login/?next=/analytics/")
    page.fill("input[name=username]", "smirnova")
    page.fill("input[name=password]", "demo12345-pass")
    page.click("button[type=submit]")
    page.wait_for_url("**/analytics/")

    # when
    page.goto(f"{live_server.url}/analytics/?date_from=2025-03-01&date_to=2025-03-31")

    # then: three charts were drawn by Chart.js, and the page reads in Russian
    drawn = page.evaluate("Array.from(document.querySelectorAll('canvas')).map(c => !!c.chart)")
    assert drawn == [True, True, True]
    assert "Воронка" in page.inner_text("main")
    funnel = page.evaluate("document.getElementById('chart-funnel').chart.data.datasets[0].counts")
    assert funnel[:2] == [20, 20]
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "analytics-dashboard.png"), full_page=True)
