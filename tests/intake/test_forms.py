"""Web forms at their door: the public endpoint (browser posts, JSON, CORS), spam and size limits, files."""

import io
import json

import pytest

from voronka.crm.models import Lead, TimelineEntry
from voronka.intake.events import FormSubmitted
from voronka.intake.models import Attachment, IntakeRequest, RateBucket
from voronka.intake.services.channels import update_form

pytestmark = pytest.mark.django_db

PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
    b"\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00\x00\x00IEND\xaeB`\x82"
)


def url(form):
    return f"/f/{form.key}/"


def test_a_browser_form_post_becomes_a_lead_with_utm_and_referrer(client, web_form, manager, published):
    # when
    response = client.post(
        url(web_form),
        {
            "name": "Olga",
            "phone": "8 (903) 123-45-67",
            "message": "Need 20 pumps",
            "_page": "https://shop.example/pumps?utm_source=yandex&utm_campaign=spring",
            "_referrer": "https://yandex.ru/search",
        },
    )

    # then
    assert response.status_code == 200
    assert "Thanks, we will call you!" in response.content.decode()
    lead = Lead.objects.get()
    assert lead.first_name == "Olga" and lead.assigned_to == manager
    assert lead.utm == {"utm_source": "yandex", "utm_campaign": "spring"}
    assert lead.source.code == "WEBFORM"
    entry = lead.timeline.get(kind=TimelineEntry.Kind.REQUEST)
    assert entry.text == "Need 20 pumps"
    assert entry.data["referrer"] == "https://yandex.ru/search"
    row = IntakeRequest.objects.get()
    assert (row.status, row.item_kind, row.item_id, row.outcome) == (
        "routed",
        "lead",
        lead.pk,
        "lead_created",
    )
    submitted = [e for e in published if isinstance(e, FormSubmitted)]
    assert submitted == [
        FormSubmitted(
            form_id=web_form.pk,
            channel_id=web_form.channel_id,
            request_id=row.pk,
            kind="lead",
            item_id=lead.pk,
            outcome="lead_created",
        )
    ]


def test_a_json_post_from_an_allowed_origin_gets_cors_headers(client, web_form):
    response = client.post(
        url(web_form),
        data=json.dumps({"name": "Anna", "email": "anna@shop.example", "utm_source": "vk"}),
        content_type="application/json",
        headers={"Origin": "https://shop.example"},
    )
    assert response.status_code == 200
    assert response.json()["ok"] is True
    assert response["Access-Control-Allow-Origin"] == "https://shop.example"
    assert Lead.objects.get().utm == {"utm_source": "vk"}


def test_cors_preflight_answers_the_allowed_origin_and_refuses_others(client, web_form):
    allowed = client.options(
        url(web_form),
        headers={"Origin": "https://shop.example", "Access-Control-Request-Method": "POST"},
    )
    foreign = client.options(url(web_form), headers={"Origin": "https://evil.example"})
    assert allowed.status_code == 204
    assert allowed["Access-Control-Allow-Origin"] == "https://shop.example"
    assert "POST" in allowed["Access-Control-Allow-Methods"]
    assert foreign.status_code == 403
    assert "Access-Control-Allow-Origin" not in foreign


def test_a_post_from_a_foreign_origin_is_refused_and_stores_nothing(client, web_form):
    response = client.post(
        url(web_form),
        {"name": "Bot"},
        headers={"Origin": "https://evil.example", "Accept": "application/json"},
    )
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "form.origin_not_allowed"
    assert not IntakeRequest.objects.exists() and not Lead.objects.exists()


def test_missing_required_fields_and_bad_phone_are_reported_per_field(client, web_form):
    response = client.post(url(web_form), {"phone": "12"}, headers={"Accept": "application/json"})
    assert response.status_code == 422
    details = response.json()["error"]["details"]
    assert set(details) == {"name", "phone"}
    assert not IntakeRequest.objects.exists()


def test_a_filled_honeypot_is_stored_as_spam_and_never_routed(client, web_form, published):
    response = client.post(
        url(web_form),
        {"name": "Bot", "phone": "+79031234567", "website": "http://spam"},
        headers={"Accept": "application/json"},
    )
    assert response.status_code == 200  # the bot is not told
    row = IntakeRequest.objects.get()
    assert row.status == "spam" and row.error_code == "form.honeypot"
    assert not Lead.objects.exists()
    assert not [e for e in published if isinstance(e, FormSubmitted)]


def test_a_spam_burst_is_cut_by_the_per_ip_rate_limit_without_losing_valid_posts(client, admin, web_form):
    # given
    update_form(web_form, actor=admin, rate_limit=3)

    # when
    statuses = [
        client.post(
            url(web_form),
            {"name": f"N{i}", "phone": f"+7903123450{i}"},
            headers={"Accept": "application/json"},
        ).status_code
        for i in range(6)
    ]
    other_ip = client.post(
        url(web_form),
        {"name": "Real", "phone": "+79039999999"},
        REMOTE_ADDR="10.1.2.3",
        headers={"Accept": "application/json"},
    )

    # then
    assert statuses == [200, 200, 200, 429, 429, 429]
    assert other_ip.status_code == 200
    assert Lead.objects.count() == 4
    assert IntakeRequest.objects.filter(status="routed").count() == 4
    assert RateBucket.objects.get(key__endswith=":127.0.0.1").hits == 6


