"""The recycle bin: deleted items of the user's scope, restore and purge."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from voronka.crm.selectors.history import get_recycle_entry
from voronka.crm.selectors.history import recycle_bin as bin_entries
from voronka.crm.services import recycle
from voronka.lib.errors import Conflict
from voronka.web.views.common import SEGMENTS, SINGULAR

PAGE = 100


@login_required
def recycle_bin(request):
    """Deleted items the user could delete, newest first."""
    entries = list(bin_entries(request.user).defer("snapshot")[:PAGE])
    rows = [{"entry": e, "kind_title": SINGULAR.get(e.entity, e.entity)} for e in entries]
    return render(request, "web/recycle/bin.html", {"rows": rows})


@login_required
@require_POST
def restore(request, entry_id: int):
    """Bring an item back with its rows and links."""
    entry = get_recycle_entry(request.user, entry_id)
    try:
        item = recycle.restore(entry, actor=request.user)
    except Conflict as conflict:
        messages.error(request, conflict.message)
        return redirect("web:recycle-bin")
    messages.success(request, _("“%(title)s” is restored.") % {"title": item.title})
    return redirect("web:card", SEGMENTS[item.kind.value], item.pk)


@login_required
@require_POST
def purge(request, entry_id: int):
    """Delete an entry for good."""
    entry = get_recycle_entry(request.user, entry_id)
    recycle.purge(entry, actor=request.user)
    messages.success(request, _("Deleted for good."))
    return redirect("web:recycle-bin")
