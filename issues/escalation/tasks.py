"""The nightly job as a Celery task."""

from __future__ import annotations

import datetime as dt
import logging

import redis
from celery import shared_task
from django.conf import settings
from django.utils import timezone

from issues.escalation.services import run_escalations

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
