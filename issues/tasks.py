"""Celery tasks: thin wrappers that take plain values and call a service."""

from __future__ import annotations

import datetime as dt
import logging

import redis
from celery import shared_task
from django.conf import settings
from django.utils import timezone

from .models import OutboundMessage
from .services import notify
from .services.escalation import run_escalations

log = logging.getLogger(__name__)
LOCK_NAME = "creation-tracker:nightly-job"


@shared_task(name="issues.run_nightly_job", acks_late=True)
def run_nightly_job(today: str | None = None) -> dict:
    """The nightly job for `today` (ISO date; default: the local date now), one run at a time.

    The Redis lock keeps a second worker from doing the same work at once; the database
    guards (unique sanctions, guarded updates) make a double run harmless even without it.
    """
    day = dt.date.fromisoformat(today) if today else timezone.localdate()
    client = redis.Redis.from_url(settings.REDIS_URL)
    lock = client.lock(LOCK_NAME, timeout=settings.NIGHTLY_JOB_LOCK_SECONDS, blocking_timeout=0)
    if not lock.acquire(blocking=False):
        log.info("nightly job for %s skipped: another run holds the lock", day)
        return {"today": day.isoformat(), "skipped": True}
    try:
        report = run_escalations(today=day)
    finally:
        try:
            lock.release()
        except redis.exceptions.LockError:
            log.warning("nightly job lock expired before the run ended")
    return {"today": day.isoformat(), "days": len(report.days), "misses": report.miss_count,
            "sanctions": report.sanction_count}


@shared_task(name="issues.deliver_outbound", bind=True, max_retries=5, acks_late=True)
def deliver_outbound(self, message_id: int) -> bool:
    """Send one email or robot message; retried with a growing delay (1, 2, 4, 8, 16 minutes)."""
    try:
        return notify.deliver(message_id)
    except notify.DeliveryError as exc:
        raise self.retry(exc=exc, countdown=60 * 2**self.request.retries) from exc


@shared_task(name="issues.retry_outbound")
def retry_outbound() -> int:
    """Send what is still pending a minute after it was queued (a broker was down, a retry was lost)."""
    stale = OutboundMessage.objects.filter(
        status=OutboundMessage.Status.PENDING, created_at__lt=timezone.now() - dt.timedelta(minutes=1)
    ).values_list("pk", flat=True)[:500]
    sent = 0
    for pk in stale:
        try:
            sent += bool(notify.deliver(pk))
        except notify.DeliveryError:
            continue
    return sent


@shared_task(name="issues.remind_unacknowledged")
def remind_unacknowledged() -> int:
    """Remind units of notices not signed for within the configured working hours (every 15 minutes)."""
    from .services import receipts

    return receipts.remind_unacknowledged()


@shared_task(name="issues.run_excel_job", acks_late=True)
def run_excel_job(job_id: int) -> str:
    """A large import or export; the page polls the job's row for progress."""
    from .services import excel_jobs

    return excel_jobs.run(job_id).status
