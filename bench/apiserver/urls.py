"""The site's URLs plus the two views the API is compared with.

- /bench/minimal: the smallest JSON view Django serves (no database): the ceiling of the server.
- /bench/bare-leads: the API list's two queries (a page of one status with the stage joined, its
  communications: crm.selectors.lists.item_page) with no token, no scope, no rate limit, no
  schema: the rows go to JSON as they come.
"""

import json

from django.http import HttpResponse
from django.urls import path

from voronka.crm.models import Lead
from voronka.crm.selectors.lists import ItemFilter, item_page
from voronka.urls import urlpatterns as site


def minimal(request):
    return HttpResponse(b'{"ok": true}', content_type="application/json")


def bare_leads(request):
    """The API list's queries (crm.selectors.lists.item_page) with no token, scope or schema."""
    spec = ItemFilter(stage_ids=[int(request.GET["stage_id"])])
    page = item_page(Lead.objects.all(), "lead", spec, limit=int(request.GET.get("limit", 50)))
    body = json.dumps({"items": page.items, "next_cursor": page.next_cursor}, default=str)
    return HttpResponse(body, content_type="application/json")


urlpatterns = [path("bench/minimal", minimal), path("bench/bare-leads", bare_leads), *site]
