"""The materials completeness matrix as a workbook: one row per unit, one column per index item (the
state of what the unit owes for it), then the unit's points owed, covered and the share covered."""

from __future__ import annotations

from decimal import Decimal

from issues.excel.ledger_export import _Sheet
from issues.materials.reads import Matrix


def write_matrix(table: Matrix, out) -> int:
    """Write `table` (by item) to `out`; returns the number of unit rows."""
    from openpyxl import Workbook

    headers = ("单位", *(f"{c.code} {c.label}" for c in table.columns), "应报指标分值", "已齐全分值", "齐全率")
    widths = (24, *(14 for _c in table.columns), 12, 12, 8)
    workbook = Workbook(write_only=True)
    sheet = _Sheet(workbook, "材料齐全情况", headers, widths)
    for row in table.rows:
        cells = [cell.text for cell in row.cells]  # the matrix by item: 已通过, or 待审核 1/2
        share = None if row.share is None else float(row.share)
        sheet.append([row.unit.name, *cells, float(row.points), float(row.covered), share])
    sheet.append(["合计", *("" if c.share is None else f"{(c.share * 100).quantize(Decimal('0.1'))}%"
                           for c in table.columns),
                  float(sum((r.points for r in table.rows), Decimal("0"))),
                  float(sum((r.covered for r in table.rows), Decimal("0"))),
                  None if table.share is None else float(table.share)])
    sheet.close()
    workbook.save(out)
    return len(table.rows)
