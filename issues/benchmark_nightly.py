"""The nightly job on one day with N notices due, at the size of the synthetic city.

In a transaction that is rolled back: the city's own open notices are moved out of the way, N
findings are imported (the same importer an office uses) with their first notices all due on one
day two months ahead, and that day is processed as the nightly job would (misses, next notices,
escalation rules, expiry). It is timed three times, in turns with its floor (`lower_bound`: the
same ledger writes in a dozen SQL statements), the two compared by their medians, and run once
more counting its statements."""

from __future__ import annotations

import datetime as dt
import statistics
import tempfile
import time
from pathlib import Path

from django.db import connection, transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone

from .models import IndexItem, Notice, NoticeOutcome, Policy, Site, Unit
from .services import bulk
from .services.aggregates import UNIT_FIELDS
from .services.aggregates import month_of as month_of_date
from .services.escalation import process_day
from .services.ledger_import import COLUMNS, import_ledger
from .workcalendar import add_working_days


def build_due_file(path: Path, n: int, *, found_on: dt.date, deadline: dt.date, spread_days: int = 1) -> None:
    """N findings whose first notices fall due on `deadline`, or spread over `spread_days` days from it."""
    from openpyxl import Workbook

    units = list(Unit.objects.values_list("name", flat=True)[:1000])
    sites = list(Site.objects.values_list("name", flat=True)[:2000])
    items = list(IndexItem.objects.values_list("code", flat=True)[:300])
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("交办问题清单")
    sheet.append(list(COLUMNS))
    for i in range(n):
        sheet.append([i + 1, f"BENCH-DUE-{i:06d}", "市创文办日常督查", "夜间任务基准", found_on, sites[i % len(sites)],
                      None, f"基准街{i}号", f"夜间任务基准问题 {i}", items[i % len(items)], None,
                      units[i % len(units)], None, 1, deadline + dt.timedelta(days=i % spread_days), "立即整改",
                      None])
    workbook.save(path)


def _add_to_months(unit_month: str, fields: dict[str, str], source: str) -> str:
    """An upsert adding per-(unit, month) counts to the monthly figures, creating missing rows."""
    values = ", ".join(fields.get(name, "0") for name in UNIT_FIELDS)
    added = ", ".join(f"{name} = issues_unitmonth.{name} + excluded.{name}" for name in fields)
    return (f"INSERT INTO issues_unitmonth (unit_id, month, {', '.join(UNIT_FIELDS)}) SELECT {unit_month}, "  # nosec B608
            f"{values} FROM {source} WHERE 1 = 1 GROUP BY 1, 2 ON CONFLICT (month, unit_id) DO UPDATE SET {added}")


def lower_bound(day: dt.date, next_deadline: dt.date) -> tuple[int, int]:
    """The ledger writes of a day's deadline misses in as few statements as SQL allows: the notices
    missed, the findings' miss counts, the next notices, the findings pointing at them, a fix sent
    late carried over, the two audit rows of each miss, and the monthly figures the job keeps (a miss
    and an overdue notice in the deadline's month, a notice due in the next deadline's). No rules,
    no notifications: a floor for the nightly job, not an equal. Returns (misses, statements)."""
    d, nd, now = bulk.date(day), bulk.date(next_deadline), bulk.datetime(timezone.now())
    if connection.vendor == "postgresql":
        month_of = "CAST(date_trunc('month', {}) AS date)".format
    else:
        month_of = "date({}, 'start of month')".format
    statements = [
        # the next notice goes to the finding's lead unit, as the job sends it; the miss counts against
        # the unit the missed notice was addressed to (DOMAIN.md)
        ("CREATE TEMP TABLE bench_missed AS SELECT n.id AS notice_id, n.finding_id, n.seq, n.unit_id, "
         "f.lead_unit_id, n.deadline, n.requirement FROM issues_notice n JOIN issues_finding f ON f.id = "
         "n.finding_id WHERE n.outcome = 'open' AND n.deadline <= %s AND NOT EXISTS "
         "(SELECT 1 FROM issues_submission s WHERE s.notice_id = n.id AND s.decision = 'pending' "
         "AND s.submitted_on <= n.deadline)", [d]),
        ("UPDATE issues_notice SET outcome = 'missed', outcome_on = deadline, miss_kind = 'deadline' "
         "WHERE id IN (SELECT notice_id FROM bench_missed)", []),
        ("UPDATE issues_finding SET miss_count = miss_count + 1 WHERE id IN (SELECT finding_id FROM bench_missed)",
         []),
        ("INSERT INTO issues_notice (finding_id, seq, unit_id, issued_on, deadline, requirement, outcome, "
         "miss_kind, issued_by_id, created_at) SELECT finding_id, seq + 1, lead_unit_id, %s, %s, requirement, 'open', "
         "'', NULL, %s FROM bench_missed", [d, nd, now]),
        ("UPDATE issues_finding SET current_notice_id = (SELECT n.id FROM issues_notice n WHERE n.finding_id = "
         "issues_finding.id AND n.outcome = 'open'), deadline = %s WHERE id IN (SELECT finding_id FROM bench_missed)",
         [nd]),
        ("UPDATE issues_submission SET notice_id = (SELECT f.current_notice_id FROM issues_notice n JOIN "
         "issues_finding f ON f.id = n.finding_id WHERE n.id = issues_submission.notice_id) WHERE decision = "
         "'pending' AND notice_id IN (SELECT notice_id FROM bench_missed)", []),
        ("INSERT INTO issues_auditevent (at, actor_id, action, object_type, object_id, finding_id, from_state, "
         "to_state, message, data) SELECT %s, NULL, 'miss', 'finding', CAST(finding_id AS TEXT), finding_id, '', "
         "'', '第' || seq || '次整改通知未按期整改', '{}' FROM bench_missed", [now]),
        ("INSERT INTO issues_auditevent (at, actor_id, action, object_type, object_id, finding_id, from_state, "
         "to_state, message, data) SELECT %s, NULL, 'notice_issued', 'finding', CAST(finding_id AS TEXT), "
         "finding_id, '', '', '第' || (seq + 1) || '次整改通知', '{}' FROM bench_missed", [now]),
        (_add_to_months(f"unit_id, {month_of('deadline')}", {"overdue": "COUNT(*)", "misses": "COUNT(*)"},
                        "bench_missed"), []),
        (_add_to_months("lead_unit_id, %s", {"due": "COUNT(*)"}, "bench_missed"),
         [bulk.date(month_of_date(next_deadline))]),
    ]
    with connection.cursor() as cursor:
        for sql, params in statements:
            cursor.execute(sql, params)
        cursor.execute("SELECT COUNT(*) FROM bench_missed")
        misses = cursor.fetchone()[0]
        cursor.execute("DROP TABLE bench_missed")
    return misses, len(statements) + 2


