"""Pages of a large table read in two steps: first the page's ids from the filtered, ordered table
alone, walked through the index of the order; then only those rows with the joins they display.
Asked in one query, a database may start from a small joined table and sort the whole ledger before
it can return 50 rows."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from django.core.paginator import Page, Paginator
from django.db.models import QuerySet

from issues.core.lookups import IdList


class TwoStepPaginator(Paginator):
    """`rows(ids)` reads the rows of these ids, joins and all, in any order."""

    def __init__(self, object_list: QuerySet, per_page: int, *, rows: Callable[[list[int]], Iterable], **kwargs):
        super().__init__(object_list, per_page, **kwargs)
        self.rows = rows

    def page(self, number) -> Page:
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        top = bottom + self.per_page
        if top + self.orphans >= self.count:
            top = self.count
        ids = list(self.object_list.values_list("pk", flat=True)[bottom:top])
        by_id = {row.pk: row for row in self.rows(ids)}
        return self._get_page([by_id[pk] for pk in ids if pk in by_id], number, self)


def rows_by_ids(queryset: QuerySet) -> Callable[[list[int]], QuerySet]:
    """The `rows` of a TwoStepPaginator: these ids from `queryset` (its joins, no filter, no order)."""
    return lambda ids: queryset.filter(pk__in_ids=IdList(ids)).order_by()
