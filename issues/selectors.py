"""Reads shared by views, exports and dashboards."""

from __future__ import annotations

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from . import access
from .models import FindingStatus, Notice, NoticeOutcome


def status_counts(user) -> dict[str, int]:
    """Findings per status that this user may see, every status present (0 when none)."""
    rows = access.findings_for(user).values("status").annotate(n=Count("pk")).order_by()
    counts = {status: 0 for status in FindingStatus.values}
    counts.update({row["status"]: row["n"] for row in rows})
    return counts


def overdue_count(user, today=None) -> int:
    """Open notices past their deadline with no fix submitted (a fix awaiting review is not overdue)."""
    today = today or timezone.localdate()
    return open_notices_for(user).filter(deadline__lt=today, finding__status=FindingStatus.ASSIGNED).count()


def open_notices_for(user) -> QuerySet[Notice]:
    """Open notices of findings the user may see, soonest deadline first."""
    visible = access.findings_for(user).filter(
        Q(status=FindingStatus.ASSIGNED) | Q(status=FindingStatus.SUBMITTED)
    )
    return (
        Notice.objects.filter(outcome=NoticeOutcome.OPEN, finding__in=visible.values("pk"))
        .select_related("finding", "finding__site", "unit")
        .order_by("deadline", "pk")
    )
