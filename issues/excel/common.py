"""What every Excel import shares: opening a file safely, finding the header row, reading cells.

The column contract is ../shared/data/ledger_columns.md. A file is refused as a whole with one
message (`ExcelRefused`) when it is not a readable xlsx; a readable file is checked row by row and
every problem becomes a `RowError` naming the row, the column, the value and the reason.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from django.conf import settings
from django.utils.translation import gettext as _

from issues.core.names import SPACES, CellError, UnitMatcher, squeeze  # noqa: F401 - the imports' vocabulary

log = logging.getLogger(__name__)

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP_MAGIC = b"PK\x03\x04"
REQUIRED_MARKS = ("（必填）", "(必填)", "*", "＊")
LIST_SEPARATORS = re.compile(r"[、，,;；\n\r]+")


class ExcelRefused(Exception):
    """The file as a whole cannot be read; the message says why, in Chinese."""


@dataclass
class RowError:
    row: int
    column: str
    value: Any
    reason: str

    def as_dict(self) -> dict:
        return {"row": self.row, "column": self.column, "value": display(self.value), "reason": self.reason}

    def __str__(self) -> str:
        where = _("第%(row)d行") % {"row": self.row}
        if self.column:
            where += _("“%(column)s”列") % {"column": self.column}
        value = display(self.value)
        shown = _("（值：%(value)s）") % {"value": value} if value != "" else ""
        return f"{where}{shown}：{self.reason}"


@dataclass
class Report:
    """What an import did or would do; errors mean nothing was written."""

    kind: str
    dry_run: bool = False
    rows: int = 0
    created: list[dict] = field(default_factory=list)
    updated: list[dict] = field(default_factory=list)
    skipped: list[dict] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    unknown_columns: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    def as_dict(self) -> dict:
        return {
            "kind": self.kind, "dry_run": self.dry_run, "rows": self.rows, "ok": self.ok,
            "created": self.created, "updated": self.updated, "skipped": self.skipped,
            "errors": [e.as_dict() for e in self.errors], "unknown_columns": self.unknown_columns,
            "notes": self.notes,
        }


def display(value) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M") if (value.hour or value.minute) else value.strftime("%Y-%m-%d")
    if isinstance(value, dt.date):
        return value.isoformat()
    text = str(value)
    return text if len(text) <= 60 else text[:57] + "…"


# --- opening ---------------------------------------------------------------------------------


def check_file(path: Path | str) -> None:
    """Refuse what is not a plain, reasonably sized xlsx before openpyxl touches it."""
    path = Path(path)
    size = path.stat().st_size
    limit = settings.IMPORT_MAX_BYTES
    if size == 0:
        raise ExcelRefused(_("文件是空的。"))
    if size > limit:
        raise ExcelRefused(_("文件有 %(size).1f MB，超过了 %(limit).0f MB 的上限；请拆分后分批导入。")
                           % {"size": size / 1048576, "limit": limit / 1048576})
    with path.open("rb") as handle:
        head = handle.read(8)
        if head == OLE_MAGIC:
            handle.seek(0)
            if "EncryptionInfo".encode("utf-16-le") in handle.read(min(size, 1 << 20)):
                raise ExcelRefused(_("文件设置了打开密码（已加密），无法读取；请在 Excel 中取消密码后另存为 .xlsx 再导入。"))
            raise ExcelRefused(_("这是旧版 Excel（.xls）文件；请在 Excel 中另存为 .xlsx 后再导入。"))
    if head[:4] != ZIP_MAGIC:
        raise ExcelRefused(_("这不是 Excel（.xlsx）文件；请上传用 Excel 或 WPS 保存的 .xlsx 文件。"))
    try:
        with zipfile.ZipFile(path) as archive:
            names = set(archive.namelist())
            if "xl/workbook.xml" not in names:
                raise ExcelRefused(_("这不是 Excel（.xlsx）文件；请上传用 Excel 或 WPS 保存的 .xlsx 文件。"))
            total = 0
            for info in archive.infolist():
                total += info.file_size
                ratio = info.file_size / max(info.compress_size, 1)
                if ratio > settings.IMPORT_MAX_RATIO and info.file_size > 1048576:
                    raise ExcelRefused(_("文件内容的压缩比异常（可能是“压缩炸弹”），已拒绝。"))
            if total > settings.IMPORT_MAX_UNPACKED_BYTES:
                raise ExcelRefused(_("文件解压后有 %(size).0f MB，超过了 %(limit).0f MB 的上限，已拒绝。")
                                   % {"size": total / 1048576, "limit": settings.IMPORT_MAX_UNPACKED_BYTES / 1048576})
    except zipfile.BadZipFile as exc:
        raise ExcelRefused(_("文件已损坏，无法作为 .xlsx 读取。")) from exc


def open_sheet(path: Path | str) -> SheetRows:
    """The first sheet of a checked file, read by calamine (formulas as their cached values), as
    openpyxl would give its values: whole numbers as int, empty cells as None, rows numbered as in
    Excel even when the sheet's first rows are empty."""
    from python_calamine import CalamineWorkbook

    check_file(path)
    try:
        workbook = CalamineWorkbook.from_path(str(path))
        try:
            if not workbook.sheet_names:
                raise ExcelRefused(_("文件里没有工作表。"))
            sheet = workbook.get_sheet_by_index(0)
            rows = sheet.to_python(skip_empty_area=False)
        finally:
            workbook.close()
    except ExcelRefused:
        raise
    except Exception as exc:  # calamine raises its own kinds (zip, XML, a missing part) for broken files
        log.info("calamine could not read an upload: %s: %s", type(exc).__name__, exc)
        raise ExcelRefused(_("文件已损坏，无法作为 .xlsx 读取。")) from exc
    return SheetRows(len(rows), (tuple(_cell(value) for value in row) for row in rows))


