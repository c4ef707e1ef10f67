"""Ranking periods, the scores of every unit per group, and the bottom three (DOMAIN.md, "Bottom three").

Closing a period computes and stores one entry per active unit of every ranking group: the
figures behind the score, the score by the group's scheme, the rank, and whether the unit is in
the bottom K. The nightly job closes a period when it processes the period's last day, so what the
close decides is dated on that day. A closed period is frozen: closing again changes nothing;
reopening is an office action with a reason, and the next close recomputes the same rows.
"""

from __future__ import annotations

import bisect
import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from dateutil.relativedelta import relativedelta
from django.db import transaction
from django.db.models import Count, F, Q, Sum
from django.utils.translation import gettext as _

from .. import access
from ..exceptions import LedgerError
from ..models import (
    AuditEvent,
    Decision,
    EntrySource,
    ExtensionRequest,
    ExtensionStatus,
    Finding,
    FindingStatus,
    MissKind,
    Notice,
    NoticeOutcome,
    PeriodKind,
    PeriodStatus,
    Policy,
    RankingEntry,
    RankingGroup,
    RankingPeriod,
    RankingScheme,
    Submission,
    Unit,
    UnitMonth,
)
from . import aggregates

TWO = Decimal("0.01")
DEFAULT_COMPOSITE = {"handled": 30, "on_time": 20, "rework": 20, "overdue": 20, "extension": 10}


@dataclass
class Figures:
    """What a unit did in a period; the rates are None when their denominator is zero."""

    findings: int = 0
    deductions: Decimal = Decimal("0")
    closed: int = 0
    misses: int = 0
    relapses: int = 0
    due: int = 0
    handled: int = 0
    on_time: int = 0
    overdue: int = 0
    extensions: int = 0
    reviews: int = 0
    rejected: int = 0
    extra: dict = field(default_factory=dict)

    @staticmethod
    def rate(part: int, whole: int) -> Decimal | None:
        return None if whole == 0 else (Decimal(part) / Decimal(whole)).quantize(Decimal("0.0001"), ROUND_HALF_UP)

    @property
    def on_time_rate(self):
        return self.rate(self.on_time, self.due)

    @property
    def handled_rate(self):
        return self.rate(self.handled, self.due)

    @property
    def rework_rate(self):
        return self.rate(self.rejected, self.reviews)

    @property
    def overdue_rate(self):
        return self.rate(self.overdue, self.due)

    @property
    def extension_rate(self):
        return self.rate(self.extensions, self.due)

    def as_json(self) -> dict:
        def text(value):
            return None if value is None else str(value)

        return {
            "findings": self.findings, "deductions": str(self.deductions), "misses": self.misses,
            "relapses": self.relapses, "closed": self.closed, "due": self.due, "handled": self.handled, "on_time": self.on_time,
            "overdue": self.overdue, "extensions": self.extensions, "reviews": self.reviews, "rejected": self.rejected,
            "handled_rate": text(self.handled_rate), "on_time_rate": text(self.on_time_rate),
            "rework_rate": text(self.rework_rate), "overdue_rate": text(self.overdue_rate),
            "extension_rate": text(self.extension_rate), **self.extra,
        }


def month_period(day: dt.date) -> RankingPeriod:
    """The monthly period containing `day`, created when first needed."""
    start = day.replace(day=1)
    end = start + relativedelta(months=1) - dt.timedelta(days=1)
    period, _created = RankingPeriod.objects.get_or_create(
        kind=PeriodKind.MONTH, start=start, end=end, defaults={"name": f"{start.year}年{start.month}月"}
    )
    return period


def figures_for(units: list[int] | None, start: dt.date, end: dt.date) -> dict[int, Figures]:
    """Every unit's figures over [start, end], in a handful of set-based queries.

    `units=None` counts every unit (the keys are then the units that had anything); otherwise
    every listed unit has an entry, zero when it had nothing.
    """
    result: dict[int, Figures] = defaultdict(Figures)
    if units is not None:
        result.update({pk: Figures() for pk in units})
    _count_flow(result, units, start, end)
    _count_due(result, units, start, end)
    return dict(result)


def _scoped(qs, field, units):
    return qs if units is None else qs.filter(**{f"{field}__in": units})


def _count_flow(result, units, start, end) -> None:
    """Findings found, closed, misses and reviews dated in [start, end]."""

    def scoped(qs, field):
        return _scoped(qs, field, units)

    findings = (
        scoped(Finding.objects.filter(found_on__range=(start, end)), "lead_unit_id")
        .exclude(status=FindingStatus.VOID)
        .values(key=F("lead_unit_id"))
        .annotate(n=Count("pk"), ded=Sum("deduction"), relapses=Count("pk", filter=Q(relapse_of__isnull=False)))
        .order_by()
    )
    for row in findings:
        fig = result[row["key"]]
        fig.findings, fig.deductions, fig.relapses = row["n"], row["ded"] or Decimal("0"), row["relapses"]
    closed = scoped(Finding.objects.filter(closed_on__range=(start, end)), "lead_unit_id")
    for row in closed.values(key=F("lead_unit_id")).annotate(n=Count("pk")).order_by():
        result[row["key"]].closed = row["n"]
    misses = scoped(Notice.objects.filter(outcome=NoticeOutcome.MISSED, outcome_on__range=(start, end)), "unit_id")
    for row in misses.values(key=F("unit_id")).annotate(n=Count("pk")).order_by():
        result[row["key"]].misses = row["n"]
    reviews = (
        scoped(Submission.objects.filter(decided_on__range=(start, end)), "notice__unit_id")
        .exclude(decision=Decision.PENDING)
        .values(key=F("notice__unit_id"))
        .annotate(n=Count("pk"), rejected=Count("pk", filter=Q(decision=Decision.REJECTED)))
        .order_by()
    )
    for row in reviews:
        fig = result[row["key"]]
        fig.reviews, fig.rejected = row["n"], row["rejected"]


