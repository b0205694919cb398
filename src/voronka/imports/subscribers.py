"""What the imports app does when events arrive: queue the import task."""

from voronka.imports.events import ImportQueued
from voronka.imports.tasks import run_import_job
from voronka.lib import bus


@bus.subscribe(ImportQueued)
def start_import_task(event: ImportQueued) -> None:
    """Queue the task that runs a web import."""
    run_import_job.enqueue(job_id=event.job_id)
