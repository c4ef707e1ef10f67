import datetime as dt
import json as jsonlib
import statistics
import time
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import connection
from django.utils import timezone

from bench.city import build_city
from bench.pages import measure_pages, p95
from issues.models import PeriodStatus, RankingPeriod
from issues.rankings import services as rankings


class Command(BaseCommand):
    help = "建立合成城市，测量台账（与管理后台对照）、问题页、待办、仪表板、排名周期关闭和 Excel 导入导出的耗时（基准测试，不是测试）。"

    def add_arguments(self, parser):
        parser.add_argument("--scale", type=float, default=1.0, help="1 = 1,000 个单位、500,000 个问题")
        parser.add_argument("--runs", type=int, default=20)
        parser.add_argument("--json", default=str(Path(settings.BASE_DIR) / "var" / "bench.json"))
        parser.add_argument("--excel-rows", type=int, default=100_000,
                            help="导出基准的问题数（不超过合成城市的问题数）")
        parser.add_argument("--skip-excel", action="store_true", help="不测量 Excel 导入导出")
        parser.add_argument("--skip-pages", action="store_true", help="不测量页面（台账、管理后台、仪表板等）")
        parser.add_argument("--skip-nightly", action="store_true", help="不测量夜间任务")
        parser.add_argument("--skip-load", action="store_true", help="不做 gunicorn + wrk 压力测试")
        parser.add_argument("--due", type=int, default=5_000, help="夜间任务基准中同一天到期的通知数")
        parser.add_argument("--load-seconds", type=int, default=30, help="每个页面的压力测试秒数")
        parser.add_argument("--reuse", action="store_true",
                            help="数据库里已有合成城市时不重建，只重新关闭最近三个月并测量")

    def handle(self, *args, scale: float, runs: int, json: str, reuse: bool, excel_rows: int, **options):
        from issues.models import Finding

        today = timezone.localdate()
        start = time.perf_counter()
        reused = reuse and Finding.objects.exists()
        if reused:
            counts = {"findings": Finding.objects.count(), "reused": True}
            for period in RankingPeriod.objects.filter(status=PeriodStatus.CLOSED).order_by("-end")[:3]:
                RankingPeriod.objects.filter(pk=period.pk).update(status=PeriodStatus.OPEN, closed_on=None)
        else:
            counts = build_city(scale=scale, today=today)
        build_seconds = time.perf_counter() - start
        # every month of the three years, oldest first, as the nightly job would have closed them
        months = []
        day = today.replace(day=1)
        for _ in range(36):
            day = (day.replace(day=1) - dt.timedelta(days=1)).replace(day=1)
            months.append(rankings.month_period(day))
        close_ms = []
        for period in reversed(months):
            period.refresh_from_db()
            if period.status == PeriodStatus.CLOSED:
                continue
            t0 = time.perf_counter()
            rankings.close_period(period)
            close_ms.append((time.perf_counter() - t0) * 1000)
        if connection.vendor == "sqlite":
            # what SQLite does by itself once the nightly job's writes are done and no reader holds
            # the log: fold the write-ahead log back, so reads do not search a long WAL
            with connection.cursor() as cursor:
                cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        pages = None if options["skip_pages"] else measure_pages(runs)
        from issues.benchmark_nightly import measure_catch_up, measure_nightly

        from bench.excel import measure_export, measure_import
        from bench.load import measure_load

        due = options["due"] if scale >= 0.1 else min(options["due"], 500)
        nightly = None if options["skip_nightly"] else measure_nightly(due)
        catch_up = None if options["skip_nightly"] else measure_catch_up(due, days=30)
        # the 1/100 city is CI's smoke run: five seconds a page are enough to see the server answer
        seconds = options["load_seconds"] if scale >= 0.1 else min(options["load_seconds"], 5)
        load = None if options["skip_load"] else measure_load(seconds=seconds)
        # the same ledger with no page kept: every request drawn, as if each followed a write
        load_drawn = None if options["skip_load"] else measure_load(("/findings/",), seconds=seconds, page_cache=False)

        if options["skip_excel"]:
            export = imported = None
        else:
            export = measure_export(min(excel_rows, Finding.objects.count()))
            imported = measure_import(10_000 if scale >= 0.1 else 1_000)
        rows = [
            ("build synthetic city (s)", round(build_seconds, 1), "", ""),
            ("close one period, all groups (ms)", round(statistics.median(close_ms), 1), round(p95(close_ms), 1), ""),
        ]
        for case in (pages or {}).get("ledger", ()):
            rows.append((f"ledger, {case['case']} (ms)", case["ours"]["median"], case["ours"]["p95"],
                         case["ours"]["queries"]))
            rows.append(("  asked again, kept page (ms)", case["kept"]["median"], case["kept"]["p95"],
                         case["kept"]["queries"]))
            rows.append(("  admin changelist, same (ms)", case["admin"]["median"], case["admin"]["p95"],
                         case["admin"]["queries"]))
            rows.append(("  ratio ledger / admin", case["ratio"], "", ""))
        for name in ("finding page", "unit inbox", "dashboard") if pages else ():
            rows.append((f"{name} (ms)", pages[name]["median"], pages[name]["p95"], pages[name]["queries"]))
        self.stdout.write(f"scale {scale}: " + ", ".join(f"{k} {v}" for k, v in counts.items()))
        if settings.DEBUG:
            self.stdout.write("DEBUG is on: every statement was kept with its parameters, so these figures are "
                              "slower than a server's (make bench runs with DJANGO_DEBUG=0)")
        self.stdout.write(f"{'measure':48} {'median':>10} {'p95':>10} {'queries':>8}")
        for name, median, tail, queries in rows:
            self.stdout.write(f"{name:48} {median!s:>10} {tail!s:>10} {queries!s:>8}")
        if export:
            self.stdout.write(
                f"export {export['rows']} findings: {export['export_s']:.1f} s, bare openpyxl write-only loop "
                f"{export['bare_s']:.1f} s, ratio {export['ratio']:.2f}; `manage.py export_ledger` of the same "
                f"rows in its own process: {export['seconds']:.1f} s, peak RSS {export['rss_peak_mb']:.0f} MB")
            self.stdout.write(
                f"import {imported['rows']} rows ({imported['created']} created, {imported['errors']} errors, "
                f"rolled back): {imported['import_s']:.2f} s, bare openpyxl read-only pass "
                f"{imported['bare_s']:.2f} s, ratio {imported['ratio']:.2f}")
        if nightly:
            self.stdout.write(
                f"nightly job, one day with {nightly['due']} notices due: {nightly['seconds']:.1f} s "
                f"(median of {nightly['repeats']}), "
                f"{nightly['misses']} misses, {nightly['sanctions']} sanctions, {nightly['queries']} queries "
                f"({nightly['queries_per_miss']} a miss); the same ledger writes in "
                f"{nightly['lower_bound_statements']} SQL statements: {nightly['lower_bound_s']:.2f} s (median), "
                f"ratio {nightly['ratio']:.1f}")
            self.stdout.write(
                f"nightly job catching up {catch_up['days']} days, {catch_up['due']} first notices due over them: "
                f"{catch_up['seconds']:.1f} s (slowest day {catch_up['slowest_day_s']:.2f} s), "
                f"{catch_up['misses']} misses, {catch_up['sanctions']} sanctions, {catch_up['queries']} queries "
                f"({catch_up['queries_per_miss']} a miss)")
        if load and "skipped" in load:
            self.stdout.write(f"load test skipped: {load['skipped']}")
        elif load:
            for path, figures in load["pages"].items():
                self.stdout.write(
                    f"load, gunicorn {load['workers']} workers, wrk {load['connections']} connections "
                    f"{load['seconds']} s, {path}: {figures['requests_per_second']} requests/s, p50 "
                    f"{figures['p50_ms']} ms, p95 {figures['p95_ms']} ms, {figures['errors']} errors")
            self.stdout.write(f"load: worker resident memory {load['worker_rss_mb']} MB "
                              f"(peak {load['worker_peak_rss_mb']} MB)")
            for path, figures in load_drawn.get("pages", {}).items():
                self.stdout.write(
                    f"load, every page drawn (LEDGER_PAGE_CACHE=0), {path}: {figures['requests_per_second']} "
                    f"requests/s, p50 {figures['p50_ms']} ms, p95 {figures['p95_ms']} ms, {figures['errors']} errors; "
                    f"workers {load_drawn['worker_rss_mb']} MB")
        self.stdout.write("targets at scale 1: ledger median < 60 ms, p95 < 150 ms, ratio to the admin <= 1.0; "
                          "dashboard median < 200 ms; closing one period < 5000 ms; "
                          "export ratio <= 1.25 with peak < 150 MB; import ratio <= 1.5; "
                          "nightly job (5,000 due) < 10 s and <= 3 times the SQL floor; under load >= 100 requests/s on the ledger, "
                          "no errors, each worker < 150 MB")
        Path(json).parent.mkdir(parents=True, exist_ok=True)
        Path(json).write_text(jsonlib.dumps({
            "scale": scale, "debug": settings.DEBUG, "counts": counts, "build_seconds": build_seconds,
            "close_period_ms": {"median": statistics.median(close_ms), "p95": p95(close_ms)},
            "pages_ms": pages,
            "closed_periods": RankingPeriod.objects.filter(status=PeriodStatus.CLOSED).count(),
            "export": export, "import": imported, "nightly": nightly, "catch_up": catch_up,
            "load": load, "load_drawn": load_drawn,
        }, ensure_ascii=False, indent=2))
        self.stdout.write(f"figures written to {json}")
