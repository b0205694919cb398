"""Browser test: an administrator builds a robot and a trigger on the automation page and watches them fire."""

import re
import time

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError
from playwright.sync_api import expect

from voronka.crm.models import Lead

pytestmark = pytest.mark.django_db(transaction=True)


def choose_kind(page, form_id: str, kind: str) -> None:
    """Pick a kind in the editor once htmx has swapped the form in; the form re-renders for it.

    On a loaded machine the change can come before the form's script listens to it: then the
    change is sent again (selecting the same value twice would not fire it).
    """
    page.locator(f"#{form_id} #id_kind").wait_for()
    page.select_option(f"#{form_id} #id_kind", kind)
    rendered = page.locator(f'#{form_id}[data-kind="{kind}"]')
    for _attempt in range(3):
        try:
            rendered.wait_for(timeout=4_000)
            return
        except PlaywrightTimeoutError:
            page.dispatch_event(f"#{form_id} #id_kind", "change")
    rendered.wait_for()


def test_build_a_robot_and_a_trigger_in_the_browser_and_watch_them_fire(page, sign_in, admin, settings):
    # given: robots run in-process, at once
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    sign_in(admin)
    page.goto("/automation/")

    # when: a comment robot is added to "New"
    page.locator('[data-add-robot="NEW"]').click()
    choose_kind(page, "robot-form", "add_comment")
    page.locator("#id_p_text").fill("The robot says hello")
    page.fill("#id_name", "Greeter")
    page.locator("#robot-form button[type=submit]").click()
    expect(page.locator('.au-col[data-stage="NEW"] [data-robot]')).to_contain_text("Greeter")

    # and a trigger on "In progress": the amount reaching 1000
    page.locator('[data-add-trigger="IN_PROCESS"]').click()
    choose_kind(page, "trigger-form", "field_condition")
    page.locator("#id_condition").fill("amount >= 1000")
    page.fill("#id_name", "Big enough")
    page.locator("#trigger-form button[type=submit]").click()
    expect(page.locator('.au-col[data-stage="IN_PROCESS"] [data-trigger]')).to_contain_text("Big enough")

    # and a lead is created
    page.goto("/leads/new/")
    page.fill("input[name=title]", "Robot check")
    page.locator("#item-form button[name=on_duplicate][value=refuse]").click()
    expect(page).to_have_url(re.compile(r"/leads/\d+/$"))

    # then: the robot ran, it is in the card's automation log and its comment on the timeline
    log = page.locator("#automation-log")
    expect(log).to_contain_text("Greeter")
    expect(log).to_contain_text("Done")
    expect(page.locator("#timeline")).to_contain_text("The robot says hello")
    page.get_by_role("button", name="Simulate").click()
    expect(page.locator("#automation-simulation")).to_contain_text("Big enough")

    # when: the amount is raised to 5000, the trigger moves the lead to "In progress"
    lead = Lead.objects.get(title="Robot check")
    page.goto(f"/leads/{lead.pk}/edit/")
    page.fill("input[name=amount]", "5000")
    page.locator("#item-form button[name=on_duplicate][value=refuse]").click()
    expect(page).to_have_url(re.compile(rf"/leads/{lead.pk}/$"))
    deadline = time.monotonic() + 10
    while Lead.objects.get(pk=lead.pk).status.code != "IN_PROCESS" and time.monotonic() < deadline:
        time.sleep(0.2)
    assert Lead.objects.get(pk=lead.pk).status.code == "IN_PROCESS"
    page.reload()
    expect(page.locator("#automation-log")).to_contain_text("Big enough")
