"""Where each role lands after login, the leaders' dashboard, and a unit's own page."""

import json

from dateutil.relativedelta import relativedelta
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from .. import access, selectors
from ..models import FindingStatus, Policy, RankingEntry, Sanction, SanctionStatus, Unit


@login_required
def home(request):
    user = request.user
    if access.is_office(user):
        return redirect("ledger")
    if access.is_unit_user(user):
        return redirect("inbox")
    return redirect("dashboard")


def _delta(now, before):
    if now is None or before is None:
        return None
    return round(now - before, 1)


@login_required
def dashboard(request):
    """How far from passing, who drags us down, where we lose points: one page before the meeting."""
    user = request.user
    today = timezone.localdate()
    start = today.replace(day=1)
    last_start = start - relativedelta(months=1)
    last_end = start - relativedelta(days=1)
    now = selectors.period_figures(user, start, today, today)
    before = selectors.period_figures(user, last_start, last_end, today)
    counts = selectors.status_counts(user)
    policy = Policy.current()
    unit_ids = access.visible_unit_ids(user)
    # only city-wide roles see the sanctions tile (units do not read the sanctions ledger)
    sanctions = Sanction.objects.filter(status=SanctionStatus.IN_FORCE).count() if unit_ids is None else None
    trend = selectors.trends(user, today)
    return render(request, "issues/dashboard.html", {
        "today": today,
        "unit": access.unit_of(user) if access.is_unit_user(user) else None,
        "countdown": (policy.next_assessment_date - today).days if policy.next_assessment_date else None,
        "assessment_date": policy.next_assessment_date,
        "open_total": sum(counts[s] for s in (FindingStatus.REGISTERED, FindingStatus.ASSIGNED, FindingStatus.SUBMITTED)),
        "overdue": selectors.overdue_count(user, today),
        "counts": [(value, FindingStatus(value).label, n) for value, n in counts.items()],
        "now": now, "before": before,
        "closed_delta": now["closed"] - before["closed"],
        "on_time_delta": _delta(now["on_time_rate"], before["on_time_rate"]),
        "relapse_delta": _delta(now["relapse_rate"], before["relapse_rate"]),
        "sanctions_in_force": sanctions,
        "rankings": selectors.live_rankings(today, unit_ids=unit_ids),
        "sees_all": unit_ids is None,
        "weak": selectors.weak_areas(user, today - relativedelta(months=3), today),
        "trend": trend,
        "trend_json": json.dumps(trend, ensure_ascii=False),
        "month_start": start,
    })


@login_required
def unit_page(request, pk):
    """A unit's ranking history and its open work; units see only themselves and those below."""
    visible = access.visible_unit_ids(request.user)
    if visible is not None and pk not in visible:
        raise Http404(_("没有找到这个单位。"))
    unit = get_object_or_404(Unit.objects.select_related("ranking_group", "parent"), pk=pk)
    history = RankingEntry.objects.filter(unit=unit).select_related("period", "group").order_by("-period__start")[:24]
    return render(request, "issues/unit.html", {
        "unit": unit, "history": history,
        "open": unit.findings.filter(status__in=[FindingStatus.ASSIGNED, FindingStatus.SUBMITTED]).count(),
        "overdue": unit.findings.filter(status=FindingStatus.ASSIGNED,
                                        current_notice__deadline__lt=timezone.localdate()).count(),
        "sanctions": unit.sanctions.select_related("rule").order_by("-decided_on")[:20],
    })
