"""Import of 交办问题清单 (assigned-problem lists) from xlsx, all or nothing (ledger_columns.md).

Every row is read and checked first; any row error means nothing is written and the report lists
every error with its row, column, value and reason. A clean file is written in one transaction:
each row becomes a finding, registered and assigned at once with its first notice dated on its
发现日期. Rows whose 问题编号 is already in the ledger are skipped and said so, so importing the same
file twice creates nothing new. The writes are set-based (a few statements per 500 rows) and start
while the rest of the file is still being read (a large file is parsed by a child process), so a
10,000-row list imports in seconds; the monthly figures are recounted once at the end.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from django.db import connection, transaction
from django.db.models import OuterRef, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _

from issues.core import access
from issues.core.workcalendar import WorkCalendar
from issues.excel.common import (
    CellError,
    ExcelRefused,
    Report,
    Row,
    RowError,
    SiteTypeMatcher,
    UnitMatcher,
    find_header,
    parse_date,
    parse_deadline,
    parse_decimal,
    parse_list,
    sheet_rows,
    squeeze,
)
from issues.findings.services import RelapseMemo, create_site, relapse_origins
from issues.models import (
    AuditEvent,
    Finding,
    FindingStatus,
    IndexItem,
    IndexSystem,
    InspectionRound,
    Notice,
    NoticeOutcome,
    Policy,
    Severity,
    Site,
    SiteType,
    Unit,
)
from issues.rankings import aggregates

COLUMNS = ("序号", "问题编号", "问题来源", "督查批次", "发现日期", "点位名称", "点位类型", "具体地址", "问题描述",
           "测评指标编码", "测评指标", "责任单位", "配合单位", "扣分", "整改时限", "整改要求", "备注")
BATCH = 500
Progress = Callable[[int, int], None]


@dataclass
class Parsed:
    row: int
    number: str
    source: str
    batch: str
    found_on: dt.date
    site: Site | None
    new_site: tuple[str, SiteType] | None
    address: str
    description: str
    item: IndexItem | None
    lead_unit: Unit
    co_units: list[Unit]
    deduction: Decimal
    deadline: dt.date
    requirement: str
    remarks: str
    relapse_of: int | None = None
    extra: dict = field(default_factory=dict)

    def summary(self) -> dict:
        site = self.site.name if self.site else (self.new_site[0] if self.new_site else "")
        return {"row": self.row, "number": self.number, "description": self.description[:40],
                "unit": self.lead_unit.name, "site": site, "found_on": self.found_on.isoformat(),
                "deadline": self.deadline.isoformat(), "relapse": bool(self.relapse_of),
                "new_site": bool(self.new_site)}


class Lookups:
    """Everything a row is matched against, loaded once."""

    def __init__(self):
        self.units = UnitMatcher(Unit.objects.filter(is_active=True))
        self.sites = {squeeze(s.name): s for s in Site.objects.select_related("site_type")}
        self.site_types = SiteTypeMatcher(SiteType.objects.all())
        system = IndexSystem.objects.filter(is_current=True).first()
        items = list(IndexItem.objects.filter(system=system)) if system else []
        self.items_by_code = {squeeze(i.code).upper(): i for i in items}
        self.items_by_name = {squeeze(i.name): i for i in items}
        self.default_days = Policy.current().deadline_days_for(Severity.GENERAL)
        self.calendar = WorkCalendar.everything()
        # covert rounds not yet published: an imported row is assigned at once, which they forbid
        self.hidden_rounds = set(InspectionRound.objects.filter(is_covert=True, published_at__isnull=True)
                                 .values_list("name", flat=True))


def parse_row(row: Row, look: Lookups, *, today: dt.date, create_sites: bool) -> tuple[Parsed | None, list[RowError]]:
    """One row to a Parsed, or every error in it. Never raises on cell values."""
    errors: list[RowError] = []

    def cell(name, parse, *, required=False, default=None):
        value = row.raw(name)
        if value is None:
            if required:
                errors.append(RowError(row.number, name, "", _("必填，不能为空")))
            return default
        try:
            return parse(value)
        except CellError as exc:
            errors.append(RowError(row.number, name, value, str(exc)))
            return default

    description = row.text("问题描述")
    if not description:
        errors.append(RowError(row.number, "问题描述", "", _("必填，不能为空")))
    found_on = cell("发现日期", parse_date, default=today)
    lead_unit = cell("责任单位", lambda v: look.units.get(str(v)), required=True)
    co_units = []
    for name in parse_list(row.text("配合单位")):
        try:
            unit = look.units.get(name)
        except CellError as exc:
            errors.append(RowError(row.number, "配合单位", name, str(exc)))
            continue
        if lead_unit is None or unit.pk != lead_unit.pk:
            co_units.append(unit)
    deduction = cell("扣分", parse_decimal, default=Decimal("0"))

    site_type = cell("点位类型", lambda v: look.site_types.get(str(v)))
    site, new_site = None, None
    site_name = row.text("点位名称")
    if site_name:
        site = look.sites.get(squeeze(site_name))
        if site is None:
            if not create_sites:
                errors.append(RowError(row.number, "点位名称", site_name,
                                       _("没有这个点位；先在点位管理中添加，或导入时选择“自动新建点位”")))
            elif site_type is None:
                errors.append(RowError(row.number, "点位类型", "", _("新建点位“%(name)s”需要填写点位类型")
                                       % {"name": site_name}))
            else:
                new_site = (site_name, site_type)

    item = None
    code, item_name = row.text("测评指标编码"), row.text("测评指标")
    if code:
        item = look.items_by_code.get(squeeze(code).upper())
        if item is None:
            errors.append(RowError(row.number, "测评指标编码", code, _("当前测评体系中没有这个指标编码")))
    elif item_name:
        item = look.items_by_name.get(squeeze(item_name))
        if item is None:
            errors.append(RowError(row.number, "测评指标", item_name, _("当前测评体系中没有这个指标")))

    deadline = None
    raw_deadline = row.raw("整改时限")
    start = found_on or today
    if raw_deadline is None:
        deadline = look.calendar.add_working_days(start, look.default_days)
    else:
        try:
            deadline = parse_deadline(raw_deadline, start=start, calendar=look.calendar)
        except CellError as exc:
            errors.append(RowError(row.number, "整改时限", raw_deadline, str(exc)))
        else:
            if deadline < start:
                errors.append(RowError(row.number, "整改时限", raw_deadline,
                                       _("整改时限早于发现日期 %(d)s") % {"d": start.isoformat()}))
    batch = row.text("督查批次")[:120]
    if batch in look.hidden_rounds:
        errors.append(RowError(row.number, "督查批次", batch,
                               _("这是尚未发布的暗访批次：导入的问题会立即交办，请在批次发布后再导入，或逐条登记")))
    number = row.text("问题编号")
    if len(number) > 60:
        errors.append(RowError(row.number, "问题编号", number, _("不能超过 60 个字")))
    if errors or lead_unit is None:
        return None, errors
    return Parsed(
        row=row.number, number=number, source=row.text("问题来源")[:40], batch=batch,
        found_on=found_on, site=site, new_site=new_site, address=row.text("具体地址")[:200],
        description=description, item=item, lead_unit=lead_unit, co_units=co_units, deduction=deduction,
        deadline=deadline, requirement=row.text("整改要求"), remarks=row.text("备注"),
    ), []


def checked_chunks(path: Path | str, *, today: dt.date, create_sites: bool, report: Report,
                   progress: Progress | None = None) -> Iterator[list[Parsed]]:
    """The file's rows, BATCH at a time as they are read, each row checked; errors go to the report.

    A chunk holds the rows that passed their own checks and are new: a 问题编号 seen earlier in the
    file is an error, one already in the ledger is skipped (said row by row), and relapses are found."""
    with sheet_rows(path) as sheet:
        look = Lookups()
        table = find_header(sheet.rows, marker="问题描述", known=COLUMNS, max_rows=Policy.current().max_import_rows)
        if "责任单位" not in table.columns:
            raise ExcelRefused(_("没有找到“责任单位”列。"))
        report.unknown_columns = table.unknown
        total = max(sheet.size - table.header_row, 0)
        seen: dict[str, int] = {}
        relapses = RelapseMemo()
        chunk: list[Parsed] = []
        for number, values in table.rows:
            report.rows += 1
            result, errors = parse_row(Row(number, values, table.columns), look, today=today,
                                       create_sites=create_sites)
            report.errors.extend(errors)
            if result is not None:
                if result.number and result.number in seen:
                    report.errors.append(RowError(result.row, "问题编号", result.number,
                                                  _("与第%(row)d行的问题编号重复") % {"row": seen[result.number]}))
                else:
                    if result.number:
                        seen[result.number] = result.row
                    chunk.append(result)
            if report.rows % BATCH == 0:
                yield _new_only(chunk, report, relapses)
                chunk = []
                if progress:
                    progress(report.rows, total if total >= report.rows else 0)
        yield _new_only(chunk, report, relapses)


def _new_only(chunk: list[Parsed], report: Report, relapses: RelapseMemo) -> list[Parsed]:
    """Drop the rows already in the ledger (said row by row) and find the relapses among the rest."""
    numbers = [p.number for p in chunk if p.number]
    existing = set(Finding.objects.filter(number__in=numbers).values_list("number", flat=True)) if numbers else set()
    fresh = []
    for p in chunk:
        if p.number in existing:
            report.skipped.append({"row": p.row, "number": p.number,
                                   "reason": _("问题编号 %(n)s 已在台账中，跳过") % {"n": p.number}})
        else:
            fresh.append(p)
    origins = relapse_origins(((p.site.pk, p.item.pk, p.found_on) for p in fresh if p.site and p.item), relapses)
    for p in fresh:
        if p.site and p.item:
            p.relapse_of = origins.get((p.site.pk, p.item.pk, p.found_on))
    return fresh


def import_ledger(path: Path | str, *, actor, dry_run: bool = False, create_sites: bool = False,
                  today: dt.date | None = None, filename: str = "", progress: Progress | None = None) -> Report:
    """Read, check and (unless a dry run or any error) write a 交办问题清单; the report says what happened.

    Rows are written chunk by chunk while the rest of the file is still being read, inside one
    transaction opened at the first clean chunk; the first error anywhere stops the writing and
    rolls back what was written, so a file imports whole or not at all."""
    access.ensure_office(actor)
    today = today or timezone.localdate()
    report = Report(kind="ledger", dry_run=dry_run)
    writer = None if dry_run else _Writer(actor=actor, today=today, filename=filename or Path(path).name)
    created: list[dict] = []
    with ExitStack() as stack:
        for chunk in checked_chunks(path, today=today, create_sites=create_sites, report=report, progress=progress):
            created.extend(p.summary() for p in chunk)
            if writer is None or report.errors or not chunk:
                continue
            if not writer.started:
                stack.enter_context(transaction.atomic())
                writer.started = True
            writer.write(chunk)
        if writer is not None and writer.started:
            if report.errors:
                transaction.set_rollback(True)
            else:
                writer.finish()
    if report.errors:
        report.errors.sort(key=lambda e: (e.row, e.column))
        return report
    report.created = created
    if not created and not report.skipped:
        report.notes.append(_("文件里没有数据行。"))
    return report


def _insert(model, columns: tuple[str, ...], rows: list[tuple]) -> None:
    """INSERT rows of values already prepared for the database (`connection.ops.adapt_*`), one
    executemany for the lot."""
    if not rows:
        return
    quote = connection.ops.quote_name
    sql = (f"INSERT INTO {quote(model._meta.db_table)} ({', '.join(quote(c) for c in columns)}) "  # nosec B608  # noqa: S608 - the model's own names
           f"VALUES ({', '.join(['%s'] * len(columns))})")
    with connection.cursor() as cursor:
        cursor.executemany(sql, rows)


def _reserved_ids(model, n: int) -> list[int] | None:
    """n ids for new rows of `model` from its sequence, on PostgreSQL; None elsewhere (SQLite has no
    sequence: its ids come from inserting)."""
    if connection.vendor != "postgresql" or not n:
        return None
    with connection.cursor() as cursor:
        cursor.execute("SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
                       [model._meta.db_table, n])
        return [row[0] for row in cursor.fetchall()]


class _Writer:
    """Writes checked rows set-based (a few statements per chunk); the caller holds the transaction."""

    def __init__(self, *, actor, today: dt.date, filename: str):
        self.actor = actor
        self.actor_id = actor.pk if getattr(actor, "pk", None) else None
        self.today, self.filename = today, filename
        self.when = timezone.now()
        self.when_db = connection.ops.adapt_datetimefield_value(self.when)
        self.rounds: dict[str, InspectionRound] = {}
        self.new_sites: dict[str, Site] = {}
        self.counted: list[tuple] = []
        self.tops = access.top_units()
        self.started = False

    def _round(self, p: Parsed) -> InspectionRound | None:
        name = p.batch or (f"{p.source}（{self.today:%Y-%m-%d}导入）" if p.source else "")
        if not name:
            return None
        if name not in self.rounds:
            self.rounds[name], _created = InspectionRound.objects.get_or_create(
                name=name, defaults={"source": p.source or _("其他"), "held_on": p.found_on,
                                     "created_by_id": self.actor_id},
            )
        return self.rounds[name]

    def _site(self, p: Parsed) -> Site | None:
        if not p.new_site:
            return p.site
        name, site_type = p.new_site
        key = squeeze(name)
        if key not in self.new_sites:
            self.new_sites[key] = create_site(actor=self.actor, name=name, site_type=site_type,
                                              address=p.address, default_unit=p.lead_unit)
        return self.new_sites[key]

    def write(self, chunk: list[Parsed]) -> None:
        actor_id, when, filename = self.actor_id, self.when, self.filename
        for p in chunk:
            p.extra["round"] = self._round(p)
            p.site = self._site(p)
        # Each finding points at its first notice, which points back at it. On PostgreSQL the notices'
        # ids are taken from their sequence first, so each finding is written once, already pointing
        # at its notice (the foreign keys are checked at commit); elsewhere the findings are pointed
        # at their notices by an update once both exist.
        notice_ids = _reserved_ids(Notice, len(chunk))
        findings = Finding.objects.bulk_create([
            Finding(number=p.number or None, inspection_round=p.extra["round"], site=p.site,
                    address=p.address or (p.site.address if p.site else ""), index_item=p.item,
                    description=p.description, lead_unit=p.lead_unit, lead_top_id=self.tops[p.lead_unit.pk],
                    deduction=p.deduction,
                    severity=Severity.GENERAL, found_on=p.found_on, status=FindingStatus.ASSIGNED,
                    deadline=p.deadline, relapse_of_id=p.relapse_of, remarks=p.remarks, created_by_id=actor_id,
                    created_at=when, current_notice_id=notice_id)
            for p, notice_id in zip(chunk, notice_ids or [None] * len(chunk), strict=True)
        ])
        ids = [f.pk for f in findings]
        date, when_db, json = connection.ops.adapt_datefield_value, self.when_db, connection.ops.adapt_json_value
        # the rows below need no ids back: sent as prepared values, where bulk_create's preparing of
        # every value of every model made most of an import's time (docs/performance.md)
        notices = [(f_id, 1, p.lead_unit.pk, date(p.found_on), date(p.deadline), p.requirement,
                    NoticeOutcome.OPEN.value, "", actor_id, when_db) for f_id, p in zip(ids, chunk, strict=True)]
        columns = ("finding_id", "seq", "unit_id", "issued_on", "deadline", "requirement", "outcome", "miss_kind",
                   "issued_by_id", "created_at")
        if notice_ids:
            _insert(Notice, ("id", *columns), [(n_id, *row) for n_id, row in zip(notice_ids, notices, strict=True)])
            notice_of = dict(zip(ids, notice_ids, strict=True))
        else:
            _insert(Notice, columns, notices)
            Finding.objects.filter(pk__in=ids).update(current_notice_id=Subquery(
                Notice.objects.filter(finding_id=OuterRef("pk"), seq=1).values("pk")[:1]))
            notice_of = dict(Notice.objects.filter(finding_id__in=ids, seq=1).values_list("finding_id", "pk"))
        _insert(Finding.co_units.through, ("finding_id", "unit_id"),
                [(f_id, u.pk) for f_id, p in zip(ids, chunk, strict=True) for u in p.co_units])
        _insert(AuditEvent, ("at", "actor_id", "action", "object_type", "object_id", "finding_id", "from_state",
                             "to_state", "message", "data"), [
            (when_db, actor_id, "import", "finding", str(f_id), f_id, "", FindingStatus.ASSIGNED.value,
             (f"Excel导入（{filename} 第{p.row}行）：登记并交办至 {p.lead_unit.name}，"
              f"时限 {p.deadline.isoformat()}" + ("（反弹）" if p.relapse_of else "")),
             json({"file": filename, "row": p.row, "notice": notice_of[f_id], "relapse_of": p.relapse_of}, None))
            for f_id, p in zip(ids, chunk, strict=True)
        ])
        self.counted.extend(
            (p.lead_unit.pk, p.found_on, p.deadline, p.deduction, bool(p.relapse_of), p.item.pk if p.item else None,
             p.site.site_type_id if p.site else None)
            for p in chunk
        )

    def finish(self) -> None:
        """The monthly figures of every written row, recounted once."""
        aggregates.add_new_findings(self.counted)
