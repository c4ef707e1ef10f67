"""Monthly figures kept beside the ledger so the dashboard does not recount three years of findings.

Two tables, kept equal to a recount, so refreshing a row is always safe:

- UnitMonth: a unit's figures for a calendar month, exactly what `figures.figures_for` counts
  for that unit over the whole month (findings found, relapses, deductions, closed, notices due,
  handled, on time, overdue, misses, reviews, rejections);
- AreaMonth: findings found in a month per index item and site type, with their deductions and
  how many are still open.

Every service that changes findings, notices or submissions makes a `Recount` of the findings
before the change and calls its `done()` after it, in the same transaction. Closing a monthly
ranking period stores the month's recount as a side effect, and `manage.py recount_figures --check`
compares the tables with a full recount.

Two bulk writers add to the rows instead of recounting them, because what they change is known
exactly: an import's new findings (`add_new_findings`) and the nightly job's deadline misses
(`add_deadline_misses`); the tests compare both with a full recount.

The same `Recount` keeps LedgerCount, the ledger's status tabs: it reads each finding's (unit,
status, noticed) before the change and after it, and adds the difference to those rows, read under
a row lock, so two changes to one unit at once both count.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Iterable
from decimal import Decimal

from dateutil.relativedelta import relativedelta
from django.db import transaction
from django.db.models import BooleanField, Count, ExpressionWrapper, Max, Min, Q, Sum

from issues.core.access import top_units
from issues.core.lookups import IdList
from issues.models import (
    OPEN_STATUSES,
    AreaMonth,
    Finding,
    FindingStatus,
    LedgerCount,
    MonthEndStock,
    Notice,
    Submission,
    UnitMonth,
)
from issues.rankings.figures import figures_for, stock_by_unit

CHUNK = 500
UNIT_FIELDS = ("found", "relapses", "deductions", "closed", "due", "handled", "on_time", "overdue", "misses",
               "reviews", "rejected", "extensions")

ZERO_ROW = {**dict.fromkeys(UNIT_FIELDS, 0), "deductions": Decimal("0")}


def month_of(day: dt.date) -> dt.date:
    return day.replace(day=1)


def month_end(month: dt.date) -> dt.date:
    return month + relativedelta(months=1) - dt.timedelta(days=1)


class Recount:
    """The monthly figures a change to some findings moves, recounted when the change is done.

    Made before the change, it reads the (unit, month) pairs and months the findings count in;
    `done()`, in the same transaction after the change, recounts those and the ones they count in
    now: a deadline moved to the next month, or a finding moved to another unit, fixes both sides."""

    def __init__(self, *finding_ids: int, created: bool = False):
        """`created`: the findings were just created, so nothing counted them before."""
        self.finding_ids = set(finding_ids)
        self.unit_months, self.area_months = touched_by(self.finding_ids)
        self.keys = Counter() if created else ledger_keys(self.finding_ids)

    def done(self) -> None:
        units, areas = touched_by(self.finding_ids)
        refresh(self.unit_months | units, self.area_months | areas)
        after = ledger_keys(self.finding_ids)
        after.subtract(self.keys)
        add_to_ledger_counts(after)


LedgerKey = tuple[int, str, bool]  # (lead unit, status, noticed)


def ledger_keys(finding_ids: Iterable[int]) -> Counter:
    """How many of these findings count under each LedgerCount row, now."""
    keys: Counter = Counter()
    ids = list(finding_ids)
    for i in range(0, len(ids), CHUNK):
        keys.update(Finding.objects.filter(pk__in_ids=IdList(ids[i:i + CHUNK])).order_by().values_list(
            "lead_unit_id", "status", ExpressionWrapper(Q(current_notice__isnull=False), output_field=BooleanField())))
    return keys


def add_to_ledger_counts(deltas: dict[LedgerKey, int]) -> None:
    """Add each difference to its LedgerCount row, creating the rows that are missing. The rows are
    locked, changed and written back in a fixed number of statements: an import touches a thousand."""
    deltas = {key: d for key, d in deltas.items() if d}
    if not deltas:
        return
    LedgerCount.objects.bulk_create(
        [LedgerCount(unit_id=unit_id, status=status, noticed=noticed, n=0) for unit_id, status, noticed in deltas],
        ignore_conflicts=True,
    )
    changed = []
    units = sorted({unit_id for unit_id, _status, _noticed in deltas})
    for i in range(0, len(units), CHUNK):
        for row in LedgerCount.objects.select_for_update().filter(unit_id__in=units[i:i + CHUNK]).order_by("pk"):
            d = deltas.get((row.unit_id, row.status, row.noticed))
            if d:
                row.n += d
                changed.append(row)
    _replace(LedgerCount, changed)


def count_ledger() -> dict[LedgerKey, int]:
    """The ledger counted afresh: findings per (lead unit, status, noticed)."""
    rows = Finding.objects.values("lead_unit_id", "status").annotate(
        seen=Count("pk", filter=Q(current_notice__isnull=False)), all=Count("pk")).order_by()
    counts = {}
    for row in rows:
        for noticed, n in ((True, row["seen"]), (False, row["all"] - row["seen"])):
            if n:
                counts[(row["lead_unit_id"], row["status"], noticed)] = n
    return counts


def touched_by(finding_ids: Iterable[int]) -> tuple[set[tuple[int, dt.date]], set[dt.date]]:
    """The (unit, month) pairs and the months whose figures these findings count in."""
    ids = list(finding_ids)
    units: set[tuple[int, dt.date]] = set()
    areas: set[dt.date] = set()
    for i in range(0, len(ids), CHUNK):
        chunk = ids[i:i + CHUNK]
        for unit_id, found_on, closed_on in Finding.objects.filter(pk__in_ids=IdList(chunk)).values_list(
            "lead_unit_id", "found_on", "closed_on"
        ).order_by():
            units.add((unit_id, month_of(found_on)))
            areas.add(month_of(found_on))
            if closed_on:
                units.add((unit_id, month_of(closed_on)))
        unit_of_notice = {}
        for pk, unit_id, deadline, outcome_on in Notice.objects.filter(finding_id__in_ids=IdList(chunk)).values_list(
            "pk", "unit_id", "deadline", "outcome_on"
        ).order_by():
            unit_of_notice[pk] = unit_id
            units.add((unit_id, month_of(deadline)))
            if outcome_on:
                units.add((unit_id, month_of(outcome_on)))
        # the notices' reviews by the notices' ids, each from the (notice, ...) index
        for notice_id, decided_on in Submission.objects.filter(
            notice_id__in_ids=IdList(unit_of_notice), decided_on__isnull=False
        ).values_list("notice_id", "decided_on").order_by():
            units.add((unit_of_notice[notice_id], month_of(decided_on)))
    return units, areas


def _unit_rows(month: dt.date, units: list[int] | None, figures: dict | None = None) -> list[tuple]:
    """The month's UnitMonth rows of these units (all when None), as (unit, month, *UNIT_FIELDS) tuples;
    units with nothing to count have none."""
    if figures is None:
        figures = figures_for(units, month, month_end(month))
    rows = []
    for unit_id, fig in figures.items():
        values = (fig.findings, fig.relapses, fig.deductions, fig.closed, fig.due, fig.handled, fig.on_time,
                  fig.overdue, fig.misses, fig.reviews, fig.rejected, fig.extensions)
        if any(values):
            rows.append((unit_id, month, *values))
    return rows


def _area_rows(month: dt.date) -> list[AreaMonth]:
    """Two kinds of rows per month: per index item (site_type empty) and per site type (index_item
    empty), so the dashboard sums a few hundred rows instead of every item × site type pair."""
    found = Finding.objects.filter(found_on__range=(month, month_end(month))).exclude(status=FindingStatus.VOID)
    sums = {"n": Count("pk"), "ded": Sum("deduction"), "open": Count("pk", filter=Q(status__in=OPEN_STATUSES))}
    rows = []
    # findings without an item or a site are grouped under None and skipped here: an IS NOT NULL in
    # SQL would send SQLite down the (site, …) index through the whole table instead of the month
    for row in found.values("index_item_id").annotate(**sums).order_by():
        if row["index_item_id"] is not None:
            rows.append(AreaMonth(month=month, index_item_id=row["index_item_id"], found=row["n"], open=row["open"],
                                  deductions=row["ded"] or Decimal("0")))
    for row in found.values("site__site_type_id").annotate(**sums).order_by():
        if row["site__site_type_id"] is not None:
            rows.append(AreaMonth(month=month, site_type_id=row["site__site_type_id"], found=row["n"],
                                  open=row["open"], deductions=row["ded"] or Decimal("0")))
    return rows


@transaction.atomic
def store_unit_month(month: dt.date, rows: list[tuple], units: list[int] | None) -> None:
    stale = UnitMonth.objects.filter(month=month)
    if units is not None:
        stale = stale.filter(unit_id__in=units)
    stale.delete()
    _insert_unit_months(rows)


def _insert_unit_months(rows: Iterable[tuple]) -> None:
    """(unit, month, *UNIT_FIELDS) tuples into UnitMonth."""
    UnitMonth.objects.bulk_create(
        (UnitMonth(unit_id=unit_id, month=month, **dict(zip(UNIT_FIELDS, values, strict=True)))
         for unit_id, month, *values in rows),
        batch_size=CHUNK,
    )


@transaction.atomic
def store_areas(month: dt.date) -> None:
    AreaMonth.objects.filter(month=month).delete()
    AreaMonth.objects.bulk_create(_area_rows(month), batch_size=CHUNK)


@transaction.atomic
def store_month(month: dt.date, figures: dict) -> None:
    """A whole month's recount, from figures already counted for every unit (closing a period)."""
    store_unit_month(month, _unit_rows(month, None, figures), None)
    store_areas(month)