def _cell(value):
    if value == "":
        return None
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


class SheetRows:
    """The first sheet's rows as tuples of values (`rows`), and how many there are (`size`)."""

    def __init__(self, size: int, rows: Iterator[tuple]):
        self.size, self.rows = size, rows


@contextmanager
def sheet_rows(path: Path | str) -> Iterator[SheetRows]:
    """The first sheet's rows; what cannot be read is refused (`ExcelRefused`) with one message."""
    yield open_sheet(path)


def save_upload(upload, folder: str = "imports") -> Path:
    """Keep an uploaded file under MEDIA_ROOT/imports with a fresh name; returns its path."""
    import uuid

    target = Path(settings.MEDIA_ROOT) / folder
    target.mkdir(parents=True, exist_ok=True)
    path = target / f"{uuid.uuid4().hex}.xlsx"
    with path.open("wb") as out:
        for chunk in upload.chunks():
            out.write(chunk)
    return path


# --- headers ---------------------------------------------------------------------------------


def header_key(value) -> str:
    """A header cell as the contract matches it: spaces (full-width too) out, a trailing * or （必填） off."""
    if value is None:
        return ""
    text = SPACES.sub("", str(value))
    changed = True
    while changed:
        changed = False
        for mark in REQUIRED_MARKS:
            if text.endswith(mark):
                text, changed = text[: -len(mark)], True
    return text


@dataclass
class Sheet:
    """The rows under a found header row, with each known column's index."""

    header_row: int
    columns: dict[str, int]
    unknown: list[str]
    rows: Any  # iterator of (row number, tuple of values)


def find_header(rows, *, marker: str, known: tuple[str, ...], max_rows: int) -> Sheet:
    """The first row with `marker` among its cells is the header; title and note rows above are skipped."""
    rows = iter(rows)
    for number, values in enumerate(rows, 1):
        keys = [header_key(v) for v in values]
        if marker in keys:
            columns, unknown = {}, []
            for index, key in enumerate(keys):
                if not key:
                    continue
                if key in known and key not in columns:
                    columns[key] = index
                elif key not in known:
                    unknown.append(key)
            return Sheet(header_row=number, columns=columns, unknown=unknown,
                         rows=_data_rows(rows, number, max_rows))
        if number >= 50:
            break
    raise ExcelRefused(_("没有找到“%(marker)s”表头：表头行必须有一格写着“%(marker)s”。") % {"marker": marker})


def _data_rows(rows, header_row: int, max_rows: int):
    count = 0
    for number, values in enumerate(rows, header_row + 1):
        if values is None or all(v is None or (isinstance(v, str) and not v.strip()) for v in values):
            continue
        count += 1
        if count > max_rows:
            raise ExcelRefused(_("文件超过了 %(limit)d 行的上限；请拆分后分批导入。") % {"limit": max_rows})
        yield number, values


class Row:
    """One data row, read by header name."""

    __slots__ = ("number", "values", "columns")

    def __init__(self, number: int, values: tuple, columns: dict[str, int]):
        self.number, self.values, self.columns = number, values, columns

    def raw(self, name: str):
        index = self.columns.get(name)
        if index is None or index >= len(self.values):
            return None
        value = self.values[index]
        if isinstance(value, str):
            # spaces and line breaks around a value are noise; a leading tab is kept (it is content)
            value = value.strip(" \u3000\u00a0\r\n")
            return value if value.strip() else None
        return value

    def text(self, name: str) -> str:
        value = self.raw(name)
        if value is None:
            return ""
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        if isinstance(value, dt.datetime | dt.date):
            return display(value)
        return str(value)


