"""The ledger workbook (ledger_columns.md): sheets 问题台账, 问责台账 and 排名, streamed.

openpyxl's write-only mode writes each row to disk as it comes, and the findings are read in
chunks of plain tuples (no model instances), so memory stays flat however many rows go out.
Dates are real Excel dates; the header row is frozen and filtered; a text cell that starts with
= + - @ or a tab is written as a string cell with Excel's quote prefix, so no spreadsheet
evaluates it and the text reads back unchanged.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from issues.core.lookups import IdList
from issues.models import (
    Decision,
    Finding,
    FindingStatus,
    IndexItem,
    InspectionRound,
    Notice,
    RankingEntry,
    Sanction,
    SanctionAction,
    SanctionStatus,
    Site,
    Submission,
    Unit,
)

LEDGER_HEADERS = ("序号", "问题编号", "问题来源", "督查批次", "发现日期", "点位名称", "点位类型", "具体地址", "问题描述",
                  "测评指标编码", "测评指标", "责任单位", "配合单位", "扣分", "交办日期", "整改时限", "通知次数",
                  "未按期整改次数", "状态", "整改情况", "复核结果", "销号日期", "是否反弹", "问责措施", "备注")
LEDGER_WIDTHS = (6, 16, 16, 18, 12, 20, 16, 24, 40, 12, 24, 18, 18, 7, 12, 12, 8, 10, 9, 30, 20, 12, 8, 24, 20)
SANCTION_HEADERS = ("序号", "责任单位", "措施", "依据规则", "触发原因", "关联问题编号", "决定日期", "生效日期", "截止日期",
                    "状态")
SANCTION_WIDTHS = (6, 20, 16, 24, 40, 16, 12, 12, 12, 10)
RANKING_HEADERS = ("周期", "分组", "名次", "单位", "得分", "问题数", "未按期整改次数", "反弹数", "按期整改率", "是否后三位")
RANKING_WIDTHS = (14, 12, 6, 20, 8, 8, 12, 8, 10, 10)
CHUNK = 2000
DANGEROUS = ("=", "+", "-", "@", "\t", "\r")
STATUS_LABELS = {  # the contract's words (待交办, 整改中, 待复核, 已销号, 已作废)
    FindingStatus.REGISTERED: "待交办", FindingStatus.ASSIGNED: "整改中", FindingStatus.SUBMITTED: "待复核",
    FindingStatus.CLOSED: "已销号", FindingStatus.VOID: "已作废",
}
ACTION_LABELS = {
    SanctionAction.CIRCULAR: "通报批评", SanctionAction.INTERVIEW: "约谈", SanctionAction.REFERRAL: "移交纪委监委",
    SanctionAction.BONUS_SUSPENSION: "停发文明奖", SanctionAction.TITLE_REVOCATION: "撤销文明单位称号",
}

Progress = Callable[[int, int], None]


class _Sheet:
    """A write-only sheet with a frozen, filtered header row and set column widths, printed as offices
    print a ledger: A4 landscape, every column on the page's width, the header row on every page, page
    numbers in the footer."""

    def __init__(self, workbook, title: str, headers: tuple[str, ...], widths: tuple[int, ...]):
        from openpyxl.utils import get_column_letter

        self.ws = workbook.create_sheet(title)
        for index, width in enumerate(widths, 1):
            self.ws.column_dimensions[get_column_letter(index)].width = width
        self.ws.freeze_panes = "A2"
        setup = self.ws.page_setup
        setup.orientation, setup.paperSize, setup.fitToWidth, setup.fitToHeight = "landscape", "9", 1, 0  # 9: A4
        self.ws.sheet_properties.pageSetUpPr.fitToPage = True
        self.ws.print_title_rows = "1:1"
        self.ws.oddFooter.center.text = "第 &P 页，共 &N 页"
        self.headers = headers
        self.ws.append(headers)
        self.count = 0

    def append(self, row) -> None:
        if any(isinstance(v, str) and v.startswith(DANGEROUS) for v in row):
            row = [_safe(self.ws, v) for v in row]
        self.ws.append(row)
        self.count += 1

    def close(self) -> None:
        from openpyxl.utils import get_column_letter

        self.ws.auto_filter.ref = f"A1:{get_column_letter(len(self.headers))}{self.count + 1}"


def _safe(ws, value):
    if isinstance(value, str) and value.startswith(DANGEROUS):
        from openpyxl.cell import WriteOnlyCell

        cell = WriteOnlyCell(ws, value)
        cell.data_type = "s"  # a string, never a formula
        cell.quotePrefix = True  # and Excel keeps it text when the cell is edited
        return cell
    return value


def _joined(values) -> str:
    return "、".join(v for v in values if v)


def _remarks(remarks: str, seq: int | None, acknowledged) -> str:
    """备注, with the current notice's receipt time (签收) after the office's own remarks."""
    if acknowledged is None:
        return remarks
    receipt = f"第{seq}次通知签收 {timezone.localtime(acknowledged):%Y-%m-%d %H:%M}"
    return f"{remarks}；{receipt}" if remarks else receipt


def ledger_rows(findings: QuerySet[Finding], progress: Progress | None = None):
    """The 问题台账 rows of these findings in their order, read in chunks of plain tuples."""
    ids = list(findings.values_list("pk", flat=True))
    total = len(ids)
    fields = ("pk", "number", "inspection_round_id", "found_on", "site_id", "address", "description",
              "index_item_id", "lead_unit_id", "deduction", "deadline", "current_notice__seq",
              "miss_count", "status", "closed_on", "relapse_of_id", "remarks", "current_notice__acknowledged_at")
    through = Finding.co_units.through
    # the small tables once, by id: the chunk query then joins only the current notice
    unit_names = dict(Unit.objects.values_list("pk", "name"))
    rounds = {pk: (source, name) for pk, source, name in InspectionRound.objects.values_list("pk", "source", "name")}
    sites = {pk: (name, site_type) for pk, name, site_type in Site.objects.values_list("pk", "name", "site_type__name")}
    items = {pk: (code, name) for pk, code, name in IndexItem.objects.values_list("pk", "code", "name")}
    nothing = ("", "")
    serial = 0
    for start in range(0, total, CHUNK):
        chunk = ids[start:start + CHUNK]
        rows = {row[0]: row for row in Finding.objects.filter(pk__in_ids=IdList(chunk)).values_list(*fields).order_by()}
        co = defaultdict(list)
        # ids only, names from the dict: joined, SQLite would walk every unit for each chunk
        for finding_id, unit_id in through.objects.filter(finding_id__in_ids=IdList(chunk)).values_list("finding_id", "unit_id"):
            co[finding_id].append(unit_names[unit_id])
        issued = dict(Notice.objects.filter(finding_id__in_ids=IdList(chunk), seq=1).values_list("finding_id", "issued_on")
                      .order_by())
        fixes: dict[int, tuple] = {}
        for row in (Submission.objects.filter(notice__finding_id__in_ids=IdList(chunk))
                    .values_list("notice__finding_id", "note", "decision", "decided_on", "reason")
                    .order_by("submitted_at", "pk")):
            fixes[row[0]] = row
        sanctions = defaultdict(list)
        for finding_id, action, decided_on in (Sanction.objects.filter(finding_id__in_ids=IdList(chunk))
                                               .values_list("finding_id", "action", "decided_on")
                                               .order_by("decided_on", "pk")):
            sanctions[finding_id].append(f"{ACTION_LABELS.get(action, action)}（{decided_on:%Y-%m-%d}）")
        for pk in chunk:
            (_pk, number, round_id, found_on, site_id, address, description, item_id, unit_id,
             deduction, deadline, seq, misses, status, closed_on, relapse_of, remarks, acknowledged) = rows[pk]
            source, batch = rounds.get(round_id, nothing)
            site, site_type = sites.get(site_id, nothing)
            code, item = items.get(item_id, nothing)
            unit = unit_names[unit_id]
            fix = fixes.get(pk)
            review = ""
            if fix and fix[2] == Decision.APPROVED:
                review = f"通过（{fix[3]:%Y-%m-%d}）"
            elif fix and fix[2] == Decision.REJECTED:
                review = f"不通过（{fix[3]:%Y-%m-%d}）：{fix[4]}"
            elif fix:
                review = "待复核"
            serial += 1
            yield (
                serial, number or f"WT{pk:06d}", source or "", batch or "", found_on, site or "", site_type or "",
                address, description, code or "", item or "", unit, _joined(co.get(pk, ())), deduction,
                issued.get(pk), deadline, seq or 0, misses, STATUS_LABELS.get(status, status),
                fix[1] if fix else "", review, closed_on, "是" if relapse_of else "否",
                "、".join(sanctions.get(pk, ())), _remarks(remarks, seq, acknowledged),
            )
        if progress:
            progress(min(start + CHUNK, total), total)


def sanction_rows(sanctions: QuerySet[Sanction]):
    status_labels = dict(SanctionStatus.choices)
    fields = ("unit__name", "action", "rule__name", "reason", "finding__number", "finding_id", "decided_on",
              "effective_from", "effective_until", "status")
    for serial, row in enumerate(sanctions.values_list(*fields).order_by("decided_on", "pk").iterator(), 1):
        unit, action, rule, reason, number, finding_id, decided, start, until, status = row
        shown_number = number or (f"WT{finding_id:06d}" if finding_id else "")
        yield (serial, unit, ACTION_LABELS.get(action, action), rule, reason, shown_number, decided, start, until,
               str(status_labels.get(status, status)))


def ranking_rows(entries: QuerySet[RankingEntry]):
    fields = ("period__name", "group__name", "rank", "unit__name", "score", "findings_count", "miss_count",
              "relapse_count", "on_time_rate", "in_bottom")
    for period, group, rank, unit, score, findings, misses, relapses, rate, bottom in (
        entries.values_list(*fields).order_by("-period__start", "group__order", "rank", "unit__name").iterator()
    ):
        yield (period, group, rank, unit, score, findings, misses, relapses,
               None if rate is None else float(rate), "是" if bottom else "否")


def write_workbook(out: Path | str, *, findings: QuerySet[Finding], sanctions: QuerySet[Sanction],
                   entries: QuerySet[RankingEntry], progress: Progress | None = None) -> int:
    """Write the three sheets to `out`; returns how many findings went out."""
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    ledger = _Sheet(workbook, "问题台账", LEDGER_HEADERS, LEDGER_WIDTHS)
    for row in ledger_rows(findings, progress):
        ledger.append(row)
    ledger.close()
    sheet = _Sheet(workbook, "问责台账", SANCTION_HEADERS, SANCTION_WIDTHS)
    for row in sanction_rows(sanctions):
        sheet.append(row)
    sheet.close()
    sheet = _Sheet(workbook, "排名", RANKING_HEADERS, RANKING_WIDTHS)
    for row in ranking_rows(entries):
        sheet.append(row)
    sheet.close()
    workbook.save(out)
    return ledger.count


def selection(user, query, *, today: dt.date | None = None):
    """What the ledger page with these filters (a QueryDict or dict) shows a user, as the three querysets
    of the workbook: findings, sanctions, closed-period rankings. `user=None` is the whole ledger (the
    command line). Sanctions and rankings follow the unit filter and the user's scope. Raises
    ValueError with the filter errors."""
    from issues.core import access
    from issues.filters import FindingFilter
    from issues.models import PeriodStatus

    findings = access.findings_for(user) if user is not None else Finding.objects.all()
    data = query.copy() if hasattr(query, "copy") else dict(query)
    for key in ("page", "per_page"):
        data.pop(key, None)
    if not data.get("o"):
        findings = findings.order_by("-found_on", "-pk")
    filterset = FindingFilter(data or None, queryset=findings, user=user, today=today)
    chosen = None
    if filterset.is_bound:
        if not filterset.is_valid():
            raise ValueError(_("筛选条件有误：%(errors)s") % {"errors": filterset.errors.as_text()})
        findings = filterset.qs
        if filterset.form.cleaned_data.get("lead_unit"):
            chosen = {int(filterset.form.cleaned_data["lead_unit"])}
        elif filterset.form.cleaned_data.get("unit"):
            chosen = set(access.descendant_ids(int(filterset.form.cleaned_data["unit"])))
    unit_ids = access.visible_unit_ids(user) if user is not None else None
    scope = unit_ids if chosen is None else (chosen if unit_ids is None else chosen & set(unit_ids))
    sanctions = Sanction.objects.all()
    entries = RankingEntry.objects.filter(period__status=PeriodStatus.CLOSED)
    if scope is not None:
        sanctions = sanctions.filter(unit_id__in=scope)
        entries = entries.filter(unit_id__in=scope)
    return findings, sanctions, entries


def export_for(user, query, out: Path | str, *, today: dt.date | None = None, progress: Progress | None = None) -> int:
    """The workbook a user gets from the ledger page with these filters; returns how many findings."""
    findings, sanctions, entries = selection(user, query, today=today)
    return write_workbook(out, findings=findings, sanctions=sanctions, entries=entries, progress=progress)
