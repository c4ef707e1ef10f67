"""Delivering outbound messages as Celery tasks."""

from __future__ import annotations

import datetime as dt

from celery import shared_task
from django.utils import timezone

from issues.models import OutboundMessage
from issues.notifications import delivery


@shared_task(name="issues.deliver_outbound", bind=True, max_retries=5, acks_late=True)
def deliver_outbound(self, message_id: int) -> bool:
    """Send one email or robot message; retried with a growing delay (1, 2, 4, 8, 16 minutes)."""
    try:
        return delivery.deliver(message_id)
    except delivery.DeliveryError as exc:
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
            sent += bool(delivery.deliver(pk))
        except delivery.DeliveryError:
            continue
    return sent
