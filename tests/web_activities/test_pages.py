import datetime as dt

import pytest
from django.utils import timezone
from icalendar import Calendar

from voronka.activities.models import Activity
from voronka.activities.services.activities import complete_activity, create_activity
from voronka.activities.services.calendar import feed_of
from voronka.crm.services.deals import create_deal
from voronka.crm.services.leads import create_lead
from voronka.messaging.models import Message

pytestmark = pytest.mark.django_db


@pytest.fixture
def deal(manager, general_pipeline):
    return create_deal(title="Pump delivery", pipeline=general_pipeline, actor=manager)


@pytest.fixture
def signed_in(client, manager):
    client.force_login(manager)
    return client


def test_pages_need_a_signed_in_user(client, deal):
    response = client.get("/activities/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_planning_on_the_item_page_completing_and_the_timeline(signed_in, deal, manager):
    # given
    when = (timezone.localtime() + dt.timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M")

    # when
    planned = signed_in.post(
        f"/activities/deal/{deal.pk}/", {"kind": "call", "subject": "Call about delivery", "deadline": when}
    )
    activity = Activity.objects.get()
    mine = signed_in.get("/activities/")
    done = signed_in.post(
        f"/activities/{activity.pk}/complete/", {"result": "Delivery on Friday", "next": "/activities/"}
    )
    page = signed_in.get(f"/activities/deal/{deal.pk}/")

    # then
    assert planned.status_code == 302 and activity.assigned_to == manager and activity.deal == deal
    assert "Call about delivery" in mine.content.decode()
    assert done.status_code == 302 and done["Location"] == "/activities/"
    assert "Delivery on Friday" in page.content.decode()
    activity.refresh_from_db()
    assert activity.is_done


def test_a_bad_plan_shows_the_errors_and_writes_nothing(signed_in, deal):
    response = signed_in.post(f"/activities/deal/{deal.pk}/", {"kind": "call", "deadline": "tomorrow"})
    assert response.status_code == 422 and not Activity.objects.exists()


def test_someone_elses_item_is_not_found(client, outsider, deal):
    client.force_login(outsider)
    assert client.get(f"/activities/deal/{deal.pk}/").status_code == 404
    assert client.get("/activities/nonsense/1/").status_code == 404


def test_completing_twice_is_refused_politely(signed_in, deal, manager):
    activity = create_activity(deal, kind="task", deadline=timezone.now(), actor=manager)
    complete_activity(activity, actor=manager, result="ok")
    response = signed_in.post(f"/activities/{activity.pk}/complete/", {"result": "again"})
    assert response.status_code == 409


def test_rescheduling_from_the_page(signed_in, deal, manager):
    activity = create_activity(deal, kind="call", deadline=timezone.now(), actor=manager)
    later = timezone.localtime() + dt.timedelta(days=2)
    response = signed_in.post(
        f"/activities/{activity.pk}/reschedule/", {"deadline": later.strftime("%Y-%m-%dT%H:%M")}
    )
    activity.refresh_from_db()
    assert response.status_code == 302 and activity.revision == 2
    assert timezone.localtime(activity.deadline).date() == later.date()


def test_the_week_calendar_lists_the_users_activities(signed_in, deal, manager):
    create_activity(deal, kind="meeting", subject="Visit the plant", deadline=timezone.now(), actor=manager)
    response = signed_in.get("/activities/week/")
    assert response.status_code == 200 and "Visit the plant" in response.content.decode()
    assert signed_in.get("/activities/week/?week=garbage").status_code == 200


def test_my_activities_page_query_count_does_not_grow(
    signed_in, deal, manager, django_assert_max_num_queries
):
    for n in range(15):
        create_activity(
            deal,
            kind="call",
            subject=f"c{n}",
            deadline=timezone.now() + dt.timedelta(hours=n - 5),
            actor=manager,
        )
    with django_assert_max_num_queries(12):
        response = signed_in.get("/activities/")
    assert response.status_code == 200


def test_the_ical_feed_parses_and_has_only_the_users_open_activities(
    client, deal, manager, head, lead_statuses
):
    # given
    lead = create_lead(actor=manager, title="Other lead")
    open_call = create_activity(
        deal, kind="call", subject="Open call", deadline=timezone.now(), actor=manager, duration=20
    )
    meeting = create_activity(
        lead,
        kind="meeting",
        subject="Joint meeting",
        deadline=timezone.now(),
        actor=head,
        assigned_to=head,
        participants=[manager],
    )
    done = create_activity(deal, kind="task", subject="Done task", deadline=timezone.now(), actor=manager)
    complete_activity(done, actor=manager)
    create_activity(
        deal, kind="task", subject="Head's own", deadline=timezone.now(), actor=head, assigned_to=head
    )
    token = feed_of(manager).token

    # when
    response = client.get(f"/activities/ical/{token}.ics")

    # then
    assert response.status_code == 200 and response["Content-Type"].startswith("text/calendar")
    calendar = Calendar.from_ical(response.content)
    events = {str(e["uid"]): e for e in calendar.walk("VEVENT")}
    assert set(events) == {f"activity-{open_call.pk}@voronka", f"activity-{meeting.pk}@voronka"}
    call = events[f"activity-{open_call.pk}@voronka"]
    assert str(call["summary"]) == "Call: Open call"
    assert call.decoded("dtend") - call.decoded("dtstart") == dt.timedelta(minutes=20)
    assert f"/activities/deal/{deal.pk}/" in str(call["url"])


def test_renewing_the_feed_address_cuts_off_the_old_one(signed_in, client, manager):
    old = feed_of(manager).token
    signed_in.post("/activities/calendar/")
    new = feed_of(manager).token
    assert new != old
    assert signed_in.get(f"/activities/ical/{old}.ics").status_code == 404
    assert signed_in.get(f"/activities/ical/{new}.ics").status_code == 200


def test_composing_an_email_queues_it_on_the_timeline(signed_in, manager, lead_statuses):
    lead = create_lead(actor=manager, title="Mail me", first_name="Anna", emails=["anna@romashka.ru"])
    form = signed_in.get(f"/messaging/lead/{lead.pk}/email/")
    response = signed_in.post(
        f"/messaging/lead/{lead.pk}/email/",
        {"to": "anna@romashka.ru", "subject": "Hello {{ lead.first_name }}", "body": "Our offer\n\nBest"},
    )
    assert form.status_code == 200 and response.status_code == 302
    message = Message.objects.get()
    assert message.subject == "Hello Anna" and "<p>Our offer</p>" in message.body_html
    assert lead.timeline.filter(kind="message", data__state="queued").exists()


def test_composing_to_an_address_the_item_does_not_have_is_refused(signed_in, manager, lead_statuses):
    lead = create_lead(actor=manager, title="Mail me", emails=["anna@romashka.ru"])
    response = signed_in.post(
        f"/messaging/lead/{lead.pk}/email/", {"to": "evil@spam.ru", "subject": "x", "body": "y"}
    )
    assert response.status_code == 422 and not Message.objects.exists()


def test_notifications_page_and_mark_all_read(client, deal, manager, head):
    create_activity(
        deal, kind="task", subject="For you", deadline=timezone.now(), actor=head, assigned_to=manager
    )
    client.force_login(manager)
    assert "For you" in client.get("/activities/notifications/").content.decode()
    client.post("/activities/notifications/")
    assert manager.notifications.filter(read_at=None).count() == 0
