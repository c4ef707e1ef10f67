"""Import of a survey's questions from a workbook (columns in README's Excel contract), all or nothing.

Each row places a question in a version at its number. The question goes into the bank, or is found
there by its text and kind; a bank question asked with other options or another rate is refused, since
older surveys' answers point at its option numbers. A version named in the file and missing from the
survey is added with its 调查对象."""

from __future__ import annotations

import re
from pathlib import Path

from django.db import transaction
from django.utils.translation import gettext as _

from issues.core import access
from issues.excel.common import ExcelRefused, Report, Row, RowError, find_header, sheet_rows
from issues.models import (
    AuditEvent,
    IndexItem,
    Policy,
    Question,
    QuestionKind,
    Survey,
    SurveyQuestion,
    SurveyRate,
    SurveyResponse,
    SurveyVersion,
)

COLUMNS = ("版本", "调查对象", "序号", "题目", "题型", "选项", "计入", "计为是的选项", "指标编号")
KINDS = {str(label): value for value, label in QuestionKind.choices} | {"单选题": QuestionKind.SINGLE,
                                                                       "多选题": QuestionKind.MULTIPLE,
                                                                       "填空题": QuestionKind.TEXT}
RATES = {str(label): value for value, label in SurveyRate.choices}
OPTION_LINES = re.compile(r"[\n\r|｜；;]+")
NUMBERS = re.compile(r"[、，,\s]+")


def _options(text: str) -> list[str]:
    """One option a line (or separated by ；or |), an "A." or "1、" before it dropped."""
    options = []
    for part in OPTION_LINES.split(text):
        part = re.sub(r"^\s*(?:[A-Za-z]|\d{1,2})\s*[.．、)）]\s*", "", part).strip()
        if part:
            options.append(part[:100])
    return options


def _yes(text: str, options: list[str]) -> list[int]:
    """The options counting as yes, by number (1, 2) or by their text; a ValueError names the bad one."""
    chosen = []
    for part in (p for p in NUMBERS.split(text) if p):
        if part.isdigit():
            number = int(part)
        elif len(part) == 1 and part.isalpha():
            number = ord(part.upper()) - ord("A") + 1
        elif part in options:
            number = options.index(part) + 1
        else:
            raise ValueError(part)
        if not 1 <= number <= len(options):
            raise ValueError(part)
        chosen.append(number)
    return sorted(set(chosen))


