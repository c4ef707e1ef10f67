"""What units did in a period, counted from the ledger, and the scores and ranks made of it.

Read-only, and it imports only the models: the rankings' services, the monthly figures and the
dashboard's reads all count through here."""

from __future__ import annotations

import bisect
import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Count, F, Q, Sum

from issues.models import (
    OPEN_STATUSES,
    Decision,
    ExtensionRequest,
    ExtensionStatus,
    Finding,
    FindingStatus,
    MissKind,
    Notice,
    NoticeOutcome,
    PeriodStatus,
    RankingEntry,
    RankingGroup,
    RankingPeriod,
    RankingScheme,
    Submission,
    UnitMonth,
    overdue_q,
)

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
        # counts of columns the covering index holds (found_on, relapse_of), not of the id, which on
        # PostgreSQL only the table has
        .annotate(n=Count("found_on"), ded=Sum("deduction"), relapses=Count("relapse_of"))
        .order_by()
    )
    for row in findings:
        fig = result[row["key"]]
        fig.findings, fig.deductions, fig.relapses = row["n"], row["ded"] or Decimal("0"), row["relapses"]
    closed = scoped(Finding.objects.filter(closed_on__range=(start, end)), "lead_unit_id")
    for row in closed.values(key=F("lead_unit_id")).annotate(n=Count("closed_on")).order_by():
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


def _due(units, start, end):
    """The notices due in [start, end] (superseded and void ones aside), those of them met by a fix
    approved and sent by the deadline, and the approved extensions of them (延期率 = approved
    extensions / notices due): per unit by _count_due, for the city by due_totals."""
    due = _scoped(Notice.objects.filter(deadline__range=(start, end)), "unit_id", units).exclude(
        outcome__in=[NoticeOutcome.SUPERSEDED, NoticeOutcome.VOID])
    on_time = _scoped(
        Notice.objects.filter(
            deadline__range=(start, end), outcome=NoticeOutcome.MET,
            submissions__decision=Decision.APPROVED, submissions__submitted_on__lte=F("deadline"),
        ),
        "unit_id", units,
    )
    extended = _scoped(
        ExtensionRequest.objects.filter(status=ExtensionStatus.APPROVED, notice__deadline__range=(start, end))
        .exclude(notice__outcome__in=[NoticeOutcome.SUPERSEDED, NoticeOutcome.VOID]),
        "notice__unit_id", units,
    )
    return due, on_time, extended


DUE_COUNTS = {
    "due": Count("outcome"),  # a column the index holds, as above
    "handled": Count("outcome", filter=Q(outcome=NoticeOutcome.MET)),
    "overdue": Count("outcome", filter=Q(outcome=NoticeOutcome.MISSED, miss_kind=MissKind.DEADLINE)),
}


def _count_due(result, units, start, end) -> None:
    """Notices due in [start, end] per unit: handled, overdue, on time, extended."""
    due, on_time, extended = _due(units, start, end)
    for unit_id, due_n, handled, overdue in due.values_list("unit_id").annotate(**DUE_COUNTS).order_by():
        fig = result[unit_id]
        fig.due, fig.handled, fig.overdue = due_n, handled, overdue
    for unit_id, n in on_time.values_list("unit_id").annotate(n=Count("pk", distinct=True)).order_by():
        result[unit_id].on_time = n
    for unit_id, n in extended.values_list("notice__unit_id").annotate(n=Count("pk")).order_by():
        result[unit_id].extensions = n


def due_totals(start: dt.date, end: dt.date) -> dict[str, int]:
    """The city's notices due in [start, end], met on time and extended, counted as _count_due counts
    them per unit (in UnitMonth's names)."""
    due, on_time, extended = _due(None, start, end)
    return {"due": due.aggregate(n=DUE_COUNTS["due"])["n"],
            "on_time": on_time.aggregate(n=Count("pk", distinct=True))["n"], "extensions": extended.count()}


def on_time_by_unit(start: dt.date, end: dt.date) -> dict[int, Figures]:
    """Every unit's notices due in [start, end] and how many were met on time (the praise board)."""
    result: dict[int, Figures] = defaultdict(Figures)
    _count_due(result, None, start, end)
    return dict(result)


def month_to_date(today: dt.date, *, due: bool = True) -> dict[int, Figures]:
    """Every unit's figures for the current month so far: what happened comes from the monthly
    figures (kept equal to a recount), the notices due up to today are counted now (`due=False`:
    not counted, for scores that do not read them; the city's come from due_totals)."""
    start = today.replace(day=1)
    result: dict[int, Figures] = defaultdict(Figures)
    for row in UnitMonth.objects.filter(month=start).values_list(
        "unit_id", "found", "deductions", "relapses", "closed", "misses", "reviews", "rejected"
    ):
        fig = result[row[0]]
        (fig.findings, fig.deductions, fig.relapses, fig.closed, fig.misses, fig.reviews, fig.rejected) = row[1:]
    if due:
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


def stock_by_unit(today) -> dict[int, dict]:
    """Open (of which not yet assigned) and overdue findings per lead unit, now; one query over the
    open findings, grouped by status and unit as the (status, lead unit, ...) index lists them, and
    added up per unit here."""
    stock: dict[int, dict] = defaultdict(lambda: {"open": 0, "registered": 0, "overdue": 0})
    for status, unit_id, n, overdue in (
        Finding.objects.filter(status__in=OPEN_STATUSES).values_list("status", "lead_unit_id")
        # counting a column the index holds, not the id: PostgreSQL then reads the index alone
        .annotate(n=Count("status"), overdue=Count("status", filter=overdue_q(today))).order_by()
    ):
        row = stock[unit_id]
        row["open"] += n
        row["overdue"] += overdue
        if status == FindingStatus.REGISTERED:
            row["registered"] += n
    return dict(stock)


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
    for unit_id, period_id in RankingEntry.objects.filter(period__in=run, in_bottom=True).order_by().values_list(
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
