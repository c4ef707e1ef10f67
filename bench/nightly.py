"""The nightly job on one day with N notices due, at the size of the synthetic city.

In a transaction that is rolled back: the city's own open notices are moved out of the way, N
findings are imported (the same importer an office uses) with their first notices all due on one
day two months ahead, and that day is processed as the nightly job would (misses, next notices,
escalation rules, expiry). It is timed three times (the median is reported) and run once more
counting its statements."""

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

from issues.escalation.services import process_day
from issues.excel.ledger_import import COLUMNS, import_ledger
from issues.models import IndexItem, MaterialDeadline, Notice, NoticeOutcome, Site, Unit


def build_due_file(path: Path, n: int, *, found_on: dt.date, deadline: dt.date, spread_days: int = 1) -> None:
    """N findings whose first notices fall due on `deadline`, or spread over `spread_days` days from it."""
    from openpyxl import Workbook

    units = list(Unit.objects.values_list("name", flat=True)[:1000])
    sites = list(Site.objects.values_list("name", flat=True)[:2000])
    items = list(IndexItem.objects.filter(system__is_current=True).values_list("code", flat=True)[:300])
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("交办问题清单")
    sheet.append(list(COLUMNS))
    for i in range(n):
        sheet.append([i + 1, f"BENCH-DUE-{i:06d}", "市创文办日常督查", "夜间任务基准", found_on, sites[i % len(sites)],
                      None, f"基准街{i}号", f"夜间任务基准问题 {i}", items[i % len(items)], None,
                      units[i % len(units)], None, 1, deadline + dt.timedelta(days=i % spread_days), "立即整改",
                      None])
    workbook.save(path)


class StatementCounter:
    """An execute wrapper counting statements (Django's query log keeps only the last 9,000)."""

    def __init__(self):
        self.count = 0

    def __call__(self, execute, sql, params, many, context):
        self.count += 1
        return execute(sql, params, many, context)


def _load_due(path: Path, today: dt.date) -> None:
    """Inside the caller's transaction: the city's open notices (and materials) moved a year out, the due list
    imported."""
    Notice.objects.filter(outcome=NoticeOutcome.OPEN).update(deadline=F("deadline") + dt.timedelta(days=365))
    # and the materials' due dates, so the night judges the list alone
    MaterialDeadline.objects.filter(outcome=NoticeOutcome.OPEN).update(due_on=F("due_on") + dt.timedelta(days=365))
    report = import_ledger(path, actor=None, today=today)
    if report.errors:
        raise RuntimeError(f"the nightly benchmark's list did not import: {report.errors[:3]}")


def _one_run(path: Path, day: dt.date, today: dt.date, *, count_queries: bool) -> dict:
    with transaction.atomic():
        _load_due(path, today)
        counter = StatementCounter()
        started = time.perf_counter()
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
    jobs = [_one_run(path, day, today, count_queries=False) for _ in range(repeats)]
    counted = _one_run(path, day, today, count_queries=True)
    path.unlink()
    return {"due": n, "repeats": repeats, "seconds": statistics.median(run["seconds"] for run in jobs),
            "runs_s": [run["seconds"] for run in jobs], "misses": jobs[0]["misses"], "sanctions": jobs[0]["sanctions"],
            "queries": counted["queries"], "queries_per_miss": round(counted["queries"] / max(counted["misses"], 1), 1)}
