"""Ranking periods for the office: close one, reopen one with a reason, enter external results."""

from __future__ import annotations

from decimal import Decimal

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from issues.core import access
from issues.core.exceptions import LedgerError
from issues.forms import ReopenForm, ResultsForm
from issues.models import PeriodStatus, RankingEntry, RankingGroup, RankingPeriod
from issues.rankings import reads as selectors
from issues.rankings import services as rankings
from issues.views.decorators import office_required


@login_required
@require_safe
def period_list(request):
    if not access.sees_everything(request.user):
        raise PermissionDenied(_("排名周期只对创文办、市领导和督查纪检开放。"))
    periods = RankingPeriod.objects.order_by("-end")[:36]
    counts = dict(RankingEntry.objects.filter(period__in=[p.pk for p in periods]).values_list("period_id")
                  .annotate(n=Count("pk")).order_by())
    for period in periods:
        period.entry_count = counts.get(period.pk, 0)
        period.can_close = period.status == PeriodStatus.OPEN and period.end < timezone.localdate()
    return render(request, "issues/periods.html", {
        "periods": periods, "is_office": access.is_office(request.user),
        "reopen_form": ReopenForm(), "results_form": ResultsForm(),
    })


@office_required
@require_POST
def period_close(request, pk):
    period = get_object_or_404(RankingPeriod, pk=pk)
    if period.end >= timezone.localdate():
        messages.error(request, _("周期 %(name)s 尚未结束，不能关闭。") % {"name": period.name})
        return redirect("periods")
    written = rankings.close_period(period)
    messages.success(request, _("周期 %(name)s 已关闭，计算了 %(n)d 个单位的排名。") % {"name": period.name, "n": written})
    return redirect("periods")


@office_required
@require_POST
def period_reopen(request, pk):
    form = ReopenForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("重新打开排名周期必须填写原因。"))
        return redirect("periods")
    try:
        period = rankings.reopen_period(actor=request.user, period_id=pk, reason=form.cleaned_data["reason"])
    except LedgerError as exc:
        messages.error(request, exc.message)
        return redirect("periods")
    messages.success(request, _("周期 %(name)s 已重新打开。") % {"name": period.name})
    return redirect("periods")


@office_required
def period_results(request, pk):
    period = get_object_or_404(RankingPeriod, pk=pk)
    form = ResultsForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            n = rankings.enter_external_results(actor=request.user, period_id=period.pk,
                                                group_id=form.cleaned_data["group"].pk,
                                                scores=form.cleaned_data["parsed"])
        except LedgerError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("已录入 %(n)d 个单位的外部测评得分，替代系统计算结果。") % {"n": n})
            return redirect("periods")
    return render(request, "issues/period_results.html", {"period": period, "form": form},
                  status=400 if form.errors else 200)


def _stored_rate(text):
    return None if text in (None, "") else Decimal(text)


@login_required
@require_safe
def ranking_table(request):
    """One group's whole ranking for one period: live for the current month, stored once closed.

    Units see only their own rows (their rank among the others, not the others' details)."""
    today = timezone.localdate()
    unit_ids = access.visible_unit_ids(request.user)
    groups = list(RankingGroup.objects.all())
    if not groups:  # a new deployment: say what to do rather than answer 404
        return render(request, "issues/ranking_table.html", {"no_groups": True})
    group = get_object_or_404(RankingGroup, pk=request.GET.get("group") or groups[0].pk)
    current = rankings.month_period(today)
    period = get_object_or_404(RankingPeriod, pk=request.GET.get("period") or current.pk)
    if period.status == PeriodStatus.CLOSED:
        rows = [{"unit": e.unit, "rank": e.rank, "score": e.score, "bottom": e.in_bottom,
                 "misses": e.miss_count, "findings": e.findings_count, "on_time_rate": e.on_time_rate,
                 "extensions": (e.figures or {}).get("extensions", 0),
                 "extension_rate": _stored_rate((e.figures or {}).get("extension_rate")),
                 "visible": unit_ids is None or e.unit_id in unit_ids}
                for e in RankingEntry.objects.filter(period=period, group=group).select_related("unit")
                .order_by("rank", "unit__name")]
        first = RankingEntry.objects.filter(period=period, group=group).values_list("figures", flat=True).first()
        judged = (first or {}).get("judged", True)
        live = False
    elif period.pk == current.pk:
        table = next((g for g in selectors.live_rankings(today, unit_ids=unit_ids) if g["group"].pk == group.pk), None)
        rows, judged, live = (table["rows"], table["judged"], True) if table else ([], True, True)
    else:
        rows, judged, live = [], True, False
    periods = RankingPeriod.objects.filter(kind=period.kind).filter(
        Q(status=PeriodStatus.CLOSED) | Q(pk=current.pk)).order_by("-end")[:36]
    return render(request, "issues/ranking_table.html", {
        "group": group, "groups": groups, "period": period, "periods": periods, "live": live, "judged": judged,
        "rows": [r for r in rows if unit_ids is None or r["visible"]], "total": len(rows),
        "sees_all": unit_ids is None, "month_start": period.start,
    })