@transaction.atomic
def snapshot_stock(month: dt.date, day: dt.date) -> None:
    """Open and overdue findings per unit as the month closes (its last day, processed that night)."""
    MonthEndStock.objects.filter(month=month).delete()
    MonthEndStock.objects.bulk_create(
        [MonthEndStock(unit_id=unit_id, month=month, **row) for unit_id, row in stock_by_unit(day).items()],
        batch_size=CHUNK,
    )


@transaction.atomic
def refresh(unit_months: Iterable[tuple[int, dt.date]], area_months: Iterable[dt.date]) -> None:
    """Recount these (unit, month) pairs and these months' areas."""
    by_month: dict[dt.date, set[int]] = defaultdict(set)
    for unit_id, month in unit_months:
        by_month[month].add(unit_id)
    for month, unit_ids in sorted(by_month.items()):
        ordered = sorted(unit_ids)
        for i in range(0, len(ordered), CHUNK):
            chunk = ordered[i:i + CHUNK]
            store_unit_month(month, _unit_rows(month, chunk), chunk)
    for month in sorted(set(area_months)):
        store_areas(month)


@transaction.atomic
def add_new_findings(rows: Iterable[tuple[int, dt.date, dt.date, Decimal, bool, int | None, int | None]]) -> None:
    """Count findings just created as assigned with one open notice (an import), without a recount.

    Each row is (lead unit, found on, deadline, deduction, relapse, index item, site type). New rows
    only add: found, deductions and relapses in the found month, one notice due in the deadline
    month, found / open / deductions on their area rows, and one assigned finding with a notice to the
    ledger's counts. `recount_figures --check` and the
    tests compare the result with a full recount.
    """
    rows = list(rows)
    units: dict[tuple[int, dt.date], list] = defaultdict(lambda: [0, Decimal("0"), 0, 0])
    areas: dict[tuple[dt.date, str, int], list] = defaultdict(lambda: [0, Decimal("0")])
    for unit_id, found_on, deadline, deduction, relapse, item_id, site_type_id in rows:
        found = units[(unit_id, month_of(found_on))]
        found[0] += 1
        found[1] += deduction
        found[2] += 1 if relapse else 0
        units[(unit_id, month_of(deadline))][3] += 1
        for kind, key in (("index_item_id", item_id), ("site_type_id", site_type_id)):
            if key is not None:
                area = areas[(month_of(found_on), kind, key)]
                area[0] += 1
                area[1] += deduction
    _add_to_unit_months(("found", "deductions", "relapses", "due"), units)
    add_to_ledger_counts(Counter((unit_id, FindingStatus.ASSIGNED.value, True) for unit_id, *_rest in rows))
    changed = []
    for row in AreaMonth.objects.select_for_update().filter(month__in={m for m, _k, _v in areas}):
        key = ((row.month, "index_item_id", row.index_item_id) if row.index_item_id is not None
               else (row.month, "site_type_id", row.site_type_id))
        if key in areas:
            n, deduction = areas.pop(key)
            row.found, row.open, row.deductions = row.found + n, row.open + n, row.deductions + deduction
            changed.append(row)
    _replace(AreaMonth, changed)
    AreaMonth.objects.bulk_create([AreaMonth(month=month, found=n, open=n, deductions=d, **{kind: value})
                                   for (month, kind, value), (n, d) in areas.items()], batch_size=CHUNK)