def test_an_oversized_post_is_refused_with_413(client, web_form):
    response = client.post(
        url(web_form),
        data=json.dumps({"name": "Big", "message": "x" * 400_000}),
        content_type="application/json",
    )
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "request.too_large"
    assert not IntakeRequest.objects.exists()


def test_an_allowed_file_is_stored_by_its_real_type(client, admin, web_form, settings, tmp_path):
    # given
    settings.MEDIA_ROOT = tmp_path
    update_form(web_form, actor=admin, attachments_allowed=True, max_attachment_size=10_000)
    upload = io.BytesIO(PNG)
    upload.name = "photo.png"

    # when
    response = client.post(url(web_form), {"name": "Ivan", "phone": "+79031112233", "files": [upload]})

    # then
    assert response.status_code == 200
    attachment = Attachment.objects.get()
    assert (attachment.content_type, attachment.size, attachment.name) == ("image/png", len(PNG), "photo.png")
    assert (tmp_path / attachment.file.name).read_bytes() == PNG
    entry = Lead.objects.get().timeline.get(kind="request")
    assert entry.data["attachments"][0]["name"] == "photo.png"


def test_a_file_whose_content_is_not_an_allowed_type_is_refused_whatever_its_name(
    client, admin, web_form, tmp_path, settings
):
    settings.MEDIA_ROOT = tmp_path
    update_form(web_form, actor=admin, attachments_allowed=True)
    fake = io.BytesIO(b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\x00" * 64)
    fake.name = "invoice.pdf"
    response = client.post(
        url(web_form),
        {"name": "Ivan", "phone": "+79031112233", "files": [fake]},
        headers={"Accept": "application/json"},
    )
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "form.file_type"
    assert not IntakeRequest.objects.exists() and not Attachment.objects.exists()


def test_a_form_without_attachments_refuses_files(client, web_form):
    upload = io.BytesIO(PNG)
    upload.name = "a.png"
    response = client.post(
        url(web_form), {"name": "Ivan", "files": [upload]}, headers={"Accept": "application/json"}
    )
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "form.no_attachments"


def test_consent_is_required_when_the_form_asks_for_it(client, admin, web_form):
    update_form(web_form, actor=admin, consent_text="I agree to the processing of my data")
    refused = client.post(
        url(web_form), {"name": "A", "phone": "+79031112233"}, headers={"Accept": "application/json"}
    )
    accepted = client.post(
        url(web_form),
        {"name": "A", "phone": "+79031112233", "consent": "1"},
        headers={"Accept": "application/json"},
    )
    assert refused.status_code == 422 and "consent" in refused.json()["error"]["details"]
    assert accepted.status_code == 200
    assert Lead.objects.get().timeline.get(kind="request").data["consent"].startswith("I agree")


def test_a_form_with_a_redirect_sends_the_browser_there(client, admin, web_form):
    update_form(web_form, actor=admin, redirect_url="https://shop.example/thanks")
    response = client.post(url(web_form), {"name": "A", "phone": "+79031112233"})
    assert response.status_code == 303 and response["Location"] == "https://shop.example/thanks"


def test_an_unknown_or_switched_off_form_is_404(client, admin, web_form):
    from voronka.intake.services.channels import update_channel

    assert client.post("/f/nope/", {"name": "A"}).status_code == 404
    update_channel(web_form.channel, actor=admin, is_active=False)
    assert client.post(url(web_form), {"name": "A"}).status_code == 404


def test_the_schema_and_the_embed_script_are_public(client, web_form):
    schema = client.get(f"/f/{web_form.key}/schema")
    script = client.get("/f/embed.js")
    assert schema.status_code == 200 and schema["Access-Control-Allow-Origin"] == "*"
    assert [f["name"] for f in schema.json()["fields"]] == ["name", "phone", "email", "message"]
    assert script.status_code == 200 and b"data-voronka-form" in script.content


def test_the_form_page_renders_its_fields(client, web_form):
    response = client.get(url(web_form))
    assert response.status_code == 200
    assert 'name="phone"' in response.content.decode()


def _queries_for_one_post(client, web_form, phone):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        response = client.post(
            url(web_form), {"name": "Q", "phone": phone}, headers={"Accept": "application/json"}
        )
    assert response.status_code == 200
    return len(captured.captured_queries)


def test_a_form_posts_query_count_does_not_grow_with_the_number_of_clients(client, web_form, manager, system):
    from voronka.crm.services.clients import create_contact

    # given: warm-up (the first post creates the rate bucket)
    _queries_for_one_post(client, web_form, "+79030000001")
    few = _queries_for_one_post(client, web_form, "+79030000002")
    for i in range(30):
        create_contact(actor=manager, first_name=f"C{i}", phones=[f"+7905000{i:04d}"])

    # when
    many = _queries_for_one_post(client, web_form, "+79030000003")

    # then: one index look-up for duplicates, whatever the number of clients
    assert many == few
