"""Pages of a large table read in two steps.

A page of the ledger joins six tables for display. Asked in one query, SQLite may start from the
smallest joined table and sort the whole ledger before it can return 50 rows (4.5 s at 500,000
findings). Here the page's ids come first from the filtered, ordered table alone, with the offset
walked through the index of the order; then only those rows are read with their joins.

Deep into a narrow result whose order starts with a date (a district's closed findings, page 500),
no index gives the order: SQLite would sort the district's 47,000 rows to skip to the page. There
the rows are counted per date first, and the page is read from the few dates it falls on.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from django.core.paginator import Page, Paginator
from django.db.models import Count, QuerySet

from .lookups import IdList


class TwoStepPaginator(Paginator):
    """`rows(ids)` reads the rows of these ids, joins and all; their order is the ids' order.
    `seek`: a date field; when the order starts with it, a page past the first is found by counting
    the rows per date rather than by walking the offset (`page_ids`)."""

    def __init__(self, object_list: QuerySet, per_page: int, *, rows: Callable[[list[int]], Iterable],
                 seek: str | None = None, **kwargs):
        super().__init__(object_list, per_page, **kwargs)
        self.rows = rows
        self.seek = seek

    def page(self, number) -> Page:
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        top = bottom + self.per_page
        if top + self.orphans >= self.count:
            top = self.count
        ids = self.page_ids(bottom, top)
        by_id = {row.pk: row for row in self.rows(ids)}
        return self._get_page([by_id[pk] for pk in ids if pk in by_id], number, self)

    def page_ids(self, bottom: int, top: int) -> list[int]:
        """The ids of rows [bottom, top) in order. Seeking, the rows are counted per date, and only
        the dates rows [bottom, top) fall on are read, by equality (a range would compete in
        SQLite's plan with the filters' own date range), skipping the rows of those dates that
        come before `bottom`. Every row of a date sorts after every row of the dates before it, so
        this is the same slice."""
        rows = self.object_list
        order = rows.query.order_by
        if not (self.seek and bottom and order and order[0] in (self.seek, f"-{self.seek}")):
            return list(rows.values_list("pk", flat=True)[bottom:top])
        per_date = sorted(rows.order_by().values_list(self.seek).annotate(n=Count("pk")).values_list(self.seek, "n"),
                          reverse=order[0].startswith("-"))
        before = 0  # rows of the dates before the page's first date
        dates, reached = [], 0  # the page's dates; rows up to the end of the last of them
        for date, n in per_date:
            if not dates:
                if before + n <= bottom:
                    before += n
                    continue
                reached = before
            dates.append(date)
            reached += n
            if reached >= top:
                break
        if not dates:
            return []
        skip = bottom - before
        return list(rows.filter(**{f"{self.seek}__in": dates}).values_list("pk", flat=True)[skip:skip + top - bottom])


def rows_by_ids(queryset: QuerySet) -> Callable[[list[int]], QuerySet]:
    """The `rows` of a TwoStepPaginator: these ids from `queryset` (its joins, no filter, no order)."""
    return lambda ids: queryset.filter(pk__in_ids=IdList(ids)).order_by()
