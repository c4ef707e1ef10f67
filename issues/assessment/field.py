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

from django.db.models import Count, Q

from issues.models import AssessmentEdition, IndexItem, InspectionResult, Verdict

CENT = Decimal("0.01")


@dataclass
class ItemRate:
    item: IndexItem
    passed: int = 0
    failed: int = 0

    @property
    def observations(self) -> int:
        return self.passed + self.failed

    @property
    def points(self) -> Decimal:
        return self.item.points or Decimal("0")  # an item without points weighs nothing

    @property
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

    @property
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

    @property
    def score(self) -> Decimal | None:
        """The predicted field score, to two decimals; None when no item was observed."""
        observed = [r for r in self.items if r.rate is not None]
        points = sum((r.points for r in observed), Decimal("0"))
        if not points:
            return None
        earned = sum((r.points * r.rate for r in observed), Decimal("0"))
        return (self.edition.field_weight * earned / points).quantize(CENT, ROUND_HALF_UP)

    @property
    def coverage(self) -> Decimal | None:
        """The share of the items' points that were observed, 0 to 1, to four places."""
        total = sum((r.points for r in self.items), Decimal("0"))
        if not total:
            return None
        seen = sum((r.points for r in self.items if r.rate is not None), Decimal("0"))
        return (seen / total).quantize(Decimal("0.0001"), ROUND_HALF_UP)


def field_part(edition: AssessmentEdition, today: dt.date, *, days: int | None = None, items=None) -> FieldPart:
    """The edition's field part over the `days` (default: the edition's window) up to today, in two queries;
    `items`: only these index items (a queryset or ids), as a unit's inbox shows the items it answers for."""
    start = today - dt.timedelta(days=(days or edition.field_window_days) - 1)
    part = FieldPart(edition=edition, start=start, end=today)
    results, index = InspectionResult.objects.all(), IndexItem.objects.filter(system_id=edition.index_system_id)
    if items is not None:
        results, index = results.filter(index_item__in=items), index.filter(pk__in=items)
    marks = {
        item_id: (passed, failed)
        for item_id, passed, failed in results.filter(
            inspection__held_on__range=(start, today), index_item__system_id=edition.index_system_id,
            verdict__in=[Verdict.PASS, Verdict.FAIL],
        ).values_list("index_item_id").annotate(
            passed=Count("pk", filter=Q(verdict=Verdict.PASS)), failed=Count("pk", filter=Q(verdict=Verdict.FAIL)),
        ).order_by()
    }
    for item in index.select_related("category").order_by(
            "category__order", "code"):
        passed, failed = marks.get(item.pk, (0, 0))
        part.items.append(ItemRate(item=item, passed=passed, failed=failed))
    return part
