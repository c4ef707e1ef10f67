"""Matching what people type to the units they mean: by full name or registered short name (简称),
spaces of every kind ignored. The Excel imports and the office's forms match the same way."""

from __future__ import annotations

import re
from collections import Counter
from typing import Any

from django.utils.translation import gettext as _

SPACES = re.compile(r"[\s\u3000\u00a0]+")


class CellError(ValueError):
    """A value that does not fit its column or field; the message is the reason shown to the user."""


class AmbiguousName(CellError):
    """A short name that more than one unit registered."""


def squeeze(name: str) -> str:
    """A name as matched: every kind of space removed."""
    return SPACES.sub("", name or "")


class UnitMatcher:
    """Units by full name or registered short name (简称), spaces ignored."""

    def __init__(self, units):
        self.by_name: dict[str, Any] = {}
        shorts: dict[str, set] = {}
        for unit in units:
            self.by_name[squeeze(unit.name)] = unit
            for short in unit.short_name_list():
                shorts.setdefault(squeeze(short), set()).add(unit)
        self.ambiguous = {name for name, found in shorts.items() if len(found) > 1 and name not in self.by_name}
        for name, found in shorts.items():
            if len(found) == 1:
                self.by_name.setdefault(name, next(iter(found)))

    def get(self, name: str):
        key = squeeze(name)
        if key in self.by_name:
            return self.by_name[key]
        if key in self.ambiguous:
            raise AmbiguousName(_("简称“%(name)s”对应多个单位，请写全称") % {"name": name})
        raise CellError(_("没有这个单位（请写单位全称或已登记的简称）"))


def _unique_labels(rows) -> dict[int, str]:
    """(pk, label, qualifier) rows → {pk: label}, a label shared by several rows told apart by its
    qualifier, and by the id when even that repeats."""
    rows = list(rows)
    seen = Counter(label for _pk, label, _qualifier in rows)
    labels = {pk: label if seen[label] == 1 else f"{label}（{qualifier or '—'}）" for pk, label, qualifier in rows}
    again = Counter(labels.values())
    return {pk: label if again[label] == 1 else f"{label} #{pk}" for pk, label in labels.items()}


def unit_labels(units) -> dict[int, str]:
    """The units' names (unique) as a picker lists them: by kind, then name."""
    return dict(units.order_by("kind", "name").values_list("pk", "name"))


def item_labels(items) -> dict[int, str]:
    """Index items as "code name", newest system first; the same code in two systems comes with the
    system's name."""
    rows = items.order_by("-system__year", "system__name", "code").values_list("pk", "code", "name", "system__name")
    return _unique_labels((pk, f"{code} {name}", system) for pk, code, name, system in rows)
