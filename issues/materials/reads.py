"""Materials (材料申报), the reads: who sees which requirement, the evidence window, the completeness
matrix (units × index items), the materials part of the predicted score, and the approved set in
index order for the national platform's upload."""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from dateutil.relativedelta import relativedelta

from issues.core import access
from issues.models import (
    AssessmentEdition,
    IndexItem,
    IndexSystem,
    MaterialDecision,
    MaterialFile,
    MaterialRequirement,
    MaterialState,
    Unit,
)

CENT = Decimal("0.01")
# a cell shows the worst of its requirements: what needs doing comes first
WORST_FIRST = [MaterialState.OVERDUE, MaterialState.RETURNED, MaterialState.MISSING, MaterialState.PENDING,
               MaterialState.APPROVED]
_RANK = {state: rank for rank, state in enumerate(WORST_FIRST)}


def state_of(status: str, miss_count: int) -> str:
    """The state a requirement shows: a requirement missed at least once and still not approved is 逾期未报."""
    if status != MaterialState.APPROVED and miss_count:
        return MaterialState.OVERDUE
    return status


def worst(states) -> str:
    return min(states, key=_RANK.__getitem__)


def evidence_window(requirement: MaterialRequirement, edition: AssessmentEdition | None
                    ) -> tuple[dt.date | None, dt.date | None]:
    """The dates a material must fall in: the requirement's own, else the 12 months up to the current
    edition's assessment date; (None, None) when neither is known."""
    end = requirement.window_end or (edition.assessed_on if edition else None)
    start = requirement.window_start or (end - relativedelta(months=12) + dt.timedelta(days=1) if end else None)
    if start is None or end is None:
        return None, None
    return start, end


def requirements_for(user, queryset=None):
    """The requirements this user sees: all for city-wide roles, a unit's own (lead or co-unit, and those
    of the units below it) for its heads and liaisons."""
    qs = MaterialRequirement.objects.all() if queryset is None else queryset
    ids = access.visible_unit_ids(user)
    if ids is None:
        return qs
    if not ids:
        return qs.none()
    co = MaterialRequirement.co_units.through.objects.filter(unit_id__in=ids).values("materialrequirement_id")
    return qs.filter(lead_unit_id__in=ids) | qs.filter(pk__in=co)


def current_system() -> IndexSystem | None:
    edition = AssessmentEdition.current()
    if edition is not None:
        return edition.index_system
    return IndexSystem.objects.filter(is_current=True).first()


# --- what each unit owes per item ---------------------------------------------------------------


@dataclass
class Ledger:
    """The requirements of one index system as plain rows with who owes each: what the matrix counts,
    read in three queries whatever the number of units."""

    items: dict[int, tuple]  # item id → (code, name, points, category id, category name, category order)
    requirements: list[tuple]  # (pk, item id, status, miss_count, lead unit id)
    units_of: dict[int, set[int]]  # requirement → its lead and co-units

    @classmethod
    def read(cls, system: IndexSystem | None, *, category_id: int | None = None) -> Ledger:
        if system is None:
            return cls({}, [], {})
        qs = MaterialRequirement.objects.filter(item__system=system)
        if category_id:
            qs = qs.filter(item__category_id=category_id)
        requirements = list(qs.order_by("pk").values_list("pk", "item_id", "status", "miss_count", "lead_unit_id"))
        units_of: dict[int, set[int]] = {pk: {lead} for pk, *_rest, lead in requirements}
        for requirement_id, unit_id in MaterialRequirement.co_units.through.objects.filter(
                materialrequirement__in=qs).values_list("materialrequirement_id", "unit_id"):
            units_of[requirement_id].add(unit_id)
        owed = {r[1] for r in requirements}
        # the system's items kept where owed, not `pk__in` the ids (hundreds of parameters cost more to send)
        items = {
            pk: (code, name, points or Decimal("0"), cat, cat_name, cat_order)
            for pk, code, name, points, cat, cat_name, cat_order in IndexItem.objects.filter(system=system).values_list(
                "pk", "code", "name", "points", "category_id", "category__name", "category__order")
            if pk in owed
        }
        return cls(items, requirements, units_of)

    def item_order(self) -> list[int]:
        return sorted(self.items, key=lambda pk: (self.items[pk][5], self.items[pk][3], _code_key(self.items[pk][0])))

    def by_unit_item(self) -> dict[int, dict[int, list[str]]]:
        """unit → item → the states of the item's requirements the unit answers for."""
        cells: dict[int, dict[int, list[str]]] = defaultdict(lambda: defaultdict(list))
        for pk, item_id, status, misses, _lead in self.requirements:
            state = state_of(status, misses)
            for unit_id in self.units_of[pk]:
                cells[unit_id][item_id].append(state)
        return cells


