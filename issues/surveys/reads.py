"""Questionnaire surveys, the reads: each rate with its Wilson 95 % interval by district, version, month
and source, quota progress, each question's distribution, and the survey part of the predicted score.

A rate is the share of the answers to its questions that count as yes. Everything here adds up the
tallies kept with each response (SurveyTally, OptionTally): a few hundred rows, whatever the number of
answers."""

from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from functools import cached_property

from django.db.models import Sum

from issues.models import (
    AnswerSource,
    AssessmentEdition,
    OptionTally,
    QuestionKind,
    Survey,
    SurveyQuestion,
    SurveyQuota,
    SurveyRate,
    SurveyTally,
    SurveyVersion,
    Unit,
)

Z95 = 1.959963984540054  # the normal quantile of 97.5 %
RATES = [value for value, _label in SurveyRate.choices]
RATE_LABELS = dict(SurveyRate.choices)
TALLY_FIELDS = ["responses", *(f"{rate}_{part}" for rate in RATES for part in ("yes", "n"))]


def wilson(yes: int, n: int, z: float = Z95) -> tuple[float, float] | None:
    """The Wilson score interval of yes/n (None without answers)."""
    if n <= 0:
        return None
    p = yes / n
    z2 = z * z
    centre = (p + z2 / (2 * n)) / (1 + z2 / n)
    half = z * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n)) / (1 + z2 / n)
    return max(0.0, centre - half), min(1.0, centre + half)


@dataclass
class Rate:
    rate: str
    yes: int
    n: int

    @property
    def label(self) -> str:
        return RATE_LABELS[self.rate]

    @property
    def value(self) -> float | None:
        return None if not self.n else self.yes / self.n

    @cached_property
    def interval(self) -> tuple[float, float] | None:
        return wilson(self.yes, self.n)

    def percent(self, value: float | None) -> Decimal | None:
        return None if value is None else Decimal(str(value * 100)).quantize(Decimal("0.1"), ROUND_HALF_UP)

    @property
    def shown(self) -> Decimal | None:
        return self.percent(self.value)

    @property
    def low(self) -> Decimal | None:
        return None if self.interval is None else self.percent(self.interval[0])

    @property
    def high(self) -> Decimal | None:
        return None if self.interval is None else self.percent(self.interval[1])


@dataclass
class Line:
    """One row of a results table: a district, a version, a month or a source, with its four rates."""

    key: object
    label: str
    responses: int
    rates: list[Rate]


def _line(key, label: str, sums: dict) -> Line:
    return Line(key, label, sums.get("responses") or 0,
                [Rate(rate, sums.get(f"{rate}_yes") or 0, sums.get(f"{rate}_n") or 0) for rate in RATES])


def _grouped(tallies, by: str) -> dict:
    return {row[by]: row for row in tallies.values(by).annotate(**{name: Sum(name) for name in TALLY_FIELDS})
            .order_by()}


@dataclass
class QuotaLine:
    label: str
    target: int
    answered: int

    @property
    def still_needed(self) -> int:
        return max(self.target - self.answered, 0)

    @property
    def share(self) -> Decimal:
        return (Decimal(min(self.answered, self.target)) / self.target).quantize(Decimal("0.001"))


@dataclass
class QuestionLine:
    placed: SurveyQuestion
    counts: list[tuple[int, str, int, bool]] = field(default_factory=list)  # (number, option, count, counts as yes)
    answered: int = 0


@dataclass
class Results:
    survey: Survey
    total: Line
    by_district: list[Line]
    by_version: list[Line]
    by_month: list[Line]
    by_source: list[Line]
    quotas: list[QuotaLine]
    questions: list[QuestionLine]


def results(survey: Survey, *, district_id: int | None = None, version_id: int | None = None) -> Results:
    """The results page: the survey's rates overall and by district, version, month and source (narrowed
    to a district or a version when asked), its quotas and each question's distribution."""
    tallies = SurveyTally.objects.filter(survey=survey)
    if district_id:
        tallies = tallies.filter(district_id=district_id)
    if version_id:
        tallies = tallies.filter(version_id=version_id)
    total = tallies.aggregate(**{name: Sum(name) for name in TALLY_FIELDS})
    versions = {v.pk: v for v in SurveyVersion.objects.filter(survey=survey)}
    by_district = _grouped(tallies, "district_id")
    names = dict(Unit.objects.filter(pk__in=list(by_district)).values_list("pk", "name"))
    return Results(
        survey=survey,
        total=_line(None, "", total),
        by_district=sorted((_line(pk, names[pk], row) for pk, row in by_district.items()), key=lambda line: line.label),
        by_version=[_line(pk, str(versions[pk]), row) for pk, row in sorted(_grouped(tallies, "version_id").items(),
                                                                            key=lambda kv: versions[kv[0]].code)],
        by_month=[_line(month, f"{month:%Y-%m}", row) for month, row in sorted(_grouped(tallies, "month").items())],
        by_source=[_line(source, str(AnswerSource(source).label), row)
                   for source, row in sorted(_grouped(tallies, "source").items())],
        quotas=quota_progress(survey),
        questions=distributions(survey, version_id=version_id),
    )


