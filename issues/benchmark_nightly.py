"""The nightly job on one day with N notices due, at the size of the synthetic city.

In a transaction that is rolled back: the city's own open notices are moved out of the way, N
findings are imported (the same importer an office uses) with their first notices all due on one
day two months ahead, and that day is processed as the nightly job would (misses, next notices,
escalation rules, expiry). It runs twice: once timed, once counting its statements."""

from __future__ import annotations

import datetime as dt
import tempfile
import time
from pathlib import Path

from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone

from .models import IndexItem, Notice, NoticeOutcome, Site, Unit
from .services.escalation import process_day
from .services.ledger_import import COLUMNS, import_ledger


def build_due_file(path: Path, n: int, *, found_on: dt.date, deadline: dt.date) -> None:
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
                      units[i % len(units)], None, 1, deadline, "立即整改", None])
    workbook.save(path)


def _one_run(path: Path, day: dt.date, today: dt.date, *, count_queries: bool) -> dict:
    with transaction.atomic():
        Notice.objects.filter(outcome=NoticeOutcome.OPEN).update(deadline=F("deadline") + dt.timedelta(days=365))
        report = import_ledger(path, actor=None, today=today)
        if report.errors:
            raise RuntimeError(f"the nightly benchmark's list did not import: {report.errors[:3]}")
        statements = 0

        def count(execute, sql, params, many, context):
            nonlocal statements
            statements += 1
            return execute(sql, params, many, context)

        started = time.perf_counter()
        if count_queries:  # a counter, not Django's query log, which keeps only the last 9,000
            with connection.execute_wrapper(count):
                day_report = process_day(day)
            queries = statements
        else:
            day_report = process_day(day)
            queries = None
        seconds = time.perf_counter() - started
        transaction.set_rollback(True)
    return {"seconds": seconds, "misses": len(day_report.misses), "sanctions": len(day_report.sanctions),
            "queries": queries}


def measure_nightly(n: int = 5_000) -> dict:
    today = timezone.localdate()
    day = today + dt.timedelta(days=60)
    path = Path(tempfile.mkdtemp(prefix="bench-nightly-")) / "due.xlsx"
    build_due_file(path, n, found_on=today, deadline=day)
    timed = _one_run(path, day, today, count_queries=False)
    counted = _one_run(path, day, today, count_queries=True)
    path.unlink()
    return {"due": n, "seconds": timed["seconds"], "misses": timed["misses"], "sanctions": timed["sanctions"],
            "queries": counted["queries"], "queries_per_miss": round(counted["queries"] / max(counted["misses"], 1), 1)}