# --- cells -----------------------------------------------------------------------------------


DATE_PATTERNS = (
    re.compile(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})$"),
    re.compile(r"^(\d{4})年(\d{1,2})月(\d{1,2})日?$"),
    re.compile(r"^(\d{4})(\d{2})(\d{2})$"),
)
CALENDAR_DAYS = re.compile(r"^(\d{1,3})\s*(?:个)?\s*(?:天|日|自然日)$")
WORKING_DAYS = re.compile(r"^(\d{1,3})\s*(?:个)?\s*工作日$")


EARLIEST, LATEST = dt.date(1990, 1, 1), dt.date(2100, 12, 31)


def parse_date(value) -> dt.date:
    day = _parse_date(value)
    if not EARLIEST <= day <= LATEST:
        raise CellError(_("日期超出范围（%(a)s 至 %(b)s）") % {"a": EARLIEST.year, "b": LATEST.year})
    return day


def _parse_date(value) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        if float(value).is_integer() and 19000101 <= int(value) <= 21001231:
            value = str(int(value))
        else:
            raise CellError(_("不是日期；请写成 2026-12-05、2026/12/05、2026.12.05、2026年12月5日 或 20261205"))
    text = SPACES.sub("", str(value))
    for pattern in DATE_PATTERNS:
        match = pattern.match(text)
        if match:
            try:
                return dt.date(*(int(part) for part in match.groups()))
            except ValueError as exc:
                raise CellError(_("日期不存在")) from exc
    raise CellError(_("不是日期；请写成 2026-12-05、2026/12/05、2026.12.05、2026年12月5日 或 20261205"))


def parse_deadline(value, *, start: dt.date, calendar) -> dt.date:
    """A date, or a duration counted from `start`: "3天" calendar days, "5个工作日" working days by
    `calendar` (a loaded WorkCalendar: an import counts thousands of deadlines)."""
    if isinstance(value, str):
        text = SPACES.sub("", value)
        match = WORKING_DAYS.match(text)
        if match:
            return calendar.add_working_days(start, int(match.group(1)))
        match = CALENDAR_DAYS.match(text)
        if match:
            return start + dt.timedelta(days=int(match.group(1)))
    try:
        return parse_date(value)
    except CellError as exc:
        raise CellError(_("不是日期或期限；请写成日期（如 2026-12-05），或“3天”“5个工作日”")) from exc


def parse_decimal(value, *, minimum: Decimal | None = Decimal("0")) -> Decimal:
    if isinstance(value, bool):
        raise CellError(_("不是数字"))
    text = SPACES.sub("", str(value)).removesuffix("分")
    try:
        number = Decimal(text)
    except (InvalidOperation, ValueError) as exc:
        raise CellError(_("不是数字")) from exc
    if not number.is_finite():
        raise CellError(_("不是数字"))
    if minimum is not None and number < minimum:
        raise CellError(_("不能小于 %(min)s") % {"min": minimum})
    if abs(number) >= Decimal("10000"):
        raise CellError(_("数值过大"))
    return number.quantize(Decimal("0.01"))


def parse_bool(value) -> bool:
    text = SPACES.sub("", str(value)).lower()
    if text in ("是", "y", "yes", "true", "1", "√", "✓"):
        return True
    if text in ("否", "n", "no", "false", "0", "×", "x", ""):
        return False
    raise CellError(_("请填“是”或“否”"))


def parse_list(value) -> list[str]:
    if value is None:
        return []
    return [part.strip() for part in LIST_SEPARATORS.split(str(value)) if part.strip()]






class SiteTypeMatcher:
    """Site types by name or code (codes in any case), spaces ignored, or by one of the names a
    reference name joins: "集贸市场/农贸市场" is also 农贸市场, "新时代文明实践中心(所、站)" also
    新时代文明实践中心 (a short form two types share matches neither)."""

    def __init__(self, site_types):
        self.by_key = {}
        short: dict[str, set] = {}
        for site_type in site_types:
            self.by_key[squeeze(site_type.name)] = site_type
            self.by_key[squeeze(site_type.code).upper()] = site_type
            for part in re.split(r"[/／]", re.sub(r"[(（][^)）]*[)）]", "", site_type.name)):
                if squeeze(part):
                    short.setdefault(squeeze(part), set()).add(site_type)
        for key, found in short.items():
            if len(found) == 1:
                self.by_key.setdefault(key, next(iter(found)))

    def get(self, text: str):
        key = squeeze(text)
        found = self.by_key.get(key) or self.by_key.get(key.upper())
        if found is None:
            raise CellError(_("没有这个点位类型（请用点位类型的名称或编码）"))
        return found
