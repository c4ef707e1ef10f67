"""The pages people wait for, at the size of the synthetic city: the ledger (five cases, page 1
and page 500) beside the Django admin changelist of findings asked the same thing, the finding
page, a unit's inbox and the dashboard. Each is a warm median and p95 with its query count.

The ledger is measured twice: drawn (no kept page, as the first view after any write) and asked
again (the page kept for the ledger's version, issues.pagecache). The ratio to the admin is the
drawn one's."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable

from django.contrib.auth.models import User
from django.core.cache import caches
from django.db import connection
from django.http import QueryDict
from django.test import Client
from django.test.utils import CaptureQueriesContext

from issues.core import access
from issues.filters import FindingFilter
from issues.models import Finding, FindingStatus, Unit, UnitKind


def timed(fn: Callable[[], object], runs: int) -> tuple[list[float], int]:
    fn()  # warm
    samples, queries = [], 0
    for _ in range(runs):
        with CaptureQueriesContext(connection) as ctx:
            start = time.perf_counter()
            response = fn()
            samples.append((time.perf_counter() - start) * 1000)
        status = getattr(response, "status_code", 200)
        if status != 200:
            raise RuntimeError(f"{getattr(response, 'request', {}).get('PATH_INFO')} answered {status} "
                               f"{response.get('Location', '')}")
        queries = len(ctx.captured_queries)
    return samples, queries


def p95(samples: list[float]) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(round(0.95 * (len(ordered) - 1))))]


def figures(samples: list[float], queries: int) -> dict:
    return {"median": round(statistics.median(samples), 1), "p95": round(p95(samples), 1), "queries": queries}


def ledger_cases() -> list[tuple[str, str, str]]:
    """(case, ledger query, admin changelist query asking the same)."""
    # five filters that still leave a page 500: a district's closed findings of three years
    district = Unit.objects.filter(kind=UnitKind.DISTRICT).order_by("pk").first()
    units = ",".join(str(pk) for pk in sorted(access.descendant_ids(district.pk)))
    five = (f"status=closed&unit={district.pk}&found_from=2024-01-01&found_to=2026-12-31"
            f"&closed_from=2024-03-01")
    five_admin = (f"status__exact=closed&lead_unit__id__in={units}&found_on__gte=2024-01-01"
                  f"&found_on__lte=2026-12-31&closed_on__gte=2024-03-01")
    deadline_column = 7  # the admin's list_display position of 整改时限 (1-based)
    cases = [
        ("no filter", "", ""),
        ("one filter (已销号)", f"status={FindingStatus.CLOSED}", f"status__exact={FindingStatus.CLOSED}"),
        ("five filters", five, five_admin),
        ("sorted by deadline", "o=deadline", f"o={deadline_column}"),
    ]
    return cases


def deep_page(user, query: str) -> int:
    """Page 500, or the last page when a smaller city has fewer (50 findings a page)."""
    found = FindingFilter(QueryDict(query), queryset=Finding.objects.all(), user=user).qs.count()
    return max(1, min(500, -(-found // 50)))


def measure_pages(runs: int = 20, admin_runs: int = 5) -> dict:
    """The admin changelist takes seconds a page at full scale, so it gets fewer runs."""
    office_user = User.objects.get(username="bench-office")
    office = Client()
    office.force_login(office_user)
    admin_user, _created = User.objects.get_or_create(username="bench-admin",
                                                      defaults={"is_staff": True, "is_superuser": True})
    admin = Client()
    admin.force_login(admin_user)
    unit = Client()
    unit.force_login(User.objects.get(username="bench-unit"))
    leader = Client()
    leader.force_login(User.objects.get(username="bench-leader"))
    out: dict = {"ledger": []}
    runs_of = []
    for name, ours_q, admin_q in ledger_cases():
        for page in (1, deep_page(office_user, ours_q)):
            suffix = (f"page={page}", f"p={page}") if page > 1 else ("", "")
            runs_of.append((f"{name}, page {page}",
                            "/findings/?" + "&".join(p for p in (ours_q, suffix[0]) if p),
                            "/admin/issues/finding/?" + "&".join(p for p in (admin_q, suffix[1]) if p)))
    pages = caches["pages"]

    def drawn(url):  # as the first view after a write: no kept page
        pages.clear()
        return office.get(url)

    for case, ours_url, admin_url in runs_of:
        ours = figures(*timed(lambda u=ours_url: drawn(u), runs))
        kept = figures(*timed(lambda u=ours_url: office.get(u), runs))
        theirs = figures(*timed(lambda u=admin_url: admin.get(u), min(runs, admin_runs)))
        out["ledger"].append({"case": case, "url": ours_url, "admin_url": admin_url, "ours": ours, "kept": kept,
                              "admin": theirs, "ratio": round(ours["median"] / theirs["median"], 2)})
    finding = Finding.objects.filter(status=FindingStatus.CLOSED, miss_count__gte=2).order_by("-pk").first()
    out["finding page"] = figures(*timed(lambda: office.get(f"/findings/{finding.pk}/"), runs))
    out["unit inbox"] = figures(*timed(lambda: unit.get("/inbox/"), runs))
    out["dashboard"] = figures(*timed(lambda: leader.get("/dashboard/"), runs))
    return out
