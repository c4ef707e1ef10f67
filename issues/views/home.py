"""Where each role lands after login, and the overview that stands in for the dashboard."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils import timezone

from .. import access, selectors
from ..models import FindingStatus


@login_required
def home(request):
    user = request.user
    if access.is_office(user):
        return redirect("ledger")
    if access.is_unit_user(user):
        return redirect("inbox")
    return redirect("dashboard")


@login_required
def dashboard(request):
    """City overview: counts per status and the notices due soonest (the dashboard issue replaces it)."""
    user = request.user
    today = timezone.localdate()
    counts = selectors.status_counts(user)
    notices = list(selectors.open_notices_for(user)[:20])
    for notice in notices:
        notice.is_overdue = notice.deadline < today and notice.finding.status == FindingStatus.ASSIGNED
    return render(request, "issues/dashboard.html", {
        "today": today,
        "unit": access.unit_of(user) if access.is_unit_user(user) else None,
        "counts": [(value, FindingStatus(value).label, n) for value, n in counts.items()],
        "open_total": sum(counts[s] for s in (FindingStatus.REGISTERED, FindingStatus.ASSIGNED, FindingStatus.SUBMITTED)),
        "overdue": selectors.overdue_count(user, today),
        "notices": notices,
    })
