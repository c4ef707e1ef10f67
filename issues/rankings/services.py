"""Ranking periods, the scores of every unit per group, and the bottom three (DOMAIN.md, "Bottom three").

Closing a period computes and stores one entry per active unit of every ranking group: the
figures behind the score, the score by the group's scheme, the rank, and whether the unit is in
the bottom K. The nightly job closes a period when it processes the period's last day, so what the
close decides is dated on that day. A closed period is frozen: closing again changes nothing;
reopening is an office action with a reason, and the next close recomputes the same rows.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal

from dateutil.relativedelta import relativedelta
from django.db import transaction
from django.utils.translation import gettext as _

from issues.core import access
from issues.core.exceptions import LedgerError
from issues.models import (
    AuditEvent,
    EntrySource,
    PeriodKind,
    PeriodStatus,
    Policy,
    RankingEntry,
    RankingGroup,
    RankingPeriod,
    Unit,
)
from issues.rankings import aggregates
from issues.rankings.figures import TWO, Figures, figures_for, rank_and_mark, score


def month_period(day: dt.date) -> RankingPeriod:
    """The monthly period containing `day`, created when first needed."""
    start = day.replace(day=1)
    end = start + relativedelta(months=1) - dt.timedelta(days=1)
    period, _created = RankingPeriod.objects.get_or_create(
        kind=PeriodKind.MONTH, start=start, end=end, defaults={"name": f"{start.year}年{start.month}月"}
    )
    return period
















@transaction.atomic
def close_period(period: RankingPeriod, *, closed_on: dt.date | None = None) -> int:
    """Compute and store every group's entries and close the period; returns how many entries."""
    period = RankingPeriod.objects.select_for_update().get(pk=period.pk)
    if period.status == PeriodStatus.CLOSED:
        return 0
    closed_on = closed_on or period.end
    k = Policy.current().bottom_k
    groups = list(RankingGroup.objects.all())
    members: dict[int, list[int]] = defaultdict(list)
    for pk, group_id in Unit.objects.filter(is_active=True, ranking_group__isnull=False).values_list(
        "pk", "ranking_group_id"
    ):
        members[group_id].append(pk)
    figures = figures_for(None, period.start, period.end)
    if period.kind == PeriodKind.MONTH:
        aggregates.store_month(period.start, figures)  # the close is also the month's recount
        aggregates.snapshot_stock(period.start, closed_on)
    written = 0
    for group in groups:
        imported = {e.unit_id: e for e in RankingEntry.objects.filter(period=period, group=group,
                                                                       source=EntrySource.IMPORTED)}
        if imported:
            scores = {unit_id: entry.score for unit_id, entry in imported.items()}
        else:
            scores = {pk: score(group, figures.get(pk) or Figures()) for pk in members.get(group.pk, [])}
        if not scores:
            continue
        judged = len(scores) >= group.min_units_factor * k
        marks = rank_and_mark(scores, k=k, judged=judged)
        for unit_id, value in scores.items():
            fig = figures.get(unit_id, Figures())
            rank, bottom = marks[unit_id]
            RankingEntry.objects.update_or_create(
                period=period, unit_id=unit_id,
                defaults={
                    "group": group, "score": value, "rank": rank, "in_bottom": bottom,
                    "findings_count": fig.findings, "deduction_total": fig.deductions, "miss_count": fig.misses,
                    "relapse_count": fig.relapses, "on_time_rate": fig.on_time_rate,
                    "source": EntrySource.IMPORTED if imported else EntrySource.COMPUTED,
                    "figures": fig.as_json() | {"judged": judged, "scheme": group.scheme},
                },
            )
            written += 1
    RankingPeriod.objects.filter(pk=period.pk).update(status=PeriodStatus.CLOSED, closed_on=closed_on)
    AuditEvent.record(actor=None, obj=period, action="period_closed", after=PeriodStatus.CLOSED,
                      message=f"排名周期 {period.name} 关闭，{written} 个单位", data={"closed_on": closed_on.isoformat()})
    return written






def close_periods_ending(day: dt.date) -> list[RankingPeriod]:
    """What the nightly job does for `day`: make sure this month has its period, close those ending today."""
    month_period(day)
    closed = []
    for period in RankingPeriod.objects.filter(end=day, status=PeriodStatus.OPEN).order_by("start"):
        close_period(period, closed_on=day)
        closed.append(period)
    return closed


@transaction.atomic
def reopen_period(*, actor, period_id: int, reason: str) -> RankingPeriod:
    access.ensure_office(actor)
    reason = (reason or "").strip()
    if not reason:
        raise LedgerError(_("重新打开排名周期必须填写原因。"))
    period = RankingPeriod.objects.select_for_update().get(pk=period_id)
    if period.status != PeriodStatus.CLOSED:
        raise LedgerError(_("该排名周期尚未关闭。"))
    RankingPeriod.objects.filter(pk=period.pk).update(status=PeriodStatus.OPEN, closed_on=None)
    AuditEvent.record(actor=actor, obj=period, action="period_reopened", before=PeriodStatus.CLOSED,
                      after=PeriodStatus.OPEN, message=f"重新打开排名周期 {period.name}：{reason}")
    period.refresh_from_db()
    return period


@transaction.atomic
def enter_external_results(*, actor, period_id: int, group_id: int, scores: dict[int, Decimal]) -> int:
    """Results of an external assessment for one period and group; they replace the computed ones."""
    access.ensure_office(actor)
    period = RankingPeriod.objects.select_for_update().get(pk=period_id)
    group = RankingGroup.objects.get(pk=group_id)
    if period.status == PeriodStatus.CLOSED:
        raise LedgerError(_("排名周期“%(name)s”已关闭；请先重新打开再导入。") % {"name": period.name})
    if not scores:
        raise LedgerError(_("没有可导入的得分。"))
    members = set(Unit.objects.filter(ranking_group=group).values_list("pk", flat=True))
    strangers = set(scores) - members
    if strangers:
        names = "、".join(Unit.objects.filter(pk__in=strangers).values_list("name", flat=True))
        raise LedgerError(_("这些单位不属于排名分组“%(group)s”：%(names)s") % {"group": group.name, "names": names})
    k = Policy.current().bottom_k
    marks = rank_and_mark(scores, k=k, judged=len(scores) >= group.min_units_factor * k)
    RankingEntry.objects.filter(period=period, group=group).exclude(unit_id__in=scores).delete()
    for unit_id, value in scores.items():
        rank, bottom = marks[unit_id]
        RankingEntry.objects.update_or_create(
            period=period, unit_id=unit_id,
            defaults={"group": group, "score": Decimal(value).quantize(TWO), "rank": rank, "in_bottom": bottom,
                      "source": EntrySource.IMPORTED, "figures": {"judged": len(scores) >= group.min_units_factor * k}},
        )
    AuditEvent.record(actor=actor, obj=period, action="external_results",
                      message=f"导入外部测评结果：{period.name} {group.name}，{len(scores)} 个单位")
    return len(scores)
