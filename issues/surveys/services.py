"""Questionnaire surveys, the writes: a survey with its versions, questions, quotas and links, and one
respondent's answers, online or entered from paper (DOMAIN.md, "Questionnaire surveys").

A response is written with its answers and counted into the tallies (SurveyTally, OptionTally) in one
transaction, so the results page reads the counts and never every answer. Free text keeps no digit run
that could be a phone or ID number: the survey asks nobody who they are.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import re
import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from issues.core import access
from issues.core.exceptions import LedgerError
from issues.models import (
    AnswerSource,
    AssessmentEdition,
    AuditEvent,
    OptionTally,
    Question,
    QuestionKind,
    Survey,
    SurveyAnswer,
    SurveyLink,
    SurveyQuestion,
    SurveyQuota,
    SurveyResponse,
    SurveyTally,
    SurveyVersion,
    Unit,
    UnitKind,
)

# seven or more digits, spaces or dashes between them allowed: a phone, an ID or a plate number
NUMBER_LIKE = re.compile(r"\d(?:[\s\-]*\d){6,}[Xx]?")
TEXT_LIMIT = 500


def scrub(text: str) -> str:
    """Free text as it is kept: numbers that could identify someone replaced, at most 500 characters."""
    return NUMBER_LIKE.sub("＊＊＊", (text or "").strip())[:TEXT_LIMIT]


def address_key(address: str | None) -> str:
    """A keyed hash of a network address: equal for the same address, useless to find the address."""
    if not address:
        return ""
    return hmac.new(settings.SECRET_KEY.encode(), address.encode(), hashlib.sha256).hexdigest()[:16]


class TooManyAnswers(LedgerError):
    """Too many answers from one network address within the hour (the page answers 429)."""


def answers_from(address: str | None, now: dt.datetime) -> int:
    """Answers given online from this network address in the hour before `now`."""
    key = address_key(address)
    if not key:
        return 0
    return SurveyResponse.objects.filter(address_key=key, answered_at__gt=now - dt.timedelta(hours=1)).count()


# --- the survey -------------------------------------------------------------------------------------


@transaction.atomic
def create_survey(*, actor, name: str, starts_on: dt.date, ends_on: dt.date,
                  versions: Iterable[tuple[str, str]], edition: AssessmentEdition | None = None,
                  note: str = "", current: bool = False) -> Survey:
    """A survey with its versions, (code, population group) pairs such as ("A", "居民")."""
    access.ensure_office(actor)
    name = (name or "").strip()
    if not name:
        raise LedgerError(_("问卷名称不能为空。"), field="name")
    if Survey.objects.filter(name=name).exists():
        raise LedgerError(_("已有名为“{name}”的问卷。").format(name=name), field="name")
    if ends_on < starts_on:
        raise LedgerError(_("结束日期不能早于开始日期。"), field="ends_on")
    versions = [(code.strip().upper(), group.strip()) for code, group in versions if code.strip()]
    if not versions:
        raise LedgerError(_("问卷至少要有一个版本。"), field="versions")
    codes = [code for code, _group in versions]
    if len(set(codes)) != len(codes):
        raise LedgerError(_("版本代号不能重复。"), field="versions")
    if current:
        Survey.objects.filter(is_current=True).update(is_current=False)
    survey = Survey.objects.create(name=name[:100], starts_on=starts_on, ends_on=ends_on, edition=edition,
                                   note=note, is_current=current, created_by=actor)
    SurveyVersion.objects.bulk_create(
        [SurveyVersion(survey=survey, code=code[:10], group=(group or code)[:50]) for code, group in versions])
    AuditEvent.record(actor=actor, obj=survey, action="survey_created",
                      message=f"问卷：{name}，{starts_on.isoformat()} 至 {ends_on.isoformat()}，版本 {'、'.join(codes)}")
    return survey


@transaction.atomic
def make_current(*, actor, survey: Survey) -> Survey:
    access.ensure_office(actor)
    Survey.objects.filter(is_current=True).exclude(pk=survey.pk).update(is_current=False)
    survey.is_current = True
    survey.save(update_fields=["is_current"])
    AuditEvent.record(actor=actor, obj=survey, action="survey_current", message=f"设为当前问卷：{survey.name}")
    return survey


def check_question(question: Question) -> None:
    """What a question must be to be asked: options for a choice, yes-options among them for a rate."""
    if question.kind != QuestionKind.TEXT and len(question.options) < 2:
        raise LedgerError(_("选择题至少要有两个选项。"), field="options")
    if question.kind == QuestionKind.TEXT and question.rate:
        raise LedgerError(_("填空题不能计入比率。"), field="rate")
    if question.rate and not question.yes_options:
        raise LedgerError(_("计入比率的题目要写明哪些选项计为“是”。"), field="yes_options")
    bad = [n for n in question.yes_options if not (isinstance(n, int) and 1 <= n <= len(question.options))]
    if bad:
        raise LedgerError(_("计为“是”的选项 {n} 不在选项范围（1 至 {m}）内。").format(
            n="、".join(map(str, bad)), m=len(question.options)), field="yes_options")


@transaction.atomic
def add_question(*, actor, version: SurveyVersion, question: Question, order: int | None = None) -> SurveyQuestion:
    """Place a bank question in a version (at the end unless `order` is given). Not once answers exist:
    the rates would then mix answers to different questionnaires."""
    access.ensure_office(actor)
    check_question(question)
    if SurveyResponse.objects.filter(version=version).exists():
        raise LedgerError(_("这个版本已有答卷，不能再改题目。"), field="question")
    if version.questions.filter(question=question).exists():
        raise LedgerError(_("这道题已在 {v} 版中。").format(v=version.code), field="question")
    if order is None:
        order = (version.questions.order_by("-order").values_list("order", flat=True).first() or 0) + 1
    elif version.questions.filter(order=order).exists():
        raise LedgerError(_("{v} 版已有第 {n} 题。").format(v=version.code, n=order), field="order")
    placed = SurveyQuestion.objects.create(version=version, question=question, order=order)
    AuditEvent.record(actor=actor, obj=version.survey, action="survey_question",
                      message=f"{version.code} 版第 {order} 题：{question.text}")
    return placed


@transaction.atomic
def remove_question(*, actor, placed: SurveyQuestion) -> None:
    access.ensure_office(actor)
    if SurveyResponse.objects.filter(version=placed.version_id).exists():
        raise LedgerError(_("这个版本已有答卷，不能再改题目。"))
    AuditEvent.record(actor=actor, obj=placed.version.survey, action="survey_question_removed",
                      message=f"{placed.version.code} 版删去第 {placed.order} 题：{placed.question.text}")
    placed.delete()


@transaction.atomic
def set_quota(*, actor, survey: Survey, district: Unit, target: int, street: Unit | None = None) -> SurveyQuota | None:
    """A district's (or a street's) quota; a target of 0 removes it."""
    access.ensure_office(actor)
    if district.kind != UnitKind.DISTRICT:
        raise LedgerError(_("“{name}”不是区县。").format(name=district.name), field="district")
    if street is not None and street.parent_id != district.pk:
        raise LedgerError(_("“{s}”不在“{d}”下。").format(s=street.name, d=district.name), field="street")
    if target < 0:
        raise LedgerError(_("样本量不能为负数。"), field="target")
    quota = SurveyQuota.objects.filter(survey=survey, district=district, street=street).first()
    if target == 0:
        if quota is not None:
            quota.delete()
        return None
    if quota is None:
        quota = SurveyQuota.objects.create(survey=survey, district=district, street=street, target=target)
    else:
        quota.target = target
        quota.save(update_fields=["target"])
    AuditEvent.record(actor=actor, obj=survey, action="survey_quota",
                      message=f"样本配额：{(street or district).name} {target} 份")
    return quota


@transaction.atomic
def create_link(*, actor, survey: Survey, label: str, version: SurveyVersion | None = None,
                district: Unit | None = None, single_use: bool = False) -> SurveyLink:
    access.ensure_office(actor)
    label = (label or "").strip()
    if not label:
        raise LedgerError(_("请给链接起个名称，如“海报·人民公园”。"), field="label")
    if version is not None and version.survey_id != survey.pk:
        raise LedgerError(_("版本不属于这份问卷。"), field="version")
    if district is not None and district.kind != UnitKind.DISTRICT:
        raise LedgerError(_("“{name}”不是区县。").format(name=district.name), field="district")
    link = SurveyLink.objects.create(survey=survey, token=secrets.token_urlsafe(12), label=label[:100],
                                     version=version, district=district, single_use=single_use, created_by=actor)
    AuditEvent.record(actor=actor, obj=survey, action="survey_link", message=f"答卷链接：{label}")
    return link


# --- answering ----------------------------------------------------------------------------------------


@dataclass
class Respondent:
    """Where an answer comes from: the district (and street) it counts for, and how it came."""

    district: Unit
    street: Unit | None = None
    source: str = AnswerSource.ONLINE
    link: SurveyLink | None = None
    entered_by: object | None = None
    address: str | None = None


def check_place(district: Unit | None, street: Unit | None) -> None:
    if district is None or district.kind != UnitKind.DISTRICT or not district.is_active:
        raise LedgerError(_("请选择所在区县。"), field="district")
    if street is not None and street.parent_id != district.pk:
        raise LedgerError(_("所选街道不在“{d}”。").format(d=district.name), field="street")


def clean_answers(version: SurveyVersion, given: Mapping[int, object],
                  questions: list[SurveyQuestion] | None = None) -> list[tuple[SurveyQuestion, list[int], str]]:
    """Each question of the version with its answer, checked: a choice question needs an answer among its
    options (one for a single choice), a text question may stay empty. Refused with the question's number."""
    questions = questions if questions is not None else list(version.questions.select_related("question"))
    out = []
    for placed in questions:
        question, value = placed.question, given.get(placed.pk)
        field = f"q{placed.pk}"
        if question.kind == QuestionKind.TEXT:
            out.append((placed, [], scrub(str(value or ""))))
            continue
        values = value if isinstance(value, list | tuple) else ([] if value in (None, "") else [value])
        try:
            chosen = sorted({int(v) for v in values})
        except (TypeError, ValueError):
            raise LedgerError(_("第 {n} 题的答案无效。").format(n=placed.order), field=field) from None
        if not chosen:
            raise LedgerError(_("第 {n} 题还没有作答。").format(n=placed.order), field=field)
        if any(not 1 <= c <= len(question.options) for c in chosen):
            raise LedgerError(_("第 {n} 题的答案不在选项中。").format(n=placed.order), field=field)
        if question.kind == QuestionKind.SINGLE and len(chosen) > 1:
            raise LedgerError(_("第 {n} 题只能选一项。").format(n=placed.order), field=field)
        out.append((placed, chosen, ""))
    return out