@transaction.atomic
def add_deadline_misses(missed: Iterable[tuple[int, dt.date]], issued: Iterable[tuple[int, dt.date]]) -> None:
    """Count a batch of deadline misses (the nightly job) without a recount.

    `missed`: (unit, deadline) of each notice missed on its deadline; `issued`: (unit, deadline) of
    each next notice. A miss adds one miss and one overdue notice in its deadline's month; the next
    notice adds one notice due in its own. Nothing else a month counts moves: the missed notice was
    already due, the finding stays open, a fix waiting for review is not counted until decided, and
    findings found per area do not change. The tests compare the result with a full recount.
    """
    counts: dict[tuple[int, dt.date], list[int]] = defaultdict(lambda: [0, 0, 0])
    for unit_id, deadline in missed:
        row = counts[(unit_id, month_of(deadline))]
        row[0] += 1
        row[1] += 1
    for unit_id, deadline in issued:
        counts[(unit_id, month_of(deadline))][2] += 1
    _add_to_unit_months(("misses", "overdue", "due"), counts)


def _add_to_unit_months(fields: tuple[str, ...], counts: dict[tuple[int, dt.date], list]) -> None:
    """Add `counts[(unit, month)]` (one value per field) to those UnitMonth rows, creating the missing ones."""
    by_month: dict[dt.date, list[int]] = defaultdict(list)
    for unit_id, month in counts:
        by_month[month].append(unit_id)
    changed: list[UnitMonth] = []
    for month, unit_ids in by_month.items():
        for i in range(0, len(unit_ids), CHUNK):
            for row in UnitMonth.objects.select_for_update().filter(month=month, unit_id__in=unit_ids[i:i + CHUNK]):
                for name, value in zip(fields, counts[(row.unit_id, month)], strict=True):
                    setattr(row, name, getattr(row, name) + value)
                changed.append(row)
    seen = {(row.unit_id, row.month) for row in changed}
    _replace(UnitMonth, changed)
    UnitMonth.objects.bulk_create(
        (UnitMonth(unit_id=unit_id, month=month, **{**ZERO_ROW, **dict(zip(fields, values, strict=True))})
         for (unit_id, month), values in counts.items() if (unit_id, month) not in seen),
        batch_size=CHUNK,
    )


