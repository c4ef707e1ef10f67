"""The set-based writers the nightly job and the imports use: every row lands, past the 500 rows a
statement carries, and counters are added to, not overwritten."""

import datetime as dt
from decimal import Decimal

from issues.models import Unit, UnitMonth
from issues.services import aggregates, bulk

MONTH = dt.date(2026, 11, 1)


def many_unit_months(count: int) -> list[int]:
    parent = Unit.objects.create(name="批量测试区", kind="district")
    units = Unit.objects.bulk_create([Unit(name=f"批量测试社区{i}", kind="community", parent=parent)
                                      for i in range(count)])
    UnitMonth.objects.bulk_create([UnitMonth(unit=u, month=MONTH, misses=i, due=1, deductions=Decimal("1.50"))
                                   for i, u in enumerate(units)])
    return list(UnitMonth.objects.filter(month=MONTH).order_by("pk").values_list("pk", flat=True))


def test_update_sets_each_row_its_own_values_past_one_statement(db):
    ids = many_unit_months(1201)  # 500 + 500 + 201 rows
    bulk.update(UnitMonth, ("misses", "due"), [(i * 2, 7, pk) for i, pk in enumerate(ids)])
    rows = dict(UnitMonth.objects.filter(pk__in=ids).values_list("pk", "misses"))
    assert [rows[pk] for pk in ids] == [i * 2 for i in range(len(ids))]
    assert set(UnitMonth.objects.filter(pk__in=ids).values_list("due", flat=True)) == {7}


def test_add_to_adds_to_what_each_row_holds(db):
    ids = many_unit_months(1201)
    bulk.add_to(UnitMonth, ("misses", "due", "deductions"),
                [(3, 1, bulk.Adapters().decimal(Decimal("0.25"), aggregates.DEDUCTIONS), pk) for pk in ids])
    figures = {pk: (misses, due, deductions) for pk, misses, due, deductions in
               UnitMonth.objects.filter(pk__in=ids).values_list("pk", "misses", "due", "deductions")}
    assert [figures[pk] for pk in ids] == [(i + 3, 2, Decimal("1.75")) for i in range(len(ids))]


def test_nothing_to_write_sends_no_statement(db, django_assert_num_queries):
    with django_assert_num_queries(0):
        bulk.update(UnitMonth, ("misses",), [])
        bulk.add_to(UnitMonth, ("misses",), iter(()))