def _code_key(code: str) -> list:
    """Index codes sort as numbers where they are numbers: 2.10 after 2.9."""
    return [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", code)]


# --- the completeness matrix --------------------------------------------------------------------


@dataclass
class Cell:
    state: str  # "none": the unit owes nothing there
    done: int = 1  # items (or requirements) approved, of
    total: int = 1
    text: str = ""  # what the page shows in it

    @property
    def label(self) -> str:
        return "" if self.state == "none" else str(MaterialState(self.state).label)


EMPTY = Cell("none", 0, 0)


@dataclass
class Row:
    unit: Unit
    cells: list[Cell]
    points: Decimal = Decimal("0")  # points of the items the unit answers for
    covered: Decimal = Decimal("0")  # of them, items whose every requirement is approved

    @property
    def missing(self) -> Decimal:
        return self.points - self.covered

    @property
    def share(self) -> Decimal | None:
        return None if not self.points else (self.covered / self.points).quantize(Decimal("0.0001"))


@dataclass
class Column:
    key: int
    code: str
    label: str
    points: Decimal
    share: Decimal | None = None  # the share of its points covered, over every unit that owes it


@dataclass
class Matrix:
    by_item: bool  # columns are the items of one category; else the categories
    columns: list[Column]
    rows: list[Row] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)  # requirements by state

    @property
    def share(self) -> Decimal | None:
        points = sum((r.points for r in self.rows), Decimal("0"))
        covered = sum((r.covered for r in self.rows), Decimal("0"))
        return None if not points else (covered / points).quantize(Decimal("0.0001"))


def matrix(system: IndexSystem | None, *, category_id: int | None = None, unit_ids=None,
           by_item: bool | None = None) -> Matrix:
    """Units × items (one category's items, or, with no category, the categories), the units owing the
    most points not yet covered first. `unit_ids`: only these units' rows (a unit's own view)."""
    ledger = Ledger.read(system, category_id=category_id)
    by_item = bool(category_id) if by_item is None else by_item
    order = ledger.item_order()
    cells = ledger.by_unit_item()
    counts: dict[str, int] = defaultdict(int)
    for _pk, _item, status, misses, *_rest in ledger.requirements:
        counts[state_of(status, misses)] += 1
    if by_item:
        columns = [Column(pk, ledger.items[pk][0], ledger.items[pk][1], ledger.items[pk][2]) for pk in order]
        key_of = {pk: pk for pk in order}
    else:
        seen: dict[int, Column] = {}
        for pk in order:
            _code, _name, points, cat, cat_name, _cat_order = ledger.items[pk]
            column = seen.setdefault(cat, Column(cat, "", cat_name, Decimal("0")))
            column.points += points
        columns = list(seen.values())
        key_of = {pk: ledger.items[pk][3] for pk in order}
    position = {column.key: n for n, column in enumerate(columns)}
    points_of = {pk: item[2] for pk, item in ledger.items.items()}
    wanted = None if unit_ids is None else set(unit_ids)
    units = Unit.objects.only("pk", "name").in_bulk([u for u in cells if wanted is None or u in wanted])
    owed = [Decimal("0")] * len(columns)
    complete = [Decimal("0")] * len(columns)
    labels = {state: str(MaterialState(state).label) for state in WORST_FIRST}
    rows = []
    for unit_id, unit in units.items():
        # per column: the worst state, items (or requirements) approved, of how many
        found: dict[int, list] = {}
        points = covered = Decimal("0")
        for item_id, states in cells[unit_id].items():
            item_points = points_of[item_id]
            approved = states.count(MaterialState.APPROVED)
            done = approved == len(states)
            n = position[key_of[item_id]]
            points += item_points
            owed[n] += item_points
            if done:
                covered += item_points
                complete[n] += item_points
            state = states[0] if len(states) == 1 else worst(states)
            if by_item:
                found[n] = [state, approved, len(states)]
            elif n in found:
                cell = found[n]
                cell[0], cell[1], cell[2] = worst([cell[0], state]), cell[1] + done, cell[2] + 1
            else:
                found[n] = [state, int(done), 1]
        row_cells = [EMPTY] * len(columns)
        for n, (state, done, total) in found.items():
            text = (labels[state] if total == 1 else f"{labels[state]} {done}/{total}") if by_item else f"{done}/{total}"
            row_cells[n] = Cell(state, done, total, text)
        rows.append(Row(unit, row_cells, points, covered))
    for n, column in enumerate(columns):
        column.share = (complete[n] / owed[n]).quantize(Decimal("0.0001")) if owed[n] else None
    rows.sort(key=lambda r: (r.covered - r.points, r.unit.name))
    return Matrix(by_item, columns, rows, dict(counts))


# --- the materials part of the predicted score ----------------------------------------------------


