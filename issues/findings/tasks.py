"""Receipt reminders as a periodic Celery task."""

from celery import shared_task

from issues.findings import receipts


@shared_task(name="issues.remind_unacknowledged")
def remind_unacknowledged() -> int:
    """Remind units of notices not signed for within the configured working hours (every 15 minutes)."""
    return receipts.remind_unacknowledged()
