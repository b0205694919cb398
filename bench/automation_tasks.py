"""The no-op task bench/automation.py measures the task backend with (importable by the worker)."""

from django_tasks import task


@task()
def noop() -> None:
    """Do nothing: the task backend's own cost per task."""
