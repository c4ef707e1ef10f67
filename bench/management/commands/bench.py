"""`manage.py bench`: build the synthetic city in the configured database, measure, and print the
table of docs/performance.md, one column per database measured at this scale (SQLite and PostgreSQL
side by side once both have run)."""

import datetime as dt
import json as jsonlib
import statistics
import time
from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import connection
from django.utils import timezone

from bench.assessment import build_assessment, count_field_windows, measure_package
from bench.city import build_city
from bench.pages import p95
from bench.surveys import build_survey, measure_surveys
from issues.models import Finding, PeriodStatus, RankingPeriod
from issues.rankings import services as rankings

DATABASES = (("sqlite", "SQLite"), ("postgresql", "PostgreSQL"))


class Command(BaseCommand):
    help = "建立合成城市，测量台账、问题页、待办、复核、仪表板、夜间任务、Excel 导入导出和并发负载（基准测试，不是测试）。"

    def add_arguments(self, parser):
        parser.add_argument("--scale", type=float, default=1.0, help="1 = 1,000 个单位、500,000 个问题")
        parser.add_argument("--runs", type=int, default=20)
        parser.add_argument("--excel-rows", type=int, default=100_000, help="导出基准的问题数")
        parser.add_argument("--skip-excel", action="store_true", help="不测量 Excel 导入导出")
        parser.add_argument("--skip-pages", action="store_true", help="不测量页面")
        parser.add_argument("--skip-nightly", action="store_true", help="不测量夜间任务")
        parser.add_argument("--skip-load", action="store_true", help="不做 gunicorn + wrk 负载测试")
        parser.add_argument("--due", type=int, default=5_000, help="夜间任务基准中同一天到期的通知数")
        parser.add_argument("--load-seconds", type=int, default=30, help="负载测试秒数")
        parser.add_argument("--reuse", action="store_true", help="数据库里已有合成城市时不重建")
        parser.add_argument("--table-only", action="store_true", help="只按已保存的结果打印表格")

    def handle(self, *args, scale: float, runs: int, reuse: bool, excel_rows: int, **options):
        if not options["table_only"] and settings.STATIC_MANIFEST:
            # pages name their static files as collected (by content), as in production
            call_command("collectstatic", interactive=False, verbosity=0)
        if not options["table_only"]:
            figures = self.measure(scale, runs, reuse, excel_rows, options)
            path = result_path(connection.vendor, scale)
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(jsonlib.dumps(figures, ensure_ascii=False, indent=2, default=str))
            self.stdout.write(f"figures written to {path}")
        self.stdout.write(table(scale))

    def measure(self, scale, runs, reuse, excel_rows, options) -> dict:
        from bench.excel import measure_export, measure_import
        from bench.load import measure_load
        from bench.nightly import measure_catch_up, measure_nightly
        from bench.pages import measure_pages

        today = timezone.localdate()
        start = time.perf_counter()
        if reuse and Finding.objects.exists():
            counts = {"findings": Finding.objects.count(), "reused": True}
            for period in RankingPeriod.objects.filter(status=PeriodStatus.CLOSED).order_by("-end")[:3]:
                RankingPeriod.objects.filter(pk=period.pk).update(status=PeriodStatus.OPEN, closed_on=None)
        else:
            counts = build_city(scale=scale, today=today)
        counts.update(build_assessment(today=today))  # also into a reused city built before it existed
        counts.update(build_survey(today=today, answers=max(1_000, int(100_000 * scale))))
        count_field_windows(today)
        build_seconds = time.perf_counter() - start
        self.stdout.write(f"{connection.vendor}, scale {scale}: " + ", ".join(f"{k} {v}" for k, v in counts.items()))
        # every month of the three years, oldest first, as the nightly job would have closed them
        months, day = [], today.replace(day=1)
        for _ in range(36):
            day = (day - dt.timedelta(days=1)).replace(day=1)
            months.append(rankings.month_period(day))
        close_ms = []
        for period in reversed(months):
            period.refresh_from_db()
            if period.status != PeriodStatus.CLOSED:
                t0 = time.perf_counter()
                rankings.close_period(period)
                close_ms.append((time.perf_counter() - t0) * 1000)
        small = scale < 0.1  # CI's smoke run: every measure once, briefly
        pages = None if options["skip_pages"] else measure_pages(runs)
        due = options["due"] if not small else min(options["due"], 500)
        nightly = None if options["skip_nightly"] else measure_nightly(due)
        catch_up = None if options["skip_nightly"] else measure_catch_up(due, days=30)
        if options["skip_excel"]:
            export = imported = None
        else:
            export = measure_export(min(excel_rows, Finding.objects.count()))
            imported = measure_import(1_000 if small else 10_000)
        seconds = options["load_seconds"] if not small else min(options["load_seconds"], 5)
        if not options["skip_load"] and connection.vendor == "postgresql":
            # the nightly and import measures wrote and rolled back thousands of rows: clean them up
            # now, as autovacuum would, rather than let it run during the load test
            with connection.cursor() as cursor:
                cursor.execute("VACUUM ANALYZE")
                cursor.execute("CHECKPOINT")
        load = None if options["skip_load"] else measure_load(seconds=seconds)
        zipped = None if options["skip_excel"] else measure_package(500 if small else 5_000)
        surveyed = None if options["skip_pages"] else measure_surveys(runs, export_runs=1 if small else 3)
        return {
            "vendor": connection.vendor, "scale": scale, "debug": settings.DEBUG, "measured_at": timezone.now(),
            "counts": counts, "build_seconds": build_seconds,
            "close_period_ms": {"median": statistics.median(close_ms), "p95": p95(close_ms)} if close_ms else None,
            "pages": pages, "nightly": nightly, "catch_up": catch_up, "export": export, "import": imported,
            "load": load, "package": zipped, "surveys": surveyed,
        }


