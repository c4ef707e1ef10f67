"""The ledger's two-step pages: a page found by counting rows per date lists the same rows, in the
same order, as the same page found by walking the offset."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from issues.models import Finding
from issues.pagination import TwoStepPaginator, rows_by_ids

D = dt.date


@pytest.fixture
def dated(city):
    """23 findings on 7 dates, 1 to 6 a date, so pages start and end inside dates and on their edges."""
    per_date = [6, 1, 4, 2, 5, 1, 4]
    for day, n in enumerate(per_date):
        for i in range(n):
            city.finding(description=f"{day}-{i}", found_on=D(2026, 10, 1) + dt.timedelta(days=day))
    return Finding.objects.all()


def pages(findings, order, per_page, seek):
    paginator = TwoStepPaginator(findings.order_by(*order), per_page, rows=rows_by_ids(Finding.objects.all()),
                                 seek=seek)
    return [[f.pk for f in paginator.page(n).object_list] for n in paginator.page_range]


@pytest.mark.parametrize("order", [("-found_on", "-pk"), ("found_on", "pk"), ("-found_on", "pk")])
@pytest.mark.parametrize("per_page", [1, 2, 3, 5, 6, 7, 22, 23, 50])
def test_pages_found_per_date_are_the_pages_found_by_offset(dated, order, per_page):
    walked = pages(dated, order, per_page, seek=None)
    sought = pages(dated, order, per_page, seek="found_on")
    assert sought == walked
    assert sorted(pk for page in sought for pk in page) == sorted(dated.values_list("pk", flat=True))


def test_a_page_past_the_first_reads_only_its_dates(dated):
    paginator = TwoStepPaginator(dated.order_by("-found_on", "-pk"), 4, rows=rows_by_ids(Finding.objects.all()),
                                 seek="found_on")
    assert paginator.count == 23  # counted before, as the ledger counts its tabs
    with CaptureQueriesContext(connection) as queries:
        page = paginator.page(3)
    # newest first: 10-07 has rows 0-3, 10-06 row 4, 10-05 rows 5-9, 10-04 rows 10-11
    assert [f.found_on.day for f in page.object_list] == [5, 5, 4, 4]
    asked = [q["sql"] for q in queries.captured_queries]
    assert len(asked) == 3  # rows per date, the page's ids from its two dates, the rows
    assert "GROUP BY" in asked[0]
    assert "IN (" in asked[1] and "OFFSET 3" in asked[1]  # 10-05's first three rows are page 2's


def test_an_order_not_starting_with_the_date_walks_the_offset(dated):
    paginator = TwoStepPaginator(dated.order_by("status", "-pk"), 5, rows=rows_by_ids(Finding.objects.all()),
                                 seek="found_on")
    with CaptureQueriesContext(connection) as queries:
        paginator.page(3)
    assert not any("GROUP BY" in q["sql"] for q in queries.captured_queries)
