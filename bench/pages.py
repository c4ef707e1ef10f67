"""The pages people wait for, at the size of the synthetic city: the ledger in eight cases (no
filter, one filter, five filters, sorted by deadline; each on page 1 and a deep page), a finding's
page, a unit's inbox, the review queue and the leaders' dashboard. Each is a warm median and p95,
with the number of queries it took."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable

from django.contrib.auth.models import User
from django.db import connection
from django.http import QueryDict
from django.test import Client
from django.test.utils import CaptureQueriesContext

from issues.filters import FindingFilter
from issues.models import Finding, FindingStatus, IndexCategory, Unit, UnitKind

PER_PAGE = 50


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


def ledger_queries() -> list[tuple[str, str]]:
    """(case, query string) of the four ways the ledger is asked."""
    # five filters that still leave a deep page: a district's closed findings of three years
    district = Unit.objects.filter(kind=UnitKind.DISTRICT).order_by("pk").first()
    five = (f"status=closed&unit={district.pk}&found_from=2024-01-01&found_to=2026-12-31"
            f"&closed_from=2024-03-01")
    return [
        ("no filter", ""),
        ("one filter (已销号)", f"status={FindingStatus.CLOSED}"),
        ("five filters", five),
        ("sorted by deadline", "o=deadline"),
    ]


def deep_page(user, query: str) -> int:
    """Page 500, or the last page when a smaller city has fewer."""
    found = FindingFilter(QueryDict(query), queryset=Finding.objects.all(), user=user).qs.count()
    return max(1, min(500, -(-found // PER_PAGE)))


def ledger_urls(user) -> list[tuple[str, str]]:
    urls = []
    for name, query in ledger_queries():
        for page in (1, deep_page(user, query)):
            params = "&".join(p for p in (query, f"page={page}" if page > 1 else "") if p)
            urls.append((f"{name}, page {page}", "/findings/" + (f"?{params}" if params else "")))
    return urls


def logged_in(username: str) -> Client:
    client = Client()
    client.force_login(User.objects.get(username=username))
    return client


def measure_pages(runs: int = 20) -> dict:
    office_user = User.objects.get(username="bench-office")
    office, unit, leader = logged_in("bench-office"), logged_in("bench-unit"), logged_in("bench-leader")
    out: dict = {"ledger": []}
    for case, url in ledger_urls(office_user):
        out["ledger"].append({"case": case, "url": url, **figures(*timed(lambda u=url: office.get(u), runs))})
    finding = Finding.objects.filter(status=FindingStatus.CLOSED, miss_count__gte=2).order_by("-pk").first()
    out["finding page"] = figures(*timed(lambda: office.get(f"/findings/{finding.pk}/"), runs))
    out["unit inbox"] = figures(*timed(lambda: unit.get("/inbox/"), runs))
    out["review queue"] = figures(*timed(lambda: office.get("/review/"), runs))
    out["dashboard"] = figures(*timed(lambda: leader.get("/dashboard/"), runs))
    # the completeness matrix: every unit against the categories, then against one category's items
    out["materials matrix"] = figures(*timed(lambda: leader.get("/materials/matrix/"), runs))
    category = IndexCategory.objects.filter(system__is_current=True).order_by("order").first()
    out["materials matrix, one category"] = figures(
        *timed(lambda: leader.get(f"/materials/matrix/?category={category.pk}"), runs))
    return out
