"""Search across leads, deals, contacts and companies (within the user's scope)."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from voronka.crm.selectors.items import visible
from voronka.crm.selectors.lists import search as match
from voronka.web.views.common import SEGMENTS, TITLES

PER_KIND = 10


@login_required
def search(request):
    """The first matches of each kind for `q`: a name, phone, e-mail or #id."""
    q = request.GET.get("q", "").strip()
    groups = []
    if q:
        for kind in ("lead", "deal", "contact", "company"):
            items = list(match(visible(request.user, kind), kind, q).order_by("-pk")[: PER_KIND + 1])
            groups.append(
                {
                    "kind": kind,
                    "segment": SEGMENTS[kind],
                    "title": TITLES[kind],
                    "items": items[:PER_KIND],
                    "more": len(items) > PER_KIND,
                }
            )
    return render(request, "web/search/results.html", {"q": q, "groups": groups})
