"""A survey's workbooks: the rates (overall and by district, version, month and source, each with its
95 % interval and the number of answers, then the quotas) and the raw answers, one sheet per version and
one row per response. Neither holds a name, a phone number or an address: the answers have none."""

from __future__ import annotations

from itertools import groupby

from django.utils.timezone import localtime

from issues.excel.ledger_export import _Sheet
from issues.models import AnswerSource, QuestionKind, Survey, SurveyAnswer, SurveyResponse, Unit
from issues.surveys.reads import RATE_LABELS, RATES, Line, Results


def _percent(value) -> float | None:
    return None if value is None else float(value)


def write_rates(results: Results, out) -> None:
    from openpyxl import Workbook

    headers = ("", "答卷数", *(f"{RATE_LABELS[r]}{part}" for r in RATES
                               for part in ("（%）", "95%下限", "95%上限", "答题数")))
    widths = (22, 8, *(10 for _r in RATES for _p in range(4)))
    workbook = Workbook(write_only=True)

    def table(title: str, lines: list[Line]) -> None:
        sheet = _Sheet(workbook, title, (title if title != "总体" else "", *headers[1:]), widths)
        for line in lines:
            sheet.append([line.label or results.survey.name, line.responses,
                          *(v for rate in line.rates
                            for v in (_percent(rate.shown), _percent(rate.low), _percent(rate.high), rate.n))])
        sheet.close()

    table("总体", [results.total])
    table("按区县", results.by_district)
    table("按版本", results.by_version)
    table("按月份", results.by_month)
    table("按来源", results.by_source)
    quotas = _Sheet(workbook, "样本配额", ("区县/街道", "样本量", "已答", "还需"), (28, 10, 10, 10))
    for line in results.quotas:
        quotas.append([line.label, line.target, line.answered, line.still_needed])
    quotas.close()
    workbook.save(out)


def write_answers(survey: Survey, out) -> int:
    """Every response of `survey`, read in order as two streams (responses, answers) merged by id, so
    memory stays flat whatever their number; returns the number of rows written."""
    from openpyxl import Workbook

    names = dict(Unit.objects.values_list("pk", "name"))
    sources = dict(AnswerSource.choices)
    workbook = Workbook(write_only=True)
    written = 0
    for version in survey.versions.all():
        placed = list(version.questions.select_related("question"))
        column = {p.pk: n for n, p in enumerate(placed)}
        options = {p.pk: p.question.options if p.question.kind != QuestionKind.TEXT else None for p in placed}
        headers = ("答卷编号", "区县", "街道", "来源", "答卷时间", *(f"{p.order}. {p.question.text}" for p in placed))
        sheet = _Sheet(workbook, f"{version.code} {version.group}"[:31], headers,
                       (10, 12, 14, 10, 17, *(18 for _p in placed)))
        answers = groupby(
            SurveyAnswer.objects.filter(response__version=version).order_by("response_id", "question_id")
            .values_list("response_id", "question_id", "choices", "text").iterator(chunk_size=5000),
            key=lambda row: row[0])
        pending = next(answers, None)
        for pk, district, street, source, at in SurveyResponse.objects.filter(version=version).order_by("pk") \
                .values_list("pk", "district_id", "street_id", "source", "answered_at").iterator(chunk_size=5000):
            cells = [None] * len(placed)
            while pending is not None and pending[0] < pk:  # answers of a response deleted meanwhile
                pending = next(answers, None)
            if pending is not None and pending[0] == pk:
                for _response, question_id, choices, text in pending[1]:
                    shown = options[question_id]
                    cells[column[question_id]] = text if shown is None else "、".join(shown[c - 1] for c in choices)
                pending = next(answers, None)
            sheet.append([pk, names.get(district, ""), names.get(street, "") if street else "", str(sources[source]),
                          localtime(at).strftime("%Y-%m-%d %H:%M"), *cells])
            written += 1
        sheet.close()
    workbook.save(out)
    return written
