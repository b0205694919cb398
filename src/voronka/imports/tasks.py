"""Background imports (Django Tasks API); a task run twice finds the job claimed or done and stops."""

from django_tasks import task

from voronka.imports import services


@task()
def run_import_job(*, job_id: int) -> str:
    """Run (or resume) a queued import."""
    job = services.run_queued(job_id)
    return job.status if job is not None else "not claimed"
