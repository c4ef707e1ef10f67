"""Where each role lands after login, the leaders' dashboard, and a unit's own page."""

import json
from decimal import Decimal

from dateutil.relativedelta import relativedelta
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from issues.assessment import reads as assessment_reads
from issues.core import access
from issues.core.links import path_maker
from issues.models import (
    AssessmentEdition,
    FindingStatus,
    Policy,
    RankingEntry,
    Sanction,
    SanctionStatus,
    Unit,
    overdue_q,
)
from issues.rankings import reads as selectors
from issues.reports import reads as citizen_reads


@login_required
@require_safe
def home(request):
    user = request.user
    if access.is_office(user):
        return redirect("ledger")
    if access.is_unit_user(user):
        return redirect("inbox")
    return redirect("dashboard")


SHOWN_WHOLE = 12


def _trimmed(rows: list[dict], sees_all: bool) -> list[dict | None]:
    """A long ranking on the dashboard: the top three, a gap (None), and the bottom from the first
    unit marked (or the last five); the whole table is one click away."""
    if not sees_all:
        return [r for r in rows if r["visible"]]
    if len(rows) <= SHOWN_WHOLE:
        return rows
    marked = [i for i, r in enumerate(rows) if r["bottom"]]
    cut = min(marked[0] if marked else len(rows), len(rows) - 5)
    return rows[:3] + [None] + rows[max(cut, 3):]


def _delta(now, before):
    if now is None or before is None:
        return None
    return round(now - before, 1)


@login_required
@require_safe
def dashboard(request):
    """How far from passing, who drags us down, where we lose points: one page before the meeting."""
    user = request.user
    today = timezone.localdate()
    start = today.replace(day=1)
    unit_ids = access.visible_unit_ids(user)
    policy = Policy.current()
    figures = selectors.dashboard_figures(user, today, policy)
    unit_url = path_maker("unit_page")
    for table in figures["rankings"]:
        table["shown"] = _trimmed(table["rows"], unit_ids is None)
        for row in table["shown"]:
            if row is not None:
                row["unit_url"] = unit_url(row["unit"].pk)
    now, before, trend = figures["now"], figures["before"], figures["trend"]
    # counts so far this month against the same days of last month; a rate against last month's whole
    span_start, span_end = selectors.same_span_last_month(today)
    span = selectors.span_counts(user, span_start, span_end)
    stock_before = selectors.stock_last_month(user, start - relativedelta(months=1))
    open_total, overdue = figures["open"], figures["overdue"]
    # the countdown's target: the current assessment edition's date, else the office's setting
    edition = AssessmentEdition.current()
    assessment_date = edition.assessed_on if edition is not None else policy.next_assessment_date
    # only city-wide roles see the sanctions tile (units do not read the sanctions ledger)
    sanctions = Sanction.objects.filter(status=SanctionStatus.IN_FORCE).count() if unit_ids is None else None
    return render(request, "issues/dashboard.html", {
        "today": today,
        "unit": access.unit_of(user) if access.is_unit_user(user) else None,
        "countdown": (assessment_date - today).days if assessment_date else None,
        "assessment_date": assessment_date,
        "open_total": open_total,
        "overdue": overdue,
        "open_delta": None if stock_before is None else open_total - stock_before["open"],
        "overdue_delta": None if stock_before is None else overdue - stock_before["overdue"],
        "now": now, "before": before,
        "span_start": span_start, "span_end": span_end,
        "closed_delta": now["closed"] - span["closed"],
        "on_time_delta": _delta(now["on_time_rate"], before["on_time_rate"]),
        "relapse_delta": _delta(now["relapse_rate"], span["relapse_rate"]),
        "sanctions_in_force": sanctions,
        "citizen": _citizen_counts(today) if unit_ids is None else None,
        # if the assessors came today: the current edition's parts (city-wide roles)
        "predicted": assessment_reads.predicted(edition, today) if edition is not None and unit_ids is None else None,
        "rankings": figures["rankings"],
        "sees_all": unit_ids is None,
        "weak": figures["weak"],
        "weak_sections": [(_("测评项目"), figures["weak"]["categories"], "category"),
                          (_("关键项目不丢分"), figures["weak"]["key_items"], "item"),
                          (_("点位类型"), figures["weak"]["site_types"], "site_type")],
        "trend": trend,
        "trend_json": json.dumps(trend, ensure_ascii=False),
        "month_start": start,
        "open_statuses": "status=registered&status=assigned&status=submitted",
    })


def _citizen_counts(today) -> dict:
    """The month's citizen reports for the city-wide roles, rates in per cent."""
    counts = citizen_reads.month_counts(today)
    for name in ("in_time_rate", "accepted_rate"):
        rate = counts[name]
        counts[name] = None if rate is None else (rate * 100).quantize(Decimal("0.1"))
    return counts


@login_required
@require_safe
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
        "overdue": unit.findings.filter(overdue_q(timezone.localdate())).count(),
        "sanctions": unit.sanctions.select_related("rule").order_by("-decided_on")[:20],
    })