def counts_yes(question: Question, chosen: list[int]) -> bool:
    """An answer counts as yes for its rate when it chose any of the yes-options."""
    return bool(set(chosen) & set(question.yes_options))


@transaction.atomic
def submit_response(*, survey: Survey, version: SurveyVersion, respondent: Respondent,
                    answers: Mapping[int, object], now: dt.datetime | None = None) -> SurveyResponse:
    """One respondent's answers, counted into the tallies. `answers`: SurveyQuestion id → the option
    numbers chosen (from 1) or the text."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    if version.survey_id != survey.pk:
        raise LedgerError(_("版本不属于这份问卷。"), field="version")
    if respondent.source == AnswerSource.ONLINE and not survey.is_open(today):
        raise LedgerError(_("这份问卷的作答时间是 {a} 至 {b}。").format(a=survey.starts_on, b=survey.ends_on))
    if respondent.source == AnswerSource.PAPER:
        access.ensure_office(respondent.entered_by)
    check_place(respondent.district, respondent.street)
    link = respondent.link
    if link is not None and (not link.is_active or link.survey_id != survey.pk):
        raise LedgerError(_("这个链接已停用。"))
    if respondent.source == AnswerSource.ONLINE and answers_from(respondent.address, now) >= settings.SURVEY_ANSWERS_PER_HOUR:
        raise TooManyAnswers(_("这个网络一小时内提交的答卷太多了，请稍后再试。"))
    checked = clean_answers(version, answers)
    if not checked:
        raise LedgerError(_("这个版本还没有题目。"))
    try:  # a single-use link's one-to-one column refuses its second response, two posts at once included
        with transaction.atomic():
            response = SurveyResponse.objects.create(
                survey=survey, version=version, district=respondent.district, street=respondent.street,
                source=respondent.source, link=link, used_link=link if link is not None and link.single_use else None,
                entered_by=respondent.entered_by if respondent.source == AnswerSource.PAPER else None,
                answered_at=now, address_key=address_key(respondent.address))
    except IntegrityError:
        raise LedgerError(_("这个链接已经提交过答卷，每个链接只能提交一次。")) from None
    SurveyAnswer.objects.bulk_create([SurveyAnswer(response=response, question=placed, choices=chosen, text=text)
                                      for placed, chosen, text in checked])
    _count(response, checked)
    if respondent.source == AnswerSource.PAPER:
        AuditEvent.record(actor=respondent.entered_by, obj=survey, action="survey_paper",
                          message=f"录入纸质答卷 #{response.pk}（{version.code} 版，{respondent.district.name}）")
    return response


def _count(response: SurveyResponse, checked) -> None:
    """Add a response to its tally row and its options' counts (rows created on first use)."""
    increments = {"responses": 1}
    for placed, chosen, _text in checked:
        rate = placed.question.rate
        if rate:
            increments[f"{rate}_n"] = increments.get(f"{rate}_n", 0) + 1
            if counts_yes(placed.question, chosen):
                increments[f"{rate}_yes"] = increments.get(f"{rate}_yes", 0) + 1
    key = {"survey_id": response.survey_id, "version_id": response.version_id, "district_id": response.district_id,
           "street_id": response.street_id, "month": timezone.localdate(response.answered_at).replace(day=1),
           "source": response.source}
    _add(SurveyTally, key, increments)
    for placed, chosen, _text in checked:
        for option in chosen:
            _add(OptionTally, {"question_id": placed.pk, "option": option}, {"count": 1})


def _add(model, key: dict, increments: dict) -> None:
    """UPDATE the row by F(); the first answer of its kind creates it (another transaction creating it
    at the same moment makes the insert fail, and the update then finds it)."""
    updates = {name: F(name) + n for name, n in increments.items()}
    if model.objects.filter(**key).update(**updates):
        return
    try:
        with transaction.atomic():
            model.objects.create(**key, **increments)
    except IntegrityError:
        model.objects.filter(**key).update(**updates)

