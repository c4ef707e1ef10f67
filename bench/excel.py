"""Excel beside bare openpyxl, in the same run: the export of N findings against a write-only loop
writing the same pre-built rows, and the import of a 10,000-row list against a read-only pass over
the same file. The import runs in a transaction that is rolled back, so the city stays as built."""

from __future__ import annotations

import datetime as dt
import os
import statistics
import tempfile
import time
from pathlib import Path

from django.db import connection, transaction

from issues.excel import ledger_export
from issues.excel.ledger_import import COLUMNS, import_ledger
from issues.models import Finding, IndexItem, RankingEntry, Sanction, Site, Unit


def _findings(n: int):
    """The newest n findings (about), as a date cut so no id list is needed."""
    cut = Finding.objects.order_by("-found_on", "-pk").values_list("found_on", flat=True)[n - 1:n].first()
    qs = Finding.objects.all() if cut is None else Finding.objects.filter(found_on__gte=cut)
    return qs.order_by("-found_on", "-pk")


def _export(findings, out: Path) -> int:
    return ledger_export.write_workbook(out, findings=findings, sanctions=Sanction.objects.none(),
                                        entries=RankingEntry.objects.none())


def _export_in_fresh_process(n: int, out: Path) -> dict:
    """`manage.py export_ledger` as an office would run it, in its own process: its peak RSS.

    Read from the child's own high-water mark (VmHWM), polled while it runs: getrusage() would report
    the benchmark's memory, which the child shares between fork and exec."""
    import subprocess
    import sys

    from django.conf import settings

    cut = _findings(n).values_list("found_on", flat=True).last()
    started = time.perf_counter()
    child = subprocess.Popen([sys.executable, str(Path(settings.BASE_DIR) / "manage.py"), "export_ledger", str(out),
                              "--found-from", cut.isoformat()], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                             env=os.environ.copy())
    peak_kb = 0
    status = Path(f"/proc/{child.pid}/status")
    while child.poll() is None:
        try:
            for line in status.read_text().splitlines():
                if line.startswith("VmHWM:"):
                    peak_kb = max(peak_kb, int(line.split()[1]))
        except FileNotFoundError:  # it has just exited
            break
        time.sleep(0.05)
    _out, errors = child.communicate()
    if child.returncode:
        raise RuntimeError(f"export_ledger failed: {errors.decode()[-2000:]}")
    return {"seconds": time.perf_counter() - started, "rss_peak_mb": peak_kb / 1024}


def measure_export(n: int = 100_000, runs: int = 3) -> dict:
    workdir = Path(tempfile.mkdtemp(prefix="bench-export-"))
    memory = _export_in_fresh_process(n, workdir / "command.xlsx")
    findings = _findings(n)
    rows = list(ledger_export.ledger_rows(findings))

    def bare():
        from openpyxl import Workbook

        wb = Workbook(write_only=True)
        ws = wb.create_sheet("问题台账")
        ws.append(ledger_export.LEDGER_HEADERS)
        for row in rows:
            ws.append(row)
        wb.save(workdir / "bare.xlsx")

    ours, theirs = [], []
    for _ in range(runs):  # side by side, alternating
        t0 = time.perf_counter()
        _export(findings, workdir / "ours.xlsx")
        ours.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        bare()
        theirs.append(time.perf_counter() - t0)
    return {"rows": len(rows), "export_s": statistics.median(ours), "bare_s": statistics.median(theirs),
            "ratio": statistics.median(ours) / statistics.median(theirs), **memory}


def build_import_file(path: Path, n: int = 10_000) -> None:
    from openpyxl import Workbook

    units = list(Unit.objects.values_list("name", flat=True)[:500])
    sites = list(Site.objects.values_list("name", flat=True)[:500])
    items = list(IndexItem.objects.filter(system__is_current=True).values_list("code", flat=True)[:300])
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("交办问题清单")
    ws.append(["交办问题清单（基准测试）"])
    ws.append(["说明：基准测试生成"])
    ws.append(list(COLUMNS))
    start = dt.date(2026, 1, 5)
    for i in range(n):
        found = start + dt.timedelta(days=i % 300)
        ws.append([i + 1, f"BENCH-IMP-{i:06d}", "市创文办日常督查", f"基准批次{i % 20:02d}", found, sites[i % len(sites)], None,
                   f"基准路{i}号", f"基准测试问题 {i}：垃圾未及时清运", items[i % len(items)], None, units[i % len(units)],
                   units[(i + 7) % len(units)] if i % 3 == 0 else None, (i % 5) / 2,
                   "5个工作日" if i % 2 else found + dt.timedelta(days=10), "立即整改", None])
    wb.save(path)


def measure_import(n: int = 10_000, runs: int = 3) -> dict:
    from openpyxl import load_workbook

    workdir = Path(tempfile.mkdtemp(prefix="bench-import-"))
    path = workdir / "list.xlsx"
    build_import_file(path, n)

    def bare():
        wb = load_workbook(path, read_only=True, data_only=True)
        for _row in wb.worksheets[0].iter_rows(values_only=True):
            pass
        wb.close()

    ours, theirs, created = [], [], 0
    for _ in range(runs):
        t0 = time.perf_counter()
        with transaction.atomic():
            report = import_ledger(path, actor=None)
            created = len(report.created)
            transaction.set_rollback(True)
        ours.append(time.perf_counter() - t0)
        if connection.vendor == "postgresql":
            # the run just rolled back left 10,000 dead rows in each table and index it wrote; the next
            # run starts from the state the first one found, as a real import would
            with connection.cursor() as cursor:
                cursor.execute("VACUUM issues_finding, issues_notice, issues_auditevent, issues_finding_co_units, "
                               "issues_unitmonth, issues_areamonth, issues_ledgercount")
        t0 = time.perf_counter()
        bare()
        theirs.append(time.perf_counter() - t0)
    os.unlink(path)
    return {"rows": n, "created": created, "errors": len(report.errors), "import_s": statistics.median(ours),
            "bare_s": statistics.median(theirs), "ratio": statistics.median(ours) / statistics.median(theirs)}
