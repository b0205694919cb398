"""Browser test: a web form embedded on another site (another local origin) posts cross-origin to the CRM.

A second http.server on another port serves a plain HTML page with the embed snippet; headless
Chromium opens it, the script loads the form's schema from the CRM, renders it, and the post
goes cross-origin with CORS. A JSON post from the same page exercises the preflight.
"""

import os
import threading
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from voronka.crm.models import Lead, TimelineEntry
from voronka.intake.models import IntakeRequest
from voronka.intake.services.channels import create_channel, update_form

# Playwright's sync API runs an event loop in this thread; the ORM calls of the test itself
# would otherwise be refused as "async unsafe".
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts"

PAGE = """<!doctype html>
<html><head><meta charset="utf-8"><title>Pump shop</title></head>
<body>
<h1>Pump shop</h1>
<div data-voronka-form="{key}"></div>
<script src="{crm}/f/embed.js" async></script>
</body></html>
"""


@pytest.fixture
def crm_rows(transactional_db, data_migration_rows):
    """The rows the data migrations make (tests/conftest.py puts them back in emptied tables)."""


@pytest.fixture
def site(tmp_path):
    """Another origin: a static web site on its own port."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(QuietHandler, directory=str(tmp_path)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield tmp_path, f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


class QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture
def page(browser):
    """A page of the suite's one browser (a second sync Playwright cannot run in this worker)."""
    context = browser.new_context()
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


def embedded_form(crm_rows, site, live_server, *, origin=None):
    from voronka.accounts.services import create_user

    admin = create_user(username="boss", role="administrator", is_superuser=True)
    manager = create_user(username="seller", first_name="Sasha")
    root, site_url = site
    channel = create_channel(kind="form", name="Shop form", actor=admin, rule="fixed", responsible=manager)
    form = update_form(
        channel.form,
        actor=admin,
        title="Ask for a price",
        fields=[
            {"name": "name", "label": "Your name", "type": "text", "target": "first_name", "required": True},
            {"name": "phone", "label": "Phone", "type": "tel", "target": "phone", "required": True},
            {"name": "comment", "label": "Question", "type": "textarea", "target": "message"},
        ],
        consent_text="I agree to the processing of my personal data",
        success_message="Thank you! We will call you back.",
        allowed_origins=origin or site_url,
    )
    (root / "index.html").write_text(PAGE.format(key=form.key, crm=live_server.url))
    return form, site_url, manager


def test_a_form_embedded_on_another_site_posts_cross_origin_and_becomes_a_lead(
    crm_rows, site, live_server, page
):
    # given
    _form, site_url, manager = embedded_form(crm_rows, site, live_server)

    # when: a visitor comes from an ad and fills the form on the shop's site
    page.goto(f"{site_url}/index.html?utm_source=yandex&utm_medium=cpc&utm_campaign=pumps")
    page.get_by_label("Your name").fill("Irina")
    page.get_by_label("Phone").fill("+7 916 555-44-33")
    page.get_by_label("Question").fill("How much is a KSB pump?")
    page.get_by_label("I agree to the processing of my personal data").check()
    page.get_by_role("button", name="Send").click()
    page.get_by_text("Thank you! We will call you back.").wait_for()
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "embedded_form_sent.png"))

    # then
    lead = Lead.objects.get()
    assert lead.first_name == "Irina" and lead.assigned_to == manager
    assert lead.utm == {"utm_source": "yandex", "utm_medium": "cpc", "utm_campaign": "pumps"}
    entry = lead.timeline.get(kind=TimelineEntry.Kind.REQUEST)
    assert entry.text == "How much is a KSB pump?"
    assert entry.data["page"].startswith(f"{site_url}/index.html")
    row = IntakeRequest.objects.get()
    assert row.headers["Origin"] == site_url and row.status == "routed"


def test_a_json_post_from_the_other_origin_passes_the_cors_preflight(crm_rows, site, live_server, page):
    form, site_url, _manager = embedded_form(crm_rows, site, live_server)
    page.goto(f"{site_url}/index.html")
    answer = page.evaluate(
        """async (url) => {
            const response = await fetch(url, {method: "POST", headers: {"Content-Type": "application/json"},
                body: JSON.stringify({name: "Json", phone: "+79165554400", consent: true})});
            return {status: response.status, body: await response.json()};
        }""",
        f"{live_server.url}/f/{form.key}/",
    )
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "embedded_form_json_preflight.png"))
    assert answer["status"] == 200 and answer["body"]["ok"] is True
    assert Lead.objects.get().first_name == "Json"


def test_a_site_that_is_not_allowed_cannot_post(crm_rows, site, live_server, page):
    # given: the form allows only another site
    embedded_form(crm_rows, site, live_server, origin="https://shop.example")

    # when
    _root, site_url = site
    page.goto(f"{site_url}/index.html")
    page.get_by_label("Your name").fill("Mallory")
    page.get_by_label("Phone").fill("+7 916 555-44-33")
    page.get_by_label("I agree to the processing of my personal data").check()
    page.get_by_role("button", name="Send").click()
    page.get_by_text("The form could not be sent").wait_for()
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "embedded_form_foreign_site.png"))

    # then
    assert not Lead.objects.exists() and not IntakeRequest.objects.exists()