def _count_due(result, units, start, end) -> None:
    """Notices due in [start, end]: handled, overdue, on time, extended."""

    def scoped(qs, field):
        return _scoped(qs, field, units)

    due = (
        scoped(Notice.objects.filter(deadline__range=(start, end)), "unit_id")
        .exclude(outcome__in=[NoticeOutcome.SUPERSEDED, NoticeOutcome.VOID])
        .values(key=F("unit_id"))
        .annotate(
            due=Count("pk"),
            handled=Count("pk", filter=Q(outcome=NoticeOutcome.MET)),
            overdue=Count("pk", filter=Q(outcome=NoticeOutcome.MISSED, miss_kind=MissKind.DEADLINE)),
        )
        .order_by()
    )
    for row in due:
        fig = result[row["key"]]
        fig.due, fig.handled, fig.overdue = row["due"], row["handled"], row["overdue"]
    on_time = scoped(
        Notice.objects.filter(
            deadline__range=(start, end), outcome=NoticeOutcome.MET,
            submissions__decision=Decision.APPROVED, submissions__submitted_on__lte=F("deadline"),
        ),
        "unit_id",
    )
    for row in on_time.values(key=F("unit_id")).annotate(n=Count("pk", distinct=True)).order_by():
        result[row["key"]].on_time = row["n"]
    # approved extensions of the notices due in the period (延期率 = approved extensions / notices due)
    extended = scoped(
        ExtensionRequest.objects.filter(status=ExtensionStatus.APPROVED, notice__deadline__range=(start, end))
        .exclude(notice__outcome__in=[NoticeOutcome.SUPERSEDED, NoticeOutcome.VOID]),
        "notice__unit_id",
    )
    for row in extended.values(key=F("notice__unit_id")).annotate(n=Count("pk")).order_by():
        result[row["key"]].extensions = row["n"]


def month_to_date(today: dt.date) -> dict[int, Figures]:
    """Every unit's figures for the current month so far: what happened comes from the monthly
    figures (kept equal to a recount), the notices due up to today are counted now."""
    start = today.replace(day=1)
    result: dict[int, Figures] = defaultdict(Figures)
    for row in UnitMonth.objects.filter(month=start).values_list(
        "unit_id", "found", "deductions", "relapses", "closed", "misses", "reviews", "rejected"
    ):
        fig = result[row[0]]
        (fig.findings, fig.deductions, fig.relapses, fig.closed, fig.misses, fig.reviews, fig.rejected) = row[1:]
    _count_due(result, None, start, today)
    return dict(result)


def score(group: RankingGroup, fig: Figures) -> Decimal:
    if group.scheme == RankingScheme.COMPOSITE:
        weights = {**DEFAULT_COMPOSITE, **(group.composite_weights or {})}
        total = Decimal("0")
        # A rate with no denominator costs nothing: there was nothing to fail.
        for key, rate, good in (("handled", fig.handled_rate, True), ("on_time", fig.on_time_rate, True),
                                ("rework", fig.rework_rate, False), ("overdue", fig.overdue_rate, False),
                                ("extension", fig.extension_rate, False)):
            weight = Decimal(str(weights[key]))
            if rate is None:
                total += weight
            else:
                total += weight * (rate if good else 1 - rate)
        return total.quantize(TWO, ROUND_HALF_UP)
    value = Decimal("100") - fig.deductions - group.miss_weight * fig.misses - group.relapse_weight * fig.relapses
    return max(value, Decimal("0")).quantize(TWO, ROUND_HALF_UP)


def rank_and_mark(scores: dict[int, Decimal], *, k: int, judged: bool) -> dict[int, tuple[int, bool]]:
    """Competition ranks (ties share a rank) and the bottom-K flags of DOMAIN.md.

    In the bottom K: fewer than K units scored strictly lower, and at least one scored strictly
    higher. So ties at the edge are all in, and when all score the same nobody is.
    """
    values = sorted(scores.values())
    n = len(values)
    out = {}
    for unit_id, value in scores.items():
        lower = bisect.bisect_left(values, value)
        higher = n - bisect.bisect_right(values, value)
        out[unit_id] = (higher + 1, judged and lower < k and higher >= 1)
    return out


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


def closed_run_before(start: dt.date, kind: str, *, limit: int | None = None) -> list[RankingPeriod]:
    """The closed periods of `kind` that end the day before `start` and each one before that, newest
    first, stopping at the first gap: the periods a streak (DOMAIN.md) may run through."""
    history = RankingPeriod.objects.filter(kind=kind, status=PeriodStatus.CLOSED, end__lt=start).order_by("-end")
    run: list[RankingPeriod] = []
    expected_end = start - dt.timedelta(days=1)
    for period in history[:limit] if limit else history:
        if period.end != expected_end:
            break
        run.append(period)
        expected_end = period.start - dt.timedelta(days=1)
    return run


def bottom_streaks(run: list[RankingPeriod], unit_ids) -> dict[int, int]:
    """For each unit, how many periods of `run` (newest first) in a row it spent in the bottom K."""
    marked: dict[int, set[int]] = defaultdict(set)
    # a few entries a period are in the bottom K: read them all rather than name a thousand units
    for unit_id, period_id in RankingEntry.objects.filter(period__in=run, in_bottom=True).values_list(
            "unit_id", "period_id"):
        marked[unit_id].add(period_id)
    streaks = {}
    for unit_id in unit_ids:
        count = 0
        for period in run:
            if period.pk not in marked.get(unit_id, ()):
                break
            count += 1
        streaks[unit_id] = count
    return streaks


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
