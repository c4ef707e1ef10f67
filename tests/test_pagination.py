"""The ledger's two-step pages: the ids first, then those rows with their joins."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from issues.core.pagination import TwoStepPaginator, rows_by_ids
from issues.models import Finding

D = dt.date


@pytest.fixture
def dated(city):
    """23 findings on 7 dates, 1 to 6 a date, so pages start and end inside dates and on their edges."""
    per_date = [6, 1, 4, 2, 5, 1, 4]
    for day, n in enumerate(per_date):
        for i in range(n):
            city.finding(description=f"{day}-{i}", found_on=D(2026, 10, 1) + dt.timedelta(days=day))
    return Finding.objects.all()


@pytest.mark.parametrize("order", [("-found_on", "-pk"), ("found_on", "pk"), ("-found_on", "pk")])
@pytest.mark.parametrize("per_page", [1, 2, 3, 5, 7, 22, 23, 50])
def test_pages_list_every_row_once_in_the_asked_order(dated, order, per_page):
    paginator = TwoStepPaginator(dated.order_by(*order), per_page, rows=rows_by_ids(Finding.objects.all()))
    paged = [f.pk for n in paginator.page_range for f in paginator.page(n).object_list]
    assert paged == list(dated.order_by(*order).values_list("pk", flat=True))


def test_a_page_takes_two_statements_whatever_its_depth(dated):
    paginator = TwoStepPaginator(dated.order_by("-found_on", "-pk"), 4, rows=rows_by_ids(Finding.objects.all()))
    paginator.count = 23  # counted before, as the ledger counts its tabs
    for number in (1, 3, 6):
        with CaptureQueriesContext(connection) as queries:
            page = paginator.page(number)
        assert len(queries.captured_queries) == 2
    assert [f.description for f in page.object_list] == ["0-2", "0-1", "0-0"]