class StatementCounter:
    """An execute wrapper counting statements (Django's query log keeps only the last 9,000)."""

    def __init__(self):
        self.count = 0

    def __call__(self, execute, sql, params, many, context):
        self.count += 1
        return execute(sql, params, many, context)


def _load_due(path: Path, today: dt.date) -> None:
    """Inside the caller's transaction: the city's open notices moved a year out, the due list imported."""
    Notice.objects.filter(outcome=NoticeOutcome.OPEN).update(deadline=F("deadline") + dt.timedelta(days=365))
    report = import_ledger(path, actor=None, today=today)
    if report.errors:
        raise RuntimeError(f"the nightly benchmark's list did not import: {report.errors[:3]}")


def _one_run(path: Path, day: dt.date, today: dt.date, *, count_queries: bool, floor: bool = False) -> dict:
    with transaction.atomic():
        _load_due(path, today)
        counter = StatementCounter()
        started = time.perf_counter()
        if floor:
            misses, queries = lower_bound(day, add_working_days(day, Policy.current().next_notice_days))
            seconds = time.perf_counter() - started
            transaction.set_rollback(True)
            return {"seconds": seconds, "misses": misses, "sanctions": 0, "queries": queries}
        if count_queries:
            with connection.execute_wrapper(counter):
                day_report = process_day(day)
            queries = counter.count
        else:
            day_report = process_day(day)
            queries = None
        seconds = time.perf_counter() - started
        transaction.set_rollback(True)
    return {"seconds": seconds, "misses": len(day_report.misses), "sanctions": len(day_report.sanctions),
            "queries": queries}


def measure_catch_up(n: int = 5_000, days: int = 30) -> dict:
    """The job catching up `days` days at once (after an outage): N first notices due, spread over the
    days, whose next notices fall due and are missed again inside the window, so the escalation rules
    fire too. Timed once, counting statements, rolled back."""
    today = timezone.localdate()
    first = today + dt.timedelta(days=60)
    path = Path(tempfile.mkdtemp(prefix="bench-catch-up-")) / "due.xlsx"
    build_due_file(path, n, found_on=today, deadline=first, spread_days=days)
    counter = StatementCounter()
    misses = sanctions = 0
    day_seconds = []
    with transaction.atomic():
        _load_due(path, today)
        started = time.perf_counter()
        with connection.execute_wrapper(counter):
            for offset in range(days):
                day_started = time.perf_counter()
                day_report = process_day(first + dt.timedelta(days=offset))
                day_seconds.append(time.perf_counter() - day_started)
                misses += len(day_report.misses)
                sanctions += len(day_report.sanctions)
        seconds = time.perf_counter() - started
        transaction.set_rollback(True)
    path.unlink()
    return {"days": days, "due": n, "seconds": seconds, "misses": misses, "sanctions": sanctions,
            "queries": counter.count, "slowest_day_s": max(day_seconds),
            "queries_per_miss": round(counter.count / max(misses, 1), 1)}


def measure_nightly(n: int = 5_000, repeats: int = 3) -> dict:
    # as in the Celery worker, which has run a task before: the URL configuration is loaded (the first
    # reverse() in a process imports every view, 0.2 s that a night's figure should not carry)
    reverse("ledger")
    today = timezone.localdate()
    day = today + dt.timedelta(days=60)
    path = Path(tempfile.mkdtemp(prefix="bench-nightly-")) / "due.xlsx"
    build_due_file(path, n, found_on=today, deadline=day)
    # the job and its floor taken in turns, `repeats` times each, and compared by their medians: on a
    # shared machine one run of either can be slowed by half
    jobs, floors = [], []
    for _ in range(repeats):
        jobs.append(_one_run(path, day, today, count_queries=False))
        floors.append(_one_run(path, day, today, count_queries=False, floor=True))
    counted = _one_run(path, day, today, count_queries=True)
    path.unlink()
    seconds = statistics.median(run["seconds"] for run in jobs)
    floor_seconds = statistics.median(run["seconds"] for run in floors)
    return {"due": n, "repeats": repeats, "seconds": seconds, "runs_s": [run["seconds"] for run in jobs],
            "misses": jobs[0]["misses"], "sanctions": jobs[0]["sanctions"],
            "queries": counted["queries"], "queries_per_miss": round(counted["queries"] / max(counted["misses"], 1), 1),
            "lower_bound_s": floor_seconds, "lower_bound_runs_s": [run["seconds"] for run in floors],
            "lower_bound_misses": floors[0]["misses"], "lower_bound_statements": floors[0]["queries"],
            "ratio": seconds / max(floor_seconds, 1e-9)}
