"""A survey in the synthetic city: four versions of ten questions and 100,000 answers (scale 1) over six
months in every district, with their tallies as the answering would have kept them; the results page,
and the raw answers' export beside a bare openpyxl write of the same rows."""

from __future__ import annotations

import datetime as dt
import random
import statistics
import tempfile
import time
from collections import Counter
from pathlib import Path

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone

from bench.pages import figures, logged_in, timed
from issues.models import (
    AnswerSource,
    OptionTally,
    Question,
    QuestionKind,
    Survey,
    SurveyAnswer,
    SurveyQuestion,
    SurveyRate,
    SurveyResponse,
    SurveyTally,
    SurveyVersion,
    Unit,
    UnitKind,
)
from issues.surveys import exports

BATCH = 5000
GROUPS = [("A", "居民"), ("B", "学生"), ("C", "商户"), ("D", "外来人员")]
RATES = [value for value, _label in SurveyRate.choices]


@transaction.atomic
def build_survey(*, today: dt.date, answers: int, seed: int = 26) -> dict:
    """Add the survey to a built city (or a reused one without it)."""
    if Survey.objects.filter(name="基准测试问卷").exists():
        return {}
    rnd = random.Random(seed)
    office = User.objects.get(username="bench-office")
    survey = Survey.objects.create(name="基准测试问卷", starts_on=today - dt.timedelta(days=180), ends_on=today,
                                   is_current=True, created_by=office)
    bank = [Question.objects.create(text=f"基准测试题目{n + 1}", options=["是", "比较是", "否"],
                                    kind=QuestionKind.MULTIPLE if n % 4 == 2 else QuestionKind.SINGLE,
                                    rate=RATES[n % 4], yes_options=[1, 2]) for n in range(9)]
    bank.append(Question.objects.create(text="基准测试建议", kind=QuestionKind.TEXT))
    versions, placed = [], {}
    for code, group in GROUPS:
        version = SurveyVersion.objects.create(survey=survey, code=code, group=group)
        versions.append(version)
        placed[version.pk] = SurveyQuestion.objects.bulk_create(
            [SurveyQuestion(version=version, question=q, order=n) for n, q in enumerate(bank, 1)])
    districts = list(Unit.objects.filter(kind=UnitKind.DISTRICT).values_list("pk", flat=True))
    streets: dict[int, list[int]] = {}
    for pk, parent in Unit.objects.filter(parent_id__in=districts).values_list("pk", "parent_id"):
        streets.setdefault(parent, []).append(pk)
    tallies: Counter = Counter()
    options: Counter = Counter()
    now = timezone.now()
    made = 0
    while made < answers:
        size = min(BATCH, answers - made)
        rows = []
        for _n in range(size):
            version = rnd.choice(versions)
            district = rnd.choice(districts)
            street = rnd.choice(streets[district]) if streets.get(district) and rnd.random() < 0.5 else None
            at = now - dt.timedelta(minutes=rnd.randrange(180 * 24 * 60))
            source = AnswerSource.ONLINE if rnd.random() < 0.8 else AnswerSource.PAPER
            rows.append(SurveyResponse(survey=survey, version=version, district_id=district, street_id=street,
                                       source=source, answered_at=at,
                                       entered_by=office if source == AnswerSource.PAPER else None))
        SurveyResponse.objects.bulk_create(rows, batch_size=BATCH)
        answer_rows = []
        for response in rows:
            key = (response.version_id, response.district_id, response.street_id,
                   timezone.localdate(response.answered_at).replace(day=1), response.source)
            tallies[key + ("responses",)] += 1
            for sq in placed[response.version_id]:
                question = sq.question
                if question.kind == QuestionKind.TEXT:
                    answer_rows.append(SurveyAnswer(response=response, question=sq, text="多建公共厕所"
                                                    if rnd.random() < 0.3 else ""))
                    continue
                chosen = ([rnd.choice((1, 1, 2, 3))] if question.kind == QuestionKind.SINGLE
                          else sorted(rnd.sample((1, 2, 3), rnd.randint(1, 2))))
                answer_rows.append(SurveyAnswer(response=response, question=sq, choices=chosen))
                tallies[key + (f"{question.rate}_n",)] += 1
                if set(chosen) & {1, 2}:
                    tallies[key + (f"{question.rate}_yes",)] += 1
                for option in chosen:
                    options[sq.pk, option] += 1
        SurveyAnswer.objects.bulk_create(answer_rows, batch_size=BATCH)
        made += size
    grouped: dict[tuple, dict] = {}
    for (*key, name), n in tallies.items():
        grouped.setdefault(tuple(key), {})[name] = n
    SurveyTally.objects.bulk_create([
        SurveyTally(survey=survey, version_id=v, district_id=d, street_id=s, month=m, source=src, **counts)
        for (v, d, s, m, src), counts in grouped.items()], batch_size=BATCH)
    OptionTally.objects.bulk_create([OptionTally(question_id=q, option=o, count=n) for (q, o), n in options.items()],
                                    batch_size=BATCH)
    return {"survey_answers": answers, "survey_tallies": len(grouped)}


def measure_surveys(runs: int, export_runs: int = 3) -> dict:
    survey = Survey.objects.get(name="基准测试问卷")
    leader = logged_in("bench-leader")
    results = figures(*timed(lambda: leader.get(f"/surveys/{survey.pk}/results/"), runs))
    by_district = figures(*timed(lambda: leader.get(
        f"/surveys/{survey.pk}/results/?district={Unit.objects.filter(kind=UnitKind.DISTRICT).first().pk}"), runs))
    workdir = Path(tempfile.mkdtemp(prefix="bench-survey-"))
    # the bare loop writes the same cells, read beforehand (what the export adds is reading them)
    sheets = []
    for version in survey.versions.all():
        rows: dict[int, list] = {}
        placed = {p.pk: n for n, p in enumerate(version.questions.order_by("order"))}
        for pk, district, street, source, at in SurveyResponse.objects.filter(version=version).order_by("pk") \
                .values_list("pk", "district_id", "street_id", "source", "answered_at"):
            rows[pk] = [pk, district, street or "", source, at.strftime("%Y-%m-%d %H:%M"), *([None] * len(placed))]
        for response_id, question_id, choices, text in SurveyAnswer.objects.filter(
                response__version=version).values_list("response_id", "question_id", "choices", "text"):
            rows[response_id][5 + placed[question_id]] = text or "、".join(map(str, choices))
        sheets.append((f"{version.code} {version.group}", list(rows.values())))

    def bare():
        from openpyxl import Workbook

        workbook = Workbook(write_only=True)
        for title, rows in sheets:
            sheet = workbook.create_sheet(title)
            for row in rows:
                sheet.append(row)
        workbook.save(workdir / "bare.xlsx")

    ours, theirs, written = [], [], 0
    for _ in range(export_runs):
        t0 = time.perf_counter()
        with open(workdir / "ours.xlsx", "wb") as out:
            written = exports.write_answers(survey, out)
        ours.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        bare()
        theirs.append(time.perf_counter() - t0)
    return {"results": results, "results_by_district": by_district, "export": {
        "rows": written, "export_s": statistics.median(ours), "bare_s": statistics.median(theirs),
        "ratio": statistics.median(ours) / statistics.median(theirs)}}