def _replace(model, rows: list) -> None:
    """Write these rows, read from the table and changed, in place of themselves: one delete and one
    insert, where an UPDATE per row or bulk_update's CASE over thousands of rows costs more than the
    import's or the night's own writes."""
    pks = [row.pk for row in rows]
    for i in range(0, len(pks), CHUNK):
        model.objects.filter(pk__in=pks[i:i + CHUNK]).delete()
    for row in rows:
        row.pk = None
    model.objects.bulk_create(rows, batch_size=CHUNK)


def ledger_months() -> list[dt.date]:
    """Every month from the earliest date in the ledger to the latest."""
    f = Finding.objects.aggregate(a=Min("found_on"), b=Max("found_on"), c=Max("closed_on"))
    n = Notice.objects.aggregate(a=Min("deadline"), b=Max("deadline"), c=Max("outcome_on"))
    s = Submission.objects.aggregate(b=Max("decided_on"))
    dates = [d for d in (*f.values(), *n.values(), *s.values()) if d]
    if not dates:
        return []
    month, last = month_of(min(dates)), month_of(max(dates))
    months = []
    while month <= last:
        months.append(month)
        month += relativedelta(months=1)
    return months


@transaction.atomic
def rebuild() -> int:
    """Recount everything (after bulk loads); returns how many months."""
    UnitMonth.objects.all().delete()
    AreaMonth.objects.all().delete()
    LedgerCount.objects.all().delete()
    LedgerCount.objects.bulk_create([LedgerCount(unit_id=unit_id, status=status, noticed=noticed, n=n)
                                     for (unit_id, status, noticed), n in count_ledger().items()], batch_size=CHUNK)
    months = ledger_months()
    for month in months:
        store_unit_month(month, _unit_rows(month, None), None)
        store_areas(month)
    return len(months)