def import_questions(path: Path | str, *, survey: Survey, actor, dry_run: bool = False) -> Report:
    access.ensure_office(actor)
    report = Report(kind="survey_questions", dry_run=dry_run)
    with sheet_rows(path) as sheet:
        table = find_header(sheet.rows, marker="题目", known=COLUMNS, max_rows=Policy.current().max_import_rows)
        missing = [name for name in ("版本", "序号", "题目", "题型") if name not in table.columns]
        if missing:
            raise ExcelRefused(_("没有找到“%(names)s”列。") % {"names": "”“".join(missing)})
        report.unknown_columns = table.unknown
        rows = [Row(number, values, table.columns) for number, values in table.rows]
    report.rows = len(rows)
    versions = {v.code: v for v in survey.versions.all()}
    answered = set(SurveyResponse.objects.filter(survey=survey).values_list("version__code", flat=True))
    taken = {(code, order) for code, order in SurveyQuestion.objects.filter(version__survey=survey)
             .values_list("version__code", "order")}
    system_id = survey.edition.index_system_id if survey.edition else None
    items = IndexItem.objects.filter(system_id=system_id) if system_id else IndexItem.objects.filter(
        system__is_current=True)
    items = dict(items.values_list("code", "pk"))
    bank = {(q.text, q.kind): q for q in Question.objects.all()}
    parsed, seen = [], {}
    for row in rows:
        errors = []
        code = row.text("版本").upper()
        if not code:
            errors.append(RowError(row.number, "版本", "", _("必填，不能为空")))
        elif code in answered:
            errors.append(RowError(row.number, "版本", code, _("这个版本已有答卷，不能再改题目")))
        elif code not in versions and not row.text("调查对象"):
            errors.append(RowError(row.number, "调查对象", "", _("问卷中没有 %(code)s 版，新版本要写明调查对象")
                                   % {"code": code}))
        order_text = row.text("序号")
        order = int(order_text) if order_text.isdigit() and 0 < int(order_text) < 1000 else None
        if order is None:
            errors.append(RowError(row.number, "序号", order_text, _("必须是 1 至 999 的整数")))
        elif (code, order) in taken:
            errors.append(RowError(row.number, "序号", order_text, _("%(code)s 版已有第 %(n)d 题") % {"code": code, "n": order}))
        elif (code, order) in seen:
            errors.append(RowError(row.number, "序号", order_text, _("与第%(row)d行重复") % {"row": seen[code, order]}))
        else:
            seen[code, order] = row.number
        text = row.text("题目")[:300]
        if not text:
            errors.append(RowError(row.number, "题目", "", _("必填，不能为空")))
        kind = KINDS.get(row.text("题型"))
        if kind is None:
            errors.append(RowError(row.number, "题型", row.text("题型"), _("必须是单选、多选或填空")))
        options = _options(row.text("选项"))
        if kind in (QuestionKind.SINGLE, QuestionKind.MULTIPLE) and len(options) < 2:
            errors.append(RowError(row.number, "选项", row.text("选项"), _("选择题至少要有两个选项，每行一个")))
        rate = ""
        if row.text("计入"):
            rate = RATES.get(row.text("计入"), "")
            if not rate:
                errors.append(RowError(row.number, "计入", row.text("计入"),
                                       _("必须是以下之一：%(rates)s") % {"rates": "、".join(RATES)}))
            elif kind == QuestionKind.TEXT:
                errors.append(RowError(row.number, "计入", row.text("计入"), _("填空题不能计入比率")))
        yes: list[int] = []
        if row.text("计为是的选项"):
            try:
                yes = _yes(row.text("计为是的选项"), options)
            except ValueError as exc:
                errors.append(RowError(row.number, "计为是的选项", row.text("计为是的选项"),
                                       _("“%(part)s”不是本题的选项") % {"part": exc.args[0]}))
        if rate and not yes and not errors:
            errors.append(RowError(row.number, "计为是的选项", "", _("计入比率的题目要写明哪些选项计为“是”")))
        item_id = None
        if row.text("指标编号"):
            item_id = items.get(row.text("指标编号"))
            if item_id is None:
                errors.append(RowError(row.number, "指标编号", row.text("指标编号"), _("测评体系中没有这个指标")))
        known = bank.get((text, kind))
        if known is not None and not errors and (known.options != options or known.rate != rate
                                                 or known.yes_options != yes):
            errors.append(RowError(row.number, "题目", text, _("题库中已有这道题，但选项或计入方式不同；"
                                                                "请改写题目，或按题库中的写法填写")))
        report.errors.extend(errors)
        if not errors:
            parsed.append((row, code, order, text, kind, options, rate, yes, item_id))
    if report.errors or dry_run:
        return report
    with transaction.atomic():
        for row, code, order, text, kind, options, rate, yes, item_id in parsed:
            version = versions.get(code)
            if version is None:
                version = versions[code] = SurveyVersion.objects.create(survey=survey, code=code[:10],
                                                                        group=row.text("调查对象")[:50])
            question = bank.get((text, kind))
            if question is None:
                question = bank[text, kind] = Question.objects.create(
                    text=text, kind=kind, options=options, rate=rate, yes_options=yes, index_item_id=item_id)
                report.created.append({"row": row.number, "text": text})
            SurveyQuestion.objects.create(version=version, question=question, order=order)
        AuditEvent.record(actor=actor, obj=survey, action="survey_questions_imported",
                          message=f"导入题目 {len(parsed)} 道（题库新增 {len(report.created)} 道）")
    return report
