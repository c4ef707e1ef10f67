"""Reads shared by views, exports and dashboards."""

from __future__ import annotations

from django.db.models import Count, F, Q, QuerySet, Sum
from django.utils import timezone

from . import access
from .models import FindingStatus, Notice, NoticeOutcome, Policy


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


def notices_for(user) -> QuerySet[Notice]:
    """Notices of the findings this user may see; no subquery at all for city-wide roles."""
    if access.visible_unit_ids(user) is None:
        return Notice.objects.all()
    return Notice.objects.filter(finding__in=access.findings_for(user).values("pk"))


def open_notices_for(user) -> QuerySet[Notice]:
    """Open notices of findings the user may see, soonest deadline first."""
    return (
        notices_for(user).filter(outcome=NoticeOutcome.OPEN,
                                 finding__status__in=[FindingStatus.ASSIGNED, FindingStatus.SUBMITTED])
        .select_related("finding", "finding__site", "unit")
        .order_by("deadline", "pk")
    )


# --- the leaders' dashboard ---------------------------------------------------------------


def _rate(part: int, whole: int) -> float | None:
    return None if not whole else round(100 * part / whole, 1)


def period_figures(user, start, end, today) -> dict:
    """Flow figures of [start, end] for the findings this user may see."""
    findings = access.findings_for(user)
    found = findings.filter(found_on__range=(start, end)).exclude(status=FindingStatus.VOID)
    counts = found.aggregate(n=Count("pk"), relapses=Count("pk", filter=Q(relapse_of__isnull=False)))
    notices = notices_for(user).filter(deadline__range=(start, min(end, today)))
    notices = notices.exclude(outcome__in=[NoticeOutcome.SUPERSEDED, NoticeOutcome.VOID])
    due = notices.count()
    on_time = notices.filter(
        outcome=NoticeOutcome.MET, submissions__decision="approved", submissions__submitted_on__lte=F("deadline")
    ).values("pk").distinct().count()
    return {
        "found": counts["n"],
        "closed": findings.filter(closed_on__range=(start, end)).count(),
        "on_time_rate": _rate(on_time, due),
        "relapse_rate": _rate(counts["relapses"], counts["n"]),
        "due": due,
    }


def weak_areas(user, start, end) -> dict:
    """Deductions and open findings by index category, by key item and by site type, since `start`."""
    qs = access.findings_for(user).filter(found_on__range=(start, end)).exclude(status=FindingStatus.VOID)
    open_q = Q(status__in=[FindingStatus.REGISTERED, FindingStatus.ASSIGNED, FindingStatus.SUBMITTED])

    def by(*fields):
        return list(
            qs.exclude(**{f"{fields[0]}__isnull": True}).values(*fields)
            .annotate(deduction=Sum("deduction"), n=Count("pk"), open=Count("pk", filter=open_q))
            .order_by("-deduction", "-n")[:8]
        )

    return {
        "categories": by("index_item__category_id", "index_item__category__name"),
        "key_items": list(
            qs.filter(index_item__is_key=True).values("index_item_id", "index_item__code", "index_item__name")
            .annotate(deduction=Sum("deduction"), n=Count("pk"), open=Count("pk", filter=open_q))
            .order_by("-deduction", "-n")[:8]
        ),
        "site_types": by("site__site_type_id", "site__site_type__name"),
    }


def live_rankings(today, *, unit_ids=None) -> list[dict]:
    """Every group's ranking for the current (open) month, computed now, with bottom-K streaks."""
    from .models import PeriodKind, PeriodStatus, RankingEntry, RankingGroup, RankingPeriod, Unit
    from .services import rankings

    period = rankings.month_period(today)
    k = Policy.current().bottom_k
    groups = list(RankingGroup.objects.all())
    members = {}
    for unit in Unit.objects.filter(is_active=True, ranking_group__isnull=False).only("pk", "name", "ranking_group_id",
                                                                                       "is_civilized"):
        members.setdefault(unit.ranking_group_id, []).append(unit)
    all_ids = [u.pk for units in members.values() for u in units]
    figures = rankings.figures_for(all_ids, period.start, min(period.end, today))
    closed = list(RankingPeriod.objects.filter(kind=PeriodKind.MONTH, status=PeriodStatus.CLOSED, end__lt=period.start)
                  .order_by("-end")[:12])
    bottoms = {}
    for entry in RankingEntry.objects.filter(period__in=closed, in_bottom=True).values("unit_id", "period_id"):
        bottoms.setdefault(entry["unit_id"], set()).add(entry["period_id"])
    out = []
    for group in groups:
        units = members.get(group.pk, [])
        if not units:
            continue
        scores = {u.pk: rankings.score(group, figures[u.pk]) for u in units}
        judged = len(scores) >= group.min_units_factor * k
        marks = rankings.rank_and_mark(scores, k=k, judged=judged)
        rows = []
        for unit in units:
            rank, bottom = marks[unit.pk]
            streak = 0
            for past in closed:
                if past.pk in bottoms.get(unit.pk, ()):
                    streak += 1
                else:
                    break
            fig = figures[unit.pk]
            rows.append({"unit": unit, "score": scores[unit.pk], "rank": rank, "bottom": bottom,
                         "streak": streak + (1 if bottom else 0), "misses": fig.misses, "findings": fig.findings,
                         "on_time_rate": fig.on_time_rate, "visible": unit_ids is None or unit.pk in unit_ids})
        rows.sort(key=lambda r: (r["rank"], r["unit"].name))
        out.append({"group": group, "rows": rows, "judged": judged, "period": period})
    return out


def trends(user, today, periods: int = 12) -> list[dict]:
    """Findings found, misses and the on-time rate for each of the last `periods` months, in four queries."""
    from dateutil.relativedelta import relativedelta
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
                    "on_time_rate": _rate(get(on_time), get(due))})
    return out
