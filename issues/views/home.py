"""Where each role lands after login."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.utils import timezone

from .. import access, selectors
from ..models import FindingStatus
from ..workcalendar import WorkCalendar


@login_required
def home(request):
    user = request.user
    today = timezone.localdate()
    notices = list(selectors.open_notices_for(user)[:50])
    if notices:
        low = min(today, min(n.deadline for n in notices))
        high = max(today, max(n.deadline for n in notices))
        cal = WorkCalendar.load(low, high)
        for notice in notices:
            notice.days_left = cal.working_days_between(today, notice.deadline)
            notice.is_overdue = notice.deadline < today and notice.finding.status == FindingStatus.ASSIGNED
            notice.overdue_days = (today - notice.deadline).days
    counts = selectors.status_counts(user)
    context = {
        "today": today,
        "unit": access.unit_of(user),
        "counts": [(FindingStatus(key).label, value) for key, value in counts.items()],
        "open_total": sum(counts[s] for s in (FindingStatus.REGISTERED, FindingStatus.ASSIGNED, FindingStatus.SUBMITTED)),
        "overdue": sum(1 for n in notices if n.is_overdue) if access.is_unit_user(user) else selectors.overdue_count(user, today),
        "notices": notices,
        "is_office": access.is_office(user),
        "is_unit_user": access.is_unit_user(user),
    }
    return render(request, "issues/home.html", context)
