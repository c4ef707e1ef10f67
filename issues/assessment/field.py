"""The field part (实地考察): each index item's 得分率 over the inspections of a window, and the predicted
field score with its coverage (DOMAIN.md, "The assessment and its parts").

An item's rate is its checklist marks 合格 over those marked 合格 or 不合格 (不适用 does not count); an
item never marked has no rate (未检查). The predicted score is the part's weight × Σ(points × rate) /
Σ(points of the items with a rate); coverage is Σ(points with a rate) / Σ(points).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from functools import cached_property
from typing import NamedTuple

from django.db.models import Count, Q

from issues.models import AssessmentEdition, FieldMarks, FieldWindow, IndexItem, InspectionResult, Verdict

CENT = Decimal("0.01")


class ItemPoints(NamedTuple):
    """What the scores need of an item (the dashboard reads no more)."""

    pk: int
    code: str
    points: Decimal | None


@dataclass
class ItemRate:
    item: IndexItem | ItemPoints
    passed: int = 0
    failed: int = 0

    @property
    def observations(self) -> int:
        return self.passed + self.failed

    @property
    def points(self) -> Decimal:
        return self.item.points or Decimal("0")  # an item without points weighs nothing

    @cached_property
    def rate(self) -> Decimal | None:
        """得分率, 0 to 1, or None when the item was never marked 合格 or 不合格."""
        return None if not self.observations else Decimal(self.passed) / Decimal(self.observations)

    @property
    def points_lost(self) -> Decimal:
        return Decimal("0") if self.rate is None else self.points * (1 - self.rate)


@dataclass
class FieldPart:
    edition: AssessmentEdition
    start: dt.date
    end: dt.date
    items: list[ItemRate] = field(default_factory=list)

    @cached_property
    def observed(self) -> list[ItemRate]:
        """The items with a rate, the most points lost first."""
        return sorted((r for r in self.items if r.rate is not None),
                      key=lambda r: (-r.points_lost, r.rate, r.item.code))

    @property
    def unobserved(self) -> list[ItemRate]:
        return [r for r in self.items if r.rate is None]

    @property
    def observations(self) -> int:
        return sum(r.observations for r in self.items)

    @cached_property
    def score(self) -> Decimal | None:
        """The predicted field score, to two decimals; None when no item was observed."""
        observed = [r for r in self.items if r.rate is not None]
        points = sum((r.points for r in observed), Decimal("0"))
        if not points:
            return None
        earned = sum((r.points * r.rate for r in observed), Decimal("0"))
        return (self.edition.field_weight * earned / points).quantize(CENT, ROUND_HALF_UP)

    @cached_property
    def coverage(self) -> Decimal | None:
        """The share of the items' points that were observed, 0 to 1, to four places."""
        total = sum((r.points for r in self.items), Decimal("0"))
        if not total:
            return None
        seen = sum((r.points for r in self.items if r.rate is not None), Decimal("0"))
        return (seen / total).quantize(Decimal("0.0001"), ROUND_HALF_UP)


def field_part(edition: AssessmentEdition, today: dt.date, *, days: int | None = None, items=None) -> FieldPart:
    """The edition's field part over the `days` (default: the edition's window) up to today, in a few queries;
    `items`: only these index items (a queryset or ids), as a unit's inbox shows the items it answers for."""
    return field_parts(edition, [today], days=days, items=items)[0]


def count_marks(results, windows: list[tuple[dt.date, dt.date]]) -> list[dict[int, list[int]]]:
    """Each window's marks by item, [合格, 不合格], in one pass over the marks of all the windows."""
    counts = {}
    for n, (start, end) in enumerate(windows):
        window = Q(inspection__held_on__range=(start, end))
        counts[f"passed{n}"] = Count("pk", filter=window & Q(verdict=Verdict.PASS))
        counts[f"failed{n}"] = Count("pk", filter=window & Q(verdict=Verdict.FAIL))
    out: list[dict[int, list[int]]] = [{} for _ in windows]
    # no filter on the index system: marks of another system's items are counted and never looked up
    for item_id, *row in results.filter(
        inspection__held_on__range=(min(w[0] for w in windows), max(w[1] for w in windows)),
        verdict__in=[Verdict.PASS, Verdict.FAIL],
    ).values_list("index_item_id").annotate(**counts).values_list("index_item_id", *counts).order_by():
        for n in range(len(windows)):
            if row[2 * n] or row[2 * n + 1]:
                out[n][item_id] = [row[2 * n], row[2 * n + 1]]
    return out


def kept_marks(end: dt.date, days: int) -> dict[int, list[int]] | None:
    """The marks of the window of `days` ending on `end` from the nightly job's count (FieldWindow): its own
    window, or the one ending the day before with `end`'s marks added and those of the day that left the
    window taken away. None when neither is kept (the reads then count live)."""
    window = FieldWindow.objects.filter(end__in=[end, end - dt.timedelta(days=1)], days=days).order_by("-end").first()
    if window is None:
        return None
    marks = {item_id: [passed, failed] for item_id, passed, failed in
             FieldMarks.objects.filter(window=window).values_list("index_item_id", "passed", "failed")}
    if window.end == end:
        return marks
    left = end - dt.timedelta(days=days)
    for item_id, day, verdict, n in (
        InspectionResult.objects.filter(inspection__held_on__in=[left, end], verdict__in=[Verdict.PASS, Verdict.FAIL])
        .values_list("index_item_id", "inspection__held_on", "verdict").annotate(n=Count("pk"))
        .values_list("index_item_id", "inspection__held_on", "verdict", "n").order_by()
    ):
        row = marks.setdefault(item_id, [0, 0])
        row[verdict == Verdict.FAIL] += n if day == end else -n
    return marks


def field_parts(edition: AssessmentEdition, ends: list[dt.date], *, days: int | None = None,
                items=None, names: bool = True) -> list[FieldPart]:
    """The field part as of each day in `ends` (today and last month's end, for the dashboard). The marks
    come from the nightly job's count of the window where it kept one, else are counted live, every such
    window in one pass; `items`: only these index items (a queryset or ids), counted live; `names`: read the
    items' names and categories (the pages list them; the dashboard's scores need only their points)."""
    length = days or edition.field_window_days
    span = dt.timedelta(days=length - 1)
    parts = [FieldPart(edition=edition, start=end - span, end=end) for end in ends]
    results, index = InspectionResult.objects.all(), IndexItem.objects.filter(system_id=edition.index_system_id)
    if items is not None:
        results, index = results.filter(index_item__in=items), index.filter(pk__in=items)
    marks = [None if items is not None else kept_marks(part.end, length) for part in parts]
    live = [n for n, kept in enumerate(marks) if kept is None]
    if live:
        for n, counted in zip(live, count_marks(results, [(parts[n].start, parts[n].end) for n in live]), strict=True):
            marks[n] = counted
    if names:
        rows = index.select_related("category").order_by("category__order", "code")
    else:
        rows = [ItemPoints(*row) for row in index.values_list("pk", "code", "points")]
    for item in rows:
        for part, counted in zip(parts, marks, strict=True):
            passed, failed = counted.get(item.pk, (0, 0))
            part.items.append(ItemRate(item=item, passed=passed, failed=failed))
    return parts
