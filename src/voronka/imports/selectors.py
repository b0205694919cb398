"""Reads of import jobs: a user sees the imports they started; administrators see every import."""

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from voronka.accounts.models import User
from voronka.accounts.rights import is_administrator
from voronka.imports.models import ImportJob
from voronka.lib.errors import NotFound


def visible_jobs(user: User) -> QuerySet[ImportJob]:
    """Return the import jobs `user` may see, newest first."""
    jobs = ImportJob.objects.select_related("created_by").order_by("-created_at", "-pk")
    return jobs if is_administrator(user) else jobs.filter(created_by=user)


def get_visible_job(user: User, job_id: int) -> ImportJob:
    """Return one job the user may see, or raise NotFound."""
    try:
        return visible_jobs(user).get(pk=int(job_id))
    except (ImportJob.DoesNotExist, TypeError, ValueError):
        raise NotFound("import.not_found", _("Import not found.")) from None