def quota_progress(survey: Survey) -> list[QuotaLine]:
    """Each quota with the answers counted toward it so far: a district's counts all its answers, a
    street's those that named the street."""
    quotas = list(SurveyQuota.objects.filter(survey=survey).select_related("district", "street"))
    if not quotas:
        return []
    answered: dict[tuple[int, int | None], int] = defaultdict(int)
    for district_id, street_id, n in SurveyTally.objects.filter(survey=survey).values_list(
            "district_id", "street_id").annotate(n=Sum("responses")).values_list("district_id", "street_id", "n"):
        answered[district_id, None] += n
        if street_id is not None:
            answered[district_id, street_id] += n
    lines = [QuotaLine(q.district.name if q.street is None else f"{q.district.name} · {q.street.name}", q.target,
                       answered[q.district_id, q.street_id]) for q in quotas]
    return sorted(lines, key=lambda line: (-line.still_needed, line.label))


def distributions(survey: Survey, *, version_id: int | None = None) -> list[QuestionLine]:
    """Each choice question's options with how many answers chose them (over the whole survey: the
    option counts are kept per question, not per district)."""
    placed = SurveyQuestion.objects.filter(version__survey=survey).select_related("question", "version").order_by(
        "version__code", "order")
    if version_id:
        placed = placed.filter(version_id=version_id)
    counts: dict[int, dict[int, int]] = defaultdict(dict)
    for question_id, option, n in OptionTally.objects.filter(question__version__survey=survey).values_list(
            "question_id", "option", "count"):
        counts[question_id][option] = n
    lines = []
    for p in placed:
        if p.question.kind == QuestionKind.TEXT:
            continue
        line = QuestionLine(p)
        for number, option in enumerate(p.question.options, 1):
            n = counts[p.pk].get(number, 0)
            line.counts.append((number, option, n, number in p.question.yes_options))
        line.answered = sum(n for _number, _option, n, _yes in line.counts)
        lines.append(line)
    return lines


# --- the survey part of the predicted score ----------------------------------------------------------


@dataclass
class SurveyPart:
    survey: Survey | None
    score: Decimal | None = None
    score_before: Decimal | None = None  # as it stood at the end of `before`
    responses: int = 0
    rates: list[Rate] = field(default_factory=list)


def _weighted(edition: AssessmentEdition, rates: list[Rate]) -> Decimal | None:
    weights = edition.rate_weights()
    known = [r for r in rates if r.n and weights[r.rate]]
    weight = sum((weights[r.rate] for r in known), Decimal("0"))
    if not weight:
        return None
    mean = sum((weights[r.rate] * Decimal(r.yes) / Decimal(r.n) for r in known), Decimal("0")) / weight
    return (edition.survey_weight * mean).quantize(Decimal("0.01"), ROUND_HALF_UP)


def survey_part(edition: AssessmentEdition, *, before: dt.date | None = None) -> SurveyPart:
    """weight × the edition's weighted mean of the current survey's rates (the rates with answers);
    `before`: also the score from the months up to that day (the change since last month). One query:
    the tallies summed by month (a survey's few months), added up here."""
    survey = Survey.current()
    if survey is None:
        return SurveyPart(None)
    months = _grouped(SurveyTally.objects.filter(survey=survey), "month")
    now = _line(None, "", {name: sum(row[name] or 0 for row in months.values()) for name in TALLY_FIELDS})
    part = SurveyPart(survey, _weighted(edition, now.rates), responses=now.responses, rates=now.rates)
    if before is not None:
        earlier = [row for month, row in months.items() if month <= before]
        part.score_before = _weighted(edition, _line(None, "", {
            name: sum(row[name] or 0 for row in earlier) for name in TALLY_FIELDS}).rates)
    return part