@dataclass(slots=True)
class ItemMaterials:
    item_id: int
    code: str
    points: Decimal
    complete: bool = True  # every requirement of the item approved
    complete_before: bool = True  # ... and approved by the day `materials_part` was given


@dataclass
class MaterialsPart:
    weight: Decimal
    items: list[ItemMaterials]
    before: dt.date | None = None

    @property
    def points(self) -> Decimal:
        return sum((i.points for i in self.items), Decimal("0"))

    def _score(self, complete) -> Decimal | None:
        points = self.points
        if not points:
            return None
        covered = sum((i.points for i in self.items if complete(i)), Decimal("0"))
        return (self.weight * covered / points).quantize(CENT, ROUND_HALF_UP)

    @property
    def score(self) -> Decimal | None:
        """weight × Σ(points of items whose every requirement is approved) / Σ(points of items with any)."""
        return self._score(lambda i: i.complete)

    @property
    def score_before(self) -> Decimal | None:
        """The same as it stood at the end of `before` (approvals dated later not counted)."""
        return None if self.before is None else self._score(lambda i: i.complete_before)

    @property
    def incomplete(self) -> list[ItemMaterials]:
        """The items still short, the most points first."""
        return sorted((i for i in self.items if not i.complete), key=lambda i: (-i.points, _code_key(i.code)))


def materials_part(edition: AssessmentEdition, *, before: dt.date | None = None) -> MaterialsPart:
    """The part from the requirements and their items' points as plain rows, in two queries (the
    dashboard reads it on every view)."""
    items: dict[int, ItemMaterials] = {}
    rows = MaterialRequirement.objects.filter(item__system_id=edition.index_system_id).values_list(
        "item_id", "status", "approved_on").order_by()
    for item_id, status, approved_on in rows:
        item = items.get(item_id) or items.setdefault(item_id, ItemMaterials(item_id, "", Decimal("0")))
        approved = status == MaterialState.APPROVED
        item.complete = item.complete and approved
        item.complete_before = (item.complete_before and approved and before is not None
                                and approved_on is not None and approved_on <= before)
    # the system's items, not `pk__in` the ids (as Ledger.read)
    for pk, code, points in IndexItem.objects.filter(system_id=edition.index_system_id).values_list(
            "pk", "code", "points"):
        if pk in items:
            items[pk].code, items[pk].points = code, points or Decimal("0")
    return MaterialsPart(edition.materials_weight, list(items.values()), before)


# --- the approved set, in index order -------------------------------------------------------------

_UNSAFE = re.compile(r'[\\/:*?"<>|\x00-\x1f]+')


def _safe(text: str, limit: int = 60) -> str:
    return _UNSAFE.sub("_", text).strip(" .")[:limit] or "_"


def package_entries(system: IndexSystem | None) -> list[tuple[str, str]]:
    """(name in the archive, stored file name) of every approved file: a folder per category and per item,
    in index order, each file named by its item's code and its title."""
    if system is None:
        return []
    rows = list(
        MaterialFile.objects.filter(submission__decision=MaterialDecision.APPROVED,
                                    submission__requirement__item__system=system)
        .values_list("file", "original_name", "submission__title", "submission__requirement__order",
                     "submission__requirement_id", "submission_id", "pk",
                     "submission__requirement__item__code", "submission__requirement__item__name",
                     "submission__requirement__item__category__order",
                     "submission__requirement__item__category__name")
    )
    rows.sort(key=lambda r: (r[9], _code_key(r[7]), r[3], r[4], r[5], r[6]))
    entries, used = [], set()
    for stored, original, title, _order, _req, _sub, _pk, code, item_name, cat_order, cat_name in rows:
        extension = ("." + original.rsplit(".", 1)[-1].lower()) if "." in original else ""
        folder = f"{cat_order:02d} {_safe(cat_name)}/{_safe(code, 30)} {_safe(item_name)}"
        base = f"{folder}/{_safe(code, 30)} {_safe(title)}"
        name, n = f"{base}{extension}", 1
        while name in used:
            n += 1
            name = f"{base}（{n}）{extension}"
        used.add(name)
        entries.append((name, stored))
    return entries


def unit_summary(user, today: dt.date) -> dict | None:
    """A unit user's materials at a glance (their inbox): requirements by state and the next due date."""
    qs = requirements_for(user)
    rows = list(qs.values_list("status", "miss_count", "due_on"))
    if not rows:
        return None
    counts: dict[str, int] = defaultdict(int)
    for status, misses, _due in rows:
        counts[state_of(status, misses)] += 1
    upcoming = [due for status, _m, due in rows if status != MaterialState.APPROVED and due >= today]
    return {"total": len(rows), "counts": [(MaterialState(s).label, s, counts[s]) for s in WORST_FIRST if counts[s]],
            "next_due": min(upcoming) if upcoming else None}
