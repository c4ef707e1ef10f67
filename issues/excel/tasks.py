"""Large imports and exports as Celery tasks."""

from celery import shared_task

from issues.excel import jobs


@shared_task(name="issues.run_excel_job", acks_late=True)
def run_excel_job(job_id: int) -> str:
    """A large import or export; the page polls the job's row for progress."""
    return jobs.run(job_id).status
