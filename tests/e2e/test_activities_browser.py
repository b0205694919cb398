"""Browser test: plan a call on a deal, see it on "My activities", complete it, find it on the timeline."""

import datetime as dt
import os
from pathlib import Path

import pytest
from django.utils import timezone

from voronka.accounts.services import create_user
from voronka.crm.selectors.pipelines import default_deal_pipeline
from voronka.crm.services.deals import create_deal

# Playwright's sync API runs an event loop; the ORM calls here are the test's own set-up.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def browser():
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def test_plan_a_call_on_a_deal_see_it_complete_it_and_find_it_on_the_timeline(live_server, browser):
    # given: a manager and a deal
    manager = create_user(username="ivanov", password="demo12345-pass", first_name="Ivan", last_name="Ivanov")
    deal = create_deal(title="Pumps for the plant", pipeline=default_deal_pipeline(), actor=manager)
    page = browser.new_page(locale="en-US", timezone_id="Europe/Moscow")
    page.goto(f"{live_server.url}/accounts/login/?next=/activities/deal/{deal.pk}/")
    page.fill("input[name=username]", "ivanov")
    page.fill("input[name=password]", "demo12345-pass")
    page.click("button[type=submit]")
    page.wait_for_url(f"**/activities/deal/{deal.pk}/")

    # when: a call is planned on the deal for in two hours
    when = (timezone.localtime() + dt.timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M")
    page.click("#plan summary")
    page.select_option("select[name=kind]", "call")
    page.fill("input[name=subject]", "Call the chief engineer")
    page.fill("input[name=deadline]", when)
    page.click("#plan button[type=submit]")
    page.wait_for_selector("#activities .activity .subject:has-text('Call the chief engineer')")

    # then: it is on "My activities", today or later this week
    page.goto(f"{live_server.url}/activities/")
    row = page.locator(".activity", has_text="Call the chief engineer")
    row.wait_for()
    assert "Pumps for the plant" in row.inner_text()
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "activities-my-activities.png"), full_page=True)

    # when: it is completed with a result
    row.locator("input[name=result]").fill("Agreed: delivery on Friday")
    row.locator("form.complete button").click()
    page.wait_for_load_state()
    assert page.locator(".activity", has_text="Call the chief engineer").count() == 0

    # then: the timeline of the deal shows the completed call with its result
    page.goto(f"{live_server.url}/activities/deal/{deal.pk}/")
    entry = page.locator("#timeline li.kind-activity", has_text="completed")
    entry.wait_for()
    assert (
        "Call the chief engineer" in entry.inner_text() and "Agreed: delivery on Friday" in entry.inner_text()
    )
    page.screenshot(path=str(ARTIFACTS / "activities-deal-timeline.png"), full_page=True)
