"""Read the first sheet of an xlsx and send its rows to the process that started this one.

Run by `excel.sheet_rows` as `python xlsx_child.py FILE` for large files, so that openpyxl's
parsing (most of an import's time) runs on another core while the importer checks and writes the
rows already read. It imports nothing from Django: it only reads. Its standard output is a
sequence of pickled frames:

    ("size", max_row)        first, the sheet's row count as openpyxl sees it
    ("rows", [tuple, ...])   the rows' values in order, formulas as their cached values
    ("end",)                 last, when every row was sent
    ("broken", reason)       instead of the rest, when openpyxl cannot read the file
    ("empty",)               the workbook has no worksheet
"""

from __future__ import annotations

import pickle
import sys

FRAME_ROWS = 250


def _size_from_the_head(sheet) -> None:
    """openpyxl's read-only sheet looks for the <dimension> element when it opens, but its parser
    reports elements at their end, so a file without one (openpyxl's own write-only files, many
    exports) is parsed whole just to learn that; this stops at the start of <sheetData> instead and
    leaves the sheet as openpyxl would (the size unknown, rows as long as they are)."""
    from openpyxl.utils.cell import range_boundaries
    from openpyxl.worksheet._reader import DATA_TAG, DIMENSION_TAG
    from openpyxl.xml.functions import iterparse

    with sheet._get_source() as source:
        for _event, element in iterparse(source, events=("start",)):
            if element.tag == DIMENSION_TAG:
                sheet._min_column, sheet._min_row, sheet._max_column, sheet._max_row = range_boundaries(
                    element.get("ref", ""))
                return
            if element.tag == DATA_TAG:
                return


def main(path: str) -> int:
    out = sys.stdout.buffer

    def send(frame) -> None:
        pickle.dump(frame, out, protocol=pickle.HIGHEST_PROTOCOL)
        out.flush()

    try:
        import openpyxl
        from openpyxl.worksheet._read_only import ReadOnlyWorksheet

        ReadOnlyWorksheet._get_size = _size_from_the_head  # this process only reads this one file
        workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for broken files  # noqa: BLE001
        send(("broken", f"{type(exc).__name__}: {exc}"))
        return 0
    try:
        if not workbook.worksheets:
            send(("empty",))
            return 0
        sheet = workbook.worksheets[0]
        send(("size", sheet.max_row or 0))
        batch = []
        try:
            for values in sheet.iter_rows(values_only=True):
                batch.append(values)
                if len(batch) >= FRAME_ROWS:
                    send(("rows", batch))
                    batch = []
        except Exception as exc:  # noqa: BLE001
            send(("broken", f"{type(exc).__name__}: {exc}"))
            return 0
        send(("rows", batch))
        send(("end",))
    except BrokenPipeError:  # the reader stopped early (a refused file, a row limit): nothing to say
        return 0
    finally:
        workbook.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
