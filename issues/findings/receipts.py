"""Notice receipt (签收, DOMAIN.md "Field practice"): a unit acknowledges each notice it gets.

A notice not acknowledged within Policy.receipt_reminder_hours working hours (office hours on
China's working days, settings.OFFICE_HOURS) is overdue for receipt: its unit is reminded once,
and the office sees it on /receipts/. A Celery beat task runs the reminders every 15 minutes.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from issues.core import access
from issues.core.exceptions import LedgerError
from issues.core.links import path_maker
from issues.core.workcalendar import WorkCalendar, add_working_hours
from issues.models import AuditEvent, FindingStatus, Notice, NoticeOutcome, NotificationKind, Policy
from issues.notifications import messages as notify


@transaction.atomic
def acknowledge(*, actor, notice_id: int, at: dt.datetime | None = None) -> Notice:
    """The unit signs for the notice (签收); signing twice keeps the first time."""
    notice = Notice.objects.select_for_update().select_related("finding", "unit").get(pk=notice_id)
    access.ensure_signs_for_unit(actor, notice.unit)
    if notice.acknowledged_at is not None:
        return notice
    if notice.outcome != NoticeOutcome.OPEN:
        raise LedgerError(_("第%(seq)d次整改通知已办结，无需签收。") % {"seq": notice.seq})
    notice.acknowledged_at = at or timezone.now()
    notice.acknowledged_by = actor if getattr(actor, "pk", None) else None
    notice.save(update_fields=["acknowledged_at", "acknowledged_by"])
    AuditEvent.record(
        actor=actor, obj=notice.finding, action="acknowledge",
        message=f"签收第{notice.seq}次整改通知（{notice.unit.name}）",
        data={"notice": notice.pk, "at": notice.acknowledged_at.isoformat()},
    )
    return notice


@dataclass
class Waiting:
    notice: Notice
    due_at: dt.datetime


def _waiting():
    return Notice.objects.filter(outcome=NoticeOutcome.OPEN, acknowledged_at__isnull=True,
                                 finding__status__in=[FindingStatus.ASSIGNED, FindingStatus.SUBMITTED])


def unacknowledged_count() -> int:
    return _waiting().count()


def unacknowledged(*, now: dt.datetime | None = None, overdue_only: bool = False, not_reminded: bool = False,
                   limit: int | None = None) -> list[Waiting]:
    """Open notices not yet signed for, each with the moment its receipt falls due, oldest first."""
    now = now or timezone.now()
    hours = Policy.current().receipt_reminder_hours
    qs = _waiting().select_related("finding", "unit").order_by("created_at", "pk")
    if not_reminded:
        qs = qs.filter(receipt_reminded_at__isnull=True)
    if overdue_only:
        # a working hour is never shorter than an hour: nothing created later can be due yet
        qs = qs.filter(created_at__lte=now - dt.timedelta(hours=hours))
    notices = list(qs[:limit] if limit else qs)
    if not notices:
        return []
    first = timezone.localdate(notices[0].created_at)
    calendar = WorkCalendar.load(first, timezone.localdate(now) + dt.timedelta(days=2 * hours + 30))
    result = [Waiting(n, add_working_hours(n.created_at, hours, calendar)) for n in notices]
    return [w for w in result if w.due_at <= now] if overdue_only else result


@transaction.atomic
def remind_unacknowledged(*, now: dt.datetime | None = None) -> int:
    """Remind once each unit whose notice is overdue for receipt; returns how many notices were reminded.
    The notices are claimed under lock, so two runs at once remind each notice once."""
    now = now or timezone.now()
    due = {w.notice.pk: w.notice for w in unacknowledged(now=now, overdue_only=True, not_reminded=True)}
    claimed = list(Notice.objects.select_for_update().filter(
        pk__in=list(due), receipt_reminded_at__isnull=True, acknowledged_at__isnull=True,
    ).order_by("pk").values_list("pk", flat=True))
    Notice.objects.filter(pk__in=claimed).update(receipt_reminded_at=now)
    finding_path = path_maker("finding_detail")
    notify.notify_units([
        notify.Event(
            unit=notice.unit, kind=NotificationKind.RECEIPT, key=f"receipt:{notice.pk}",
            title=f"请签收：{notice.finding.display_number} 第{notice.seq}次整改通知",
            body=(f"{notice.finding.description[:80]}。交办于 {notice.issued_on.isoformat()}，"
                  f"整改时限 {notice.deadline.isoformat()}，尚未签收。"),
            path=finding_path(notice.finding_id),
        )
        for notice in (due[pk] for pk in claimed)
    ])
    return len(claimed)