def _compare(stored: dict, fresh: dict, fields, *, key, label) -> list[str]:
    out = []
    for k in sorted(set(stored) | set(fresh), key=key):
        a, b = stored.get(k), fresh.get(k)
        for name in fields:
            kept, counted = (getattr(a, name) if a else 0), (getattr(b, name) if b else 0)
            if kept != counted:
                out.append(f"{label(k)} {name}: 存储 {kept}，重算 {counted}")
    return out


def differences() -> list[str]:
    """Where the stored figures differ from a recount; empty when they agree."""

    def unit_key(row):
        return (row.unit_id, row.month)

    def area_key(row):
        return (row.month, row.index_item_id, row.site_type_id)

    months = ledger_months()
    stored_units = {unit_key(r): r for r in UnitMonth.objects.all()}
    stored_areas = {area_key(r): r for r in AreaMonth.objects.all()}
    fresh_units = {(unit_id, on): UnitMonth(unit_id=unit_id, month=on, **dict(zip(UNIT_FIELDS, values, strict=True)))
                   for m in months for unit_id, on, *values in _unit_rows(m, None)}
    fresh_areas = {area_key(r): r for m in months for r in _area_rows(m)}
    out = _compare(stored_units, fresh_units, UNIT_FIELDS, key=lambda k: (k[1], k[0]),
                   label=lambda k: f"单位 {k[0]} {k[1]:%Y-%m}")
    out += _compare(stored_areas, fresh_areas, ("found", "open", "deductions"), key=lambda k: (k[0], k[1] or 0, k[2] or 0),
                    label=lambda k: f"失分 {k[0]:%Y-%m} 指标 {k[1]} 点位类型 {k[2]}")
    kept = {(r.unit_id, r.status, r.noticed): r.n for r in LedgerCount.objects.all() if r.n}
    fresh = count_ledger()
    out += [f"台账计数 单位 {key[0]} {key[1]}{'（已交办）' if key[2] else ''}: 存储 {kept.get(key, 0)}，重算 {fresh.get(key, 0)}"
            for key in sorted(set(kept) | set(fresh)) if kept.get(key, 0) != fresh.get(key, 0)]
    under: dict[int, list[int]] = defaultdict(list)
    for unit_id, top in top_units().items():
        under[top].append(unit_id)
    for top, units in sorted(under.items()):
        wrong = Finding.objects.filter(lead_unit_id__in=units).exclude(lead_top_id=top).count()
        if wrong:
            out.append(f"最上级单位 {top}: {wrong} 个问题的 lead_top 与单位树不符")
    return out
