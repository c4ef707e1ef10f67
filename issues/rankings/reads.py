"""Reads shared by views, exports and dashboards."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from dateutil.relativedelta import relativedelta
from django.db.models import Count, F, Q, QuerySet, Sum
from django.utils import timezone

from issues.core import access
from issues.models import (
    OPEN_STATUSES,
    AreaMonth,
    ExtensionRequest,
    ExtensionStatus,
    FindingStatus,
    MonthEndStock,
    Notice,
    NoticeOutcome,
    Policy,
    RankingGroup,
    RankingScheme,
    UnitMonth,
    overdue_q,
)
from issues.rankings.figures import (
    Figures,
    bottom_streaks,
    closed_run_before,
    due_totals,
    figures_for,
    month_to_date,
    rank_and_mark,
    score,
    stock_by_unit,
)


def overdue_count(user, today=None) -> int:
    """超期未整改: findings the user may see that passed a deadline and still wait for the unit."""
    today = today or timezone.localdate()
    return access.findings_for(user).filter(overdue_q(today)).count()


def open_count(user) -> int:
    return access.findings_for(user).filter(status__in=OPEN_STATUSES).count()




def stock_last_month(user, month) -> dict | None:
    """Open and overdue at the close of `month` for what the user may see; None before the first close."""
    rows = MonthEndStock.objects.filter(month=month)
    unit_ids = access.visible_unit_ids(user)
    if unit_ids is not None:
        rows = rows.filter(unit_id__in=unit_ids)
    if not MonthEndStock.objects.filter(month=month).exists():
        return None
    total = rows.aggregate(open=Sum("open"), registered=Sum("registered"), overdue=Sum("overdue"))
    total = {k: v or 0 for k, v in total.items()}
    # units never see findings not yet assigned to them
    return {"open": total["open"] - (total["registered"] if unit_ids is not None else 0), "overdue": total["overdue"]}


def notices_for(user) -> QuerySet[Notice]:
    """Notices of the findings this user may see; no subquery at all for city-wide roles."""
    if access.visible_unit_ids(user) is None:
        return Notice.objects.all()
    return Notice.objects.filter(finding__in=access.findings_for(user).values("pk"))


def open_notices_for(user, statuses=(FindingStatus.ASSIGNED, FindingStatus.SUBMITTED), *,
                     hidden: list[int] | None = None) -> QuerySet[Notice]:
    """Open notices of findings the user may see (in `statuses`), soonest deadline first. A unit's are
    found from the notices addressed to its units (an open notice goes to its finding's lead unit),
    through the index of open notices by unit, not by walking the units' findings. `hidden`: the
    covert rounds' ids, when the caller read them."""
    ids = access.visible_unit_ids(user)
    notices = Notice.objects.all()
    if ids is not None:
        notices = notices.filter(unit_id__in=ids)
        hidden = access.hidden_round_ids() if hidden is None else hidden
        if hidden:
            notices = notices.exclude(finding__inspection_round_id__in=hidden)
    return (
        notices.filter(outcome=NoticeOutcome.OPEN,
                       finding__status__in=statuses)
        .select_related("finding", "finding__site", "unit")
        .order_by("deadline", "pk")
    )


# --- the leaders' dashboard ---------------------------------------------------------------


def _rate(part: int, whole: int) -> float | None:
    return None if not whole else round(100 * part / whole, 1)


def period_figures(user, start, end, today) -> dict:
    """Flow figures of [start, end] for the findings this user may see, counted from the ledger."""
    counts = span_counts(user, start, end)
    notices = notices_for(user).filter(deadline__range=(start, min(end, today)))
    notices = notices.exclude(outcome__in=[NoticeOutcome.SUPERSEDED, NoticeOutcome.VOID])
    due = notices.count()
    on_time = notices.filter(
        outcome=NoticeOutcome.MET, submissions__decision="approved", submissions__submitted_on__lte=F("deadline")
    ).values("pk").distinct().count()
    extensions = ExtensionRequest.objects.filter(status=ExtensionStatus.APPROVED, notice__in=notices).count()
    return _flow(found=counts["found"], relapses=counts["relapses"], due=due, on_time=on_time,
                 extensions=extensions, closed=counts["closed"])


def same_span_last_month(today) -> tuple[dt.date, dt.date]:
    """The first days of last month as many as this month has had (to its last day at most): the span a
    month-to-date count is compared with."""
    start = today.replace(day=1) - relativedelta(months=1)
    end = min(start + relativedelta(days=today.day - 1), today.replace(day=1) - relativedelta(days=1))
    return start, end


def span_counts(user, start, end) -> dict:
    """Findings found (void ones aside), found as relapses and closed in [start, end], of those this user
    may see; counted by columns the indexes hold."""
    findings = access.findings_for(user)
    found = findings.filter(found_on__range=(start, end)).exclude(status=FindingStatus.VOID).aggregate(
        n=Count("found_on"), relapses=Count("relapse_of"))
    closed = findings.filter(closed_on__range=(start, end)).aggregate(n=Count("closed_on"))["n"]
    return {"found": found["n"], "relapses": found["relapses"], "closed": closed,
            "relapse_rate": _rate(found["relapses"], found["n"])}


def _flow(*, found, relapses, due, on_time, closed, misses=None, extensions=0, **_ignored) -> dict:
    return {"found": found, "closed": closed, "on_time_rate": _rate(on_time, due),
            "relapse_rate": _rate(relapses, found), "due": due, "misses": misses,
            "extensions": extensions, "extension_rate": _rate(extensions, due)}


def _summed(figures) -> dict:
    """Totals of figures.Figures values, in UnitMonth's field names."""
    total = dict.fromkeys(("found", "relapses", "closed", "due", "on_time", "misses", "extensions"), 0)
    for fig in figures:
        total["found"] += fig.findings
        total["relapses"] += fig.relapses
        total["closed"] += fig.closed
        total["due"] += fig.due
        total["on_time"] += fig.on_time
        total["misses"] += fig.misses
        total["extensions"] += fig.extensions
    return total


def _weak_rows(rows) -> list[dict]:
    return [r for r in rows if r["key"] is not None][:8]


def weak_areas(user, start, end) -> dict:
    """Deductions and open findings by index category, by key item and by site type, counted from the ledger."""
    qs = access.findings_for(user).filter(found_on__range=(start, end)).exclude(status=FindingStatus.VOID)
    open_q = Q(status__in=[FindingStatus.REGISTERED, FindingStatus.ASSIGNED, FindingStatus.SUBMITTED])

    def by(key, name, code=None, **where):
        names = {"key": F(key), "name": F(name)} | ({"code": F(code)} if code else {})
        return _weak_rows(
            qs.filter(**where).values(**names)
            .annotate(deduction=Sum("deduction"), n=Count("pk"), open=Count("pk", filter=open_q))
            .order_by("-deduction", "-n", "key")
        )

    return {
        "since": start,
        "categories": by("index_item__category_id", "index_item__category__name"),
        "key_items": by("index_item_id", "index_item__name", "index_item__code", index_item__is_key=True),
        "site_types": by("site__site_type_id", "site__site_type__name"),
    }


def stored_weak_areas(since) -> dict:
    """The same as weak_areas for city-wide roles, from the monthly figures (since is a month's first day).

    AreaMonth keeps per-item and per-site-type rows apart, so two GROUP BYs over a few hundred
    rows, each with the names joined (not looked up after by a list of a few hundred ids)."""
    rows = AreaMonth.objects.filter(month__gte=since)
    sums = {"deduction": Sum("deductions"), "n": Sum("found"), "open": Sum("open")}
    by_item = list(rows.filter(index_item__isnull=False).values(
        key=F("index_item_id"), code=F("index_item__code"), item_name=F("index_item__name"),
        is_key=F("index_item__is_key"), category=F("index_item__category_id"),
        category_name=F("index_item__category__name")).annotate(**sums).order_by())
    categories: dict[int, dict] = {}
    for row in by_item:
        total = categories.setdefault(row["category"], {"key": row["category"], "name": row["category_name"],
                                                        "deduction": 0, "n": 0, "open": 0})
        for name in ("deduction", "n", "open"):
            total[name] += row[name] or 0
    key_items = [{"key": row["key"], "name": row["item_name"], "code": row["code"], "deduction": row["deduction"],
                  "n": row["n"], "open": row["open"]} for row in by_item if row["is_key"]]
    site_types = [{"key": row["key"], "name": row["type_name"], "deduction": row["deduction"], "n": row["n"],
                   "open": row["open"]}
                  for row in rows.filter(site_type__isnull=False).values(
                      key=F("site_type_id"), type_name=F("site_type__name")).annotate(**sums).order_by()]

    def top(rows):
        return sorted(rows, key=lambda r: (-(r["deduction"] or 0), -(r["n"] or 0), r["key"]))[:8]

    return {"since": since, "categories": top(categories.values()), "key_items": top(key_items),
            "site_types": top(site_types)}


def dashboard_figures(user, today, policy: Policy | None = None) -> dict:
    """Everything the dashboard counts. City-wide roles read closed months from the monthly
    figures (services/aggregates.py) and count only the current month live; a unit's own scope
    is small and is counted live. `policy`: the office's settings, when the caller has read them."""

    start = today.replace(day=1)
    last = start - relativedelta(months=1)
    # each unit's notices due this month count only in a composite score (the dashboard shows no
    # unit's rates); the city's are counted as totals
    groups = list(RankingGroup.objects.all())
    composite = any(group.scheme == RankingScheme.COMPOSITE for group in groups)
    live = month_to_date(today, due=composite)
    unit_ids = access.visible_unit_ids(user)
    if unit_ids is None:
        fields = ("found", "relapses", "closed", "due", "on_time", "misses", "extensions")
        stored = {
            row["month"]: row for row in UnitMonth.objects.filter(month__gte=start - relativedelta(months=11),
                                                                  month__lt=start)
            .values("month").annotate(**{name: Sum(name) for name in fields}).order_by()
        }
        zero = dict.fromkeys(fields, 0)
        now_totals = _summed(live.values())
        if not composite:
            now_totals.update(due_totals(start, today))
        now = _flow(**now_totals)
        before = _flow(**stored.get(last, zero))
        trend = []
        for i in range(11, -1, -1):
            month = start - relativedelta(months=i)
            t = now_totals if month == start else stored.get(month, zero)
            trend.append({"label": f"{month.year}-{month.month:02d}", "found": t["found"], "misses": t["misses"],
                          "on_time_rate": _rate(t["on_time"], t["due"]), **_trend_links(month, today)})
        weak = stored_weak_areas(start - relativedelta(months=2))
    else:
        now = period_figures(user, start, today, today)
        before = period_figures(user, last, start - relativedelta(days=1), today)
        trend = trends(user, today)
        weak = weak_areas(user, start - relativedelta(months=2), today)
    stock = stock_by_unit(today)
    if unit_ids is None:  # the city's open and overdue findings: the rankings count them per unit anyway
        open_total = sum(row["open"] for row in stock.values())
        overdue = sum(row["overdue"] for row in stock.values())
    else:
        open_total, overdue = open_count(user), overdue_count(user, today)
    return {"now": now, "before": before, "trend": trend, "weak": weak, "open": open_total, "overdue": overdue,
            "rankings": live_rankings(today, unit_ids=unit_ids, figures=live, stock=stock, rates=False,
                                      groups=groups, policy=policy)}


@dataclass(frozen=True, slots=True)
class RankedUnit:
    pk: int
    name: str
    is_civilized: bool


def live_rankings(today, *, unit_ids=None, figures=None, stock=None, rates=True, groups=None,
                  policy=None) -> list[dict]:
    """Every group's ranking for the current (open) month, computed now, with bottom-K streaks.
    `figures`, `stock` (month to date, `stock_by_unit`), `groups` and `policy` when the caller has them; `rates`:
    each row's on-time and extension rates (the rankings page shows them, the dashboard does not)."""
    from issues.models import PeriodKind, Unit

    start = today.replace(day=1)
    k = (policy or Policy.current()).bottom_k
    groups = list(RankingGroup.objects.all()) if groups is None else groups
    members = {}
    # plain rows, not model instances: a city has a thousand units and the page shows a few dozen
    for pk, name, group_id, civilized in Unit.objects.filter(is_active=True, ranking_group__isnull=False).values_list(
        "pk", "name", "ranking_group_id", "is_civilized"
    ).order_by("kind", "name"):
        members.setdefault(group_id, []).append(RankedUnit(pk, name, civilized))
    if figures is None:
        figures = figures_for(None, start, today)
    if stock is None:
        stock = stock_by_unit(today)
    nothing, no_figures = {"open": 0, "overdue": 0}, Figures()  # for the units with neither, read only
    streaks = bottom_streaks(closed_run_before(start, PeriodKind.MONTH, limit=12),
                                      [u.pk for units in members.values() for u in units])
    out = []
    for group in groups:
        units = members.get(group.pk, [])
        if not units:
            continue
        unit_figures = {u.pk: figures.get(u.pk) or no_figures for u in units}
        scores = {pk: score(group, fig) for pk, fig in unit_figures.items()}
        judged = len(scores) >= group.min_units_factor * k
        marks = rank_and_mark(scores, k=k, judged=judged)
        rows = []
        for unit in units:
            rank, bottom = marks[unit.pk]
            fig, held = unit_figures[unit.pk], stock.get(unit.pk, nothing)
            rows.append({"unit": unit, "score": scores[unit.pk], "rank": rank, "bottom": bottom,
                         "streak": streaks[unit.pk] + (1 if bottom else 0), "misses": fig.misses, "findings": fig.findings,
                         "open": held["open"], "overdue": held["overdue"],
                         "extensions": fig.extensions, "visible": unit_ids is None or unit.pk in unit_ids,
                         **({"on_time_rate": fig.on_time_rate, "extension_rate": fig.extension_rate} if rates else {})})
        rows.sort(key=lambda r: (r["rank"], r["unit"].name))
        out.append({"group": group, "rows": rows, "judged": judged})
    return out


NON_VOID = "status=registered&status=assigned&status=submitted&status=closed"


def _trend_links(month, today) -> dict:
    """The ledger behind each of a month's numbers."""
    from django.urls import reverse

    last = min(month + relativedelta(months=1) - relativedelta(days=1), today)
    ledger = reverse("ledger")
    return {
        "found_url": f"{ledger}?found_from={month:%Y-%m-%d}&found_to={last:%Y-%m-%d}&{NON_VOID}",
        "missed_url": f"{ledger}?missed_from={month:%Y-%m-%d}&missed_to={last:%Y-%m-%d}",
        "due_url": f"{ledger}?due_from={month:%Y-%m-%d}&due_to={last:%Y-%m-%d}",
    }


def trends(user, today, periods: int = 12) -> list[dict]:
    """Findings found, misses and the on-time rate for each of the last `periods` months, in four queries."""
    from django.db.models import CharField
    from django.db.models.functions import Cast, Substr

    first = today.replace(day=1) - relativedelta(months=periods - 1)
    visible = access.findings_for(user)
    scoped = notices_for(user)

    def monthly(qs, field, **aggregates):
        # "YYYY-MM" from the date's text: native in SQLite and PostgreSQL (TruncMonth calls Python per row on SQLite)
        month = Substr(Cast(field, output_field=CharField()), 1, 7)
        rows = qs.annotate(month=month).values("month").annotate(**aggregates).order_by()
        return {row["month"]: row for row in rows}

    found = monthly(visible.filter(found_on__gte=first).exclude(status=FindingStatus.VOID), "found_on", n=Count("pk"))
    misses = monthly(scoped.filter(outcome=NoticeOutcome.MISSED, outcome_on__gte=first),
                     "outcome_on", n=Count("pk"))
    due_qs = scoped.filter(deadline__gte=first, deadline__lte=today).exclude(
        outcome__in=[NoticeOutcome.SUPERSEDED, NoticeOutcome.VOID])
    due = monthly(due_qs, "deadline", n=Count("pk"))
    on_time = monthly(due_qs.filter(outcome=NoticeOutcome.MET, submissions__decision="approved",
                                    submissions__submitted_on__lte=F("deadline")),
                      "deadline", n=Count("pk", distinct=True))
    out = []
    for i in range(periods):
        start = first + relativedelta(months=i)

        label = f"{start.year}-{start.month:02d}"

        def get(table, label=label):
            row = table.get(label)
            return row["n"] if row else 0

        out.append({"label": label, "found": get(found), "misses": get(misses),
                    "on_time_rate": _rate(get(on_time), get(due)), **_trend_links(start, today)})
    return out