def result_path(vendor: str, scale: float) -> Path:
    return Path(settings.BASE_DIR) / "var" / f"bench-{vendor}-{scale:g}.json"


def table(scale: float) -> str:
    """The measures of every database measured at this scale, side by side, with the targets."""
    runs = {vendor: jsonlib.loads(result_path(vendor, scale).read_text())
            for vendor, _label in DATABASES if result_path(vendor, scale).exists()}
    columns = [(vendor, label) for vendor, label in DATABASES if vendor in runs]
    rows: list[tuple[str, dict[str, str], str]] = []

    def row(name: str, target: str, cell) -> None:
        values = {}
        for vendor, _label in columns:
            try:
                values[vendor] = cell(runs[vendor])
            except (KeyError, TypeError, ZeroDivisionError):
                values[vendor] = "—"
        rows.append((name, values, target))

    def page(fig):
        return f"{fig['median']} / {fig['p95']} ms, {fig['queries']} q"

    row("building the city", "", lambda r: "reused" if r["counts"].get("reused") else f"{r['build_seconds']:.0f} s")
    first = next(iter(runs.values()), {})
    for i, case in enumerate((first.get("pages") or {}).get("ledger", [])):
        row(f"ledger, {case['case']}", "median < 60, p95 < 150 ms", lambda r, i=i: page(r["pages"]["ledger"][i]))
    for name in ("finding page", "unit inbox", "review queue"):
        row(name, "median < 60 ms", lambda r, name=name: page(r["pages"][name]))
    row("dashboard (with the predicted scores)", "median < 150 ms", lambda r: page(r["pages"]["dashboard"]))
    row("materials matrix, units × categories", "median < 150 ms", lambda r: page(r["pages"]["materials matrix"]))
    row("materials matrix, one category's items", "median < 150 ms",
        lambda r: page(r["pages"]["materials matrix, one category"]))
    row("closing one month, all groups", "", lambda r: f"{r['close_period_ms']['median']:.0f} ms")
    row("nightly job, one day", "< 5 s", lambda r: (
        f"{r['nightly']['seconds']:.2f} s for {r['nightly']['due']} due ({r['nightly']['misses']} misses, "
        f"{r['nightly']['sanctions']} sanctions, {r['nightly']['queries']} q)"))
    row("nightly catch-up, 30 days", "< 120 s", lambda r: (
        f"{r['catch_up']['seconds']:.1f} s ({r['catch_up']['misses']} misses, {r['catch_up']['sanctions']} "
        f"sanctions, slowest day {r['catch_up']['slowest_day_s']:.2f} s)"))
    row("export", "≤ 1.25 × bare, < 150 MB", lambda r: (
        f"{r['export']['rows']:,} rows {r['export']['export_s']:.1f} s = {r['export']['ratio']:.2f} × bare "
        f"({r['export']['bare_s']:.1f} s), peak {r['export']['rss_peak_mb']:.0f} MB"))
    row("import", "< 5 s, ≤ 2.5 × bare", lambda r: (
        f"{r['import']['rows']:,} rows {r['import']['import_s']:.2f} s = {r['import']['ratio']:.2f} × bare "
        f"({r['import']['bare_s']:.2f} s)"))
    row("load, 16 connections, the mix", "≥ 50 req/s, p95 < 300 ms, 0 errors, < 150 MB", lambda r: (
        f"{r['load']['requests_per_second']} req/s, p95 {r['load']['p95_ms']} ms, {r['load']['errors']} errors, "
        f"workers {'/'.join(str(round(m)) for m in r['load']['worker_peak_rss_mb'])} MB"
        if "skipped" not in r["load"] else r["load"]["skipped"]))
    row("materials zip, streamed", "memory flat (no file held)", lambda r: (
        f"{r['package']['files']:,} files, {r['package']['archive_mb']} MB in {r['package']['seconds']} s, "
        f"peak {r['package']['peak_mb']} MB (a tenth of the files: {r['package']['peak_mb_tenth']} MB)"))
    row("survey results, all answers", "median < 300 ms", lambda r: page(r["surveys"]["results"]))
    row("survey results, one district", "median < 300 ms", lambda r: page(r["surveys"]["results_by_district"]))
    row("survey answers export", "≤ 2 × bare", lambda r: (
        f"{r['surveys']['export']['rows']:,} answers {r['surveys']['export']['export_s']:.1f} s = "
        f"{r['surveys']['export']['ratio']:.2f} × bare ({r['surveys']['export']['bare_s']:.1f} s)"))
    head = ["measure", *(label for _vendor, label in columns), "target"]
    lines = [f"scale {scale:g}", "| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for name, values, target in rows:
        lines.append("| " + " | ".join([name, *(values[v] for v, _label in columns), target]) + " |")
    return "\n".join(lines)
