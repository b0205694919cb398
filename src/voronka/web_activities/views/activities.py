"""Pages: "My activities", an item's activities block, the week calendar, notifications, the feed."""

import datetime as dt

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from voronka.activities import ical, selectors
from voronka.activities.models import Activity
from voronka.activities.services import calendar as calendar_services
from voronka.activities.services import notifications as notification_services
from voronka.activities.services.activities import (
    complete_activity,
    create_activity,
    reschedule_activity,
)
from voronka.crm.selectors.history import timeline
from voronka.lib.errors import DomainError, NotFound
from voronka.messaging import selectors as messaging_selectors
from voronka.web_activities.forms import CompleteForm, PlanForm, RescheduleForm
from voronka.web_activities.views.common import add_errors, back, item_or_404


def item_url(item) -> str:
    return reverse("activities:item", kwargs={"kind": item.kind.value, "item_id": item.pk})


@login_required
@require_GET
def mine(request):
    """My activities: overdue, today, this week and later, optionally of one kind."""
    kind = request.GET.get("kind", "")
    if kind not in Activity.Kind.values:
        kind = ""
    agenda = selectors.agenda(request.user, kind=kind)
    return render(
        request,
        "web_activities/mine.html",
        {"agenda": agenda, "kind": kind, "kinds": Activity.Kind.choices, "now": timezone.now()},
    )


@login_required
def item(request, kind: str, item_id: int):
    """An item's activities block (plan, complete, reschedule), its messages and its timeline."""
    subject = item_or_404(request.user, kind, item_id)
    form = PlanForm(request.POST or None, initial={"deadline": _next_hour(), "assigned_to": request.user.pk})
    if request.method == "POST" and form.is_valid():
        try:
            create_activity(
                subject,
                actor=request.user,
                **{k: v for k, v in form.cleaned_data.items() if v not in (None, "")},
            )
        except DomainError as error:
            add_errors(form, error)
        else:
            return redirect(item_url(subject))
    activities = list(selectors.of_item(subject))
    return render(
        request,
        "web_activities/item.html",
        {
            "item": subject,
            "kind": kind,
            "form": form,
            "open": [a for a in activities if not a.is_done],
            "done": [a for a in activities if a.is_done][:50],
            "messages_list": messaging_selectors.of_item(subject, limit=50),
            "timeline": timeline(subject).select_related("actor")[:100],
            "now": timezone.now(),
        },
        status=422 if form.errors else 200,
    )


def _activity_or_404(request, activity_id: int) -> Activity:
    try:
        return selectors.get_visible_activity(request.user, activity_id)
    except NotFound as error:
        raise Http404 from error


@login_required
@require_POST
def complete(request, activity_id: int):
    """Mark an activity done with its result."""
    activity = _activity_or_404(request, activity_id)
    form = CompleteForm(request.POST)
    if form.is_valid():
        try:
            complete_activity(activity, actor=request.user, result=form.cleaned_data["result"])
        except DomainError as error:
            return _refused(request, error)
    return back(request, item_url(activity.item))


@login_required
@require_POST
def reschedule(request, activity_id: int):
    """Move an activity to another time."""
    activity = _activity_or_404(request, activity_id)
    form = RescheduleForm(request.POST)
    if not form.is_valid():
        return HttpResponse(form.errors.as_text(), status=422, content_type="text/plain")
    try:
        reschedule_activity(activity, actor=request.user, **form.cleaned_data)
    except DomainError as error:
        return _refused(request, error)
    return back(request, item_url(activity.item))


def _refused(request, error: DomainError):
    return render(request, "web_activities/refused.html", {"error": error}, status=409)


@login_required
@require_GET
def week(request):
    """The week calendar of the user's activities."""
    try:
        day = dt.date.fromisoformat(request.GET.get("week", ""))
    except ValueError:
        day = timezone.localdate()
    monday = day - dt.timedelta(days=day.weekday())
    days = selectors.week(request.user, monday=monday)
    return render(
        request,
        "web_activities/week.html",
        {
            "days": days.items(),
            "monday": monday,
            "previous": monday - dt.timedelta(days=7),
            "next": monday + dt.timedelta(days=7),
            "today": timezone.localdate(),
        },
    )


@login_required
def feed(request):
    """The address of the user's calendar feed, and renewing it."""
    if request.method == "POST":
        calendar_services.regenerate_feed_token(request.user, actor=request.user)
        return redirect("activities:feed")
    token = calendar_services.feed_of(request.user).token
    url = request.build_absolute_uri(reverse("activities:ical", kwargs={"token": token}))
    return render(request, "web_activities/feed.html", {"url": url})


@require_GET
def ical_feed(request, token: str):
    """The iCalendar feed of a user's open activities (the secret token is the credential)."""
    try:
        user = selectors.feed_user(token)
    except NotFound as error:
        raise Http404 from error
    body = ical.build_feed(
        selectors.feed_activities(user),
        name=f"Voronka — {user.display_name}",
        item_url=lambda activity: request.build_absolute_uri(item_url(activity.item)),
    )
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'inline; filename="voronka.ics"'
    return response


@login_required
def notifications(request):
    """The user's notifications; POST marks them all read."""
    if request.method == "POST":
        notification_services.mark_all_read(actor=request.user)
        return back(request, reverse("activities:notifications"))
    return render(
        request,
        "web_activities/notifications.html",
        {
            "notifications": selectors.notifications(request.user),
            "unread": selectors.unread_count(request.user),
        },
    )


def _next_hour():
    now = timezone.localtime() + dt.timedelta(hours=1)
    return now.replace(minute=0, second=0, microsecond=0).strftime("%Y-%m-%dT%H:%M")
