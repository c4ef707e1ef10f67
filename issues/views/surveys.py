"""Questionnaire surveys (问卷调查): the office's surveys (versions, questions from the bank, quotas, links
with their QR codes and posters), paper entry, the results with their exports, and the public's
answering page at /s/<token>/ (no login, phone first)."""

from __future__ import annotations

import tempfile
from urllib.parse import quote

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import Sum
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from issues.core import access
from issues.core.exceptions import LedgerError
from issues.excel.common import ExcelRefused
from issues.forms import (
    AnswerForm,
    SurveyForm,
    SurveyLinkForm,
    SurveyQuestionForm,
    SurveyQuotaForm,
)
from issues.models import (
    AnswerSource,
    SurveyLink,
    SurveyQuestion,
    SurveyTally,
    SurveyVersion,
    Unit,
    UnitKind,
)
from issues.models import Survey as SurveyModel
from issues.surveys import documents, exports, questions_import, reads
from issues.surveys import services as surveys
from issues.views.decorators import city_wide_required, office_required
from issues.views.public import client_ip, qr_image

ANSWERED_COOKIE = "survey-answered-{pk}"
COOKIE_SALT = "survey-answered"
COOKIE_AGE = 366 * 24 * 3600


def _int(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


# --- the office's pages ---------------------------------------------------------------------------------


@city_wide_required
def survey_list(request):
    """Every survey with its period and answers so far; the office creates one here."""
    if request.method == "POST" and not access.is_office(request.user):
        raise PermissionDenied(_("只有创文办工作人员可以新建问卷。"))
    form = SurveyForm(request.POST if request.method == "POST" else None) if access.is_office(request.user) else None
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                survey = surveys.create_survey(actor=request.user, name=data["name"], starts_on=data["starts_on"],
                                               ends_on=data["ends_on"], versions=data["versions"],
                                               edition=data["edition"], note=data["note"], current=data["current"])
            except LedgerError as exc:
                form.add_error(exc.field if exc.field in form.fields else None, exc.message)
            else:
                messages.success(request, _("问卷已创建：请为各版本选题、设置配额和答卷链接。"))
                return redirect("survey_detail", pk=survey.pk)
    answered = dict(SurveyTally.objects.values_list("survey_id").annotate(n=Sum("responses")).values_list(
        "survey_id", "n").order_by())
    rows = [(survey, answered.get(survey.pk, 0)) for survey in SurveyModel.objects.prefetch_related("versions")]
    return render(request, "issues/surveys.html", {"rows": rows, "form": form},
                  status=400 if form is not None and form.errors else 200)


def _survey(pk) -> SurveyModel:
    return get_object_or_404(SurveyModel.objects.select_related("edition"), pk=pk)


@office_required
@require_safe
def survey_detail(request, pk):
    """A survey's versions and questions, quotas and links: the office sets it up here."""
    survey = _survey(pk)
    versions = list(survey.versions.prefetch_related("questions__question"))
    answered = set(survey.responses.values_list("version_id", flat=True).distinct().order_by())
    links = list(survey.links.select_related("version", "district"))
    for link in links:
        link.url = request.build_absolute_uri(reverse("survey_answer", args=[link.token]))
        link.qr = qr_image(link.url)
    return render(request, "issues/survey.html", {
        "survey": survey, "versions": versions, "answered": answered, "links": links,
        "quotas": reads.quota_progress(survey),
        "question_form": SurveyQuestionForm(survey=survey), "quota_form": SurveyQuotaForm(),
        "link_form": SurveyLinkForm(survey=survey),
    })


def _back(request, survey, act, done, *, form=None, invalid: str = ""):
    """A setup step posted from the survey's page: the form checked, the service asked, the outcome said
    in a message, and back to the page."""
    if form is not None and not form.is_valid():
        messages.error(request, invalid)
        return redirect("survey_detail", pk=survey.pk)
    try:
        result = act(form.cleaned_data if form is not None else None)
    except LedgerError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, done(result) if callable(done) else done)
    return redirect("survey_detail", pk=survey.pk)


@office_required
@require_POST
def survey_add_question(request, pk):
    survey = _survey(pk)
    return _back(request, survey, lambda data: surveys.add_question(actor=request.user, **data),
                 lambda placed: _("已加入 {v} 版第 {n} 题。").format(v=placed.version.code, n=placed.order),
                 form=SurveyQuestionForm(request.POST, survey=survey), invalid=_("请选择版本和题目。"))


@office_required
@require_POST
def survey_remove_question(request, pk, question_pk):
    survey = _survey(pk)
    placed = get_object_or_404(SurveyQuestion.objects.select_related("version", "question"), pk=question_pk,
                               version__survey=survey)
    return _back(request, survey, lambda _data: surveys.remove_question(actor=request.user, placed=placed),
                 _("已删去这道题。"))


@office_required
@require_POST
def survey_import_questions(request, pk):
    """Questions from a workbook (columns in README's Excel contract), all or nothing."""
    survey = _survey(pk)
    upload = request.FILES.get("file")
    if upload is None:
        messages.error(request, _("请选择要导入的 Excel 文件。"))
        return redirect("survey_detail", pk=survey.pk)
    with tempfile.NamedTemporaryFile(suffix=".xlsx") as tmp:
        for chunk in upload.chunks():
            tmp.write(chunk)
        tmp.flush()
        try:
            report = questions_import.import_questions(tmp.name, survey=survey, actor=request.user)
        except ExcelRefused as exc:
            messages.error(request, str(exc))
            return redirect("survey_detail", pk=survey.pk)
    if report.errors:
        for error in report.errors[:20]:
            messages.error(request, str(error))
        messages.error(request, _("文件有 {n} 处错误，没有导入任何题目。").format(n=len(report.errors)))
    else:
        messages.success(request, _("已导入 {n} 道题（题库新增 {m} 道）。").format(
            n=report.rows, m=len(report.created)))
    return redirect("survey_detail", pk=survey.pk)


@office_required
@require_POST
def survey_quota(request, pk):
    survey = _survey(pk)
    return _back(request, survey, lambda data: surveys.set_quota(actor=request.user, survey=survey, **data),
                 _("样本配额已保存。"), form=SurveyQuotaForm(request.POST), invalid=_("请选择区县并填写样本量。"))


@office_required
@require_POST
def survey_link(request, pk):
    survey = _survey(pk)
    return _back(request, survey, lambda data: surveys.create_link(actor=request.user, survey=survey, **data),
                 _("答卷链接已生成，可下载海报打印张贴。"), form=SurveyLinkForm(request.POST, survey=survey),
                 invalid=_("请填写链接名称。"))


@office_required
@require_POST
def survey_make_current(request, pk):
    survey = surveys.make_current(actor=request.user, survey=_survey(pk))
    messages.success(request, _("“{name}”已设为当前问卷，概况页的问卷调查得分读它的结果。").format(name=survey.name))
    return redirect("survey_detail", pk=survey.pk)


@office_required
@require_safe
def survey_poster(request, pk):
    """A link's poster sheet (Word): the survey's name, the QR code and the address, to print and put up."""
    link = get_object_or_404(SurveyLink.objects.select_related("survey", "version"), pk=pk)
    url = request.build_absolute_uri(reverse("survey_answer", args=[link.token]))
    out = tempfile.TemporaryFile()
    documents.poster(link, url, out)
    out.seek(0)
    name = f"{link.survey.name}-{link.label}.docx"
    response = FileResponse(out, content_type="application/vnd.openxmlformats-officedocument.wordprocessingml.document")
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(name)}"
    return response


@office_required
def survey_paper(request, pk):
    """Paper answers (入户) typed in one after another: the form comes back empty after each, with the
    version and district kept, so a stack of questionnaires is entered without leaving the keyboard."""
    survey = _survey(pk)
    versions = list(survey.versions.all())
    version = next((v for v in versions if v.pk == _int(request.GET.get("version"))), versions[0] if versions else None)
    if version is None:
        raise Http404(_("这份问卷还没有版本。"))
    questions = list(version.questions.select_related("question"))
    district = Unit.objects.filter(pk=_int(request.GET.get("district")), kind=UnitKind.DISTRICT).first()
    form = AnswerForm(request.POST if request.method == "POST" else None, questions=questions,
                      initial={"district": district})
    if request.method == "POST" and form.is_valid():
        try:
            response = surveys.submit_response(
                survey=survey, version=version, answers=form.answers(),
                respondent=surveys.Respondent(district=form.cleaned_data["district"], street=form.street(),
                                              source=AnswerSource.PAPER, entered_by=request.user))
        except LedgerError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            entered = survey.responses.filter(source=AnswerSource.PAPER, entered_by=request.user).count()
            messages.success(request, _("已录入第 {n} 份（编号 {pk}），请录入下一份。").format(n=entered, pk=response.pk))
            return redirect(f"{reverse('survey_paper', args=[survey.pk])}?version={version.pk}"
                            f"&district={form.cleaned_data['district'].pk}")
    return render(request, "issues/survey_paper.html", {
        "survey": survey, "versions": versions, "version": version, "form": form,
    }, status=400 if form.errors else 200)


@city_wide_required
@require_safe
def survey_results(request, pk):
    survey = _survey(pk)
    district_id, version_id = _int(request.GET.get("district")), _int(request.GET.get("version"))
    return render(request, "issues/survey_results.html", {
        "survey": survey, "results": reads.results(survey, district_id=district_id, version_id=version_id),
        "districts": Unit.objects.filter(kind=UnitKind.DISTRICT).order_by("name").values_list("pk", "name"),
        "versions": survey.versions.all(), "district_id": district_id, "version_id": version_id,
        "rate_labels": reads.RATE_LABELS.values(),
    })


def _workbook(write, name: str):
    out = tempfile.TemporaryFile()
    write(out)
    out.seek(0)
    response = FileResponse(out, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(name)}"
    return response


@city_wide_required
@require_safe
def survey_rates_export(request, pk):
    survey = _survey(pk)
    return _workbook(lambda out: exports.write_rates(reads.results(survey), out), f"{survey.name}-比率.xlsx")


@office_required
@require_safe
def survey_answers_export(request, pk):
    """The raw answers, one sheet per version, no personal data (there is none to leave out)."""
    survey = _survey(pk)
    return _workbook(lambda out: exports.write_answers(survey, out), f"{survey.name}-答卷.xlsx")


# --- the public's page ------------------------------------------------------------------------------------


def _link(token: str) -> SurveyLink:
    link = SurveyLink.objects.select_related("survey", "version", "district").filter(token=token).first()
    if link is None:
        raise Http404(_("没有这个问卷链接。"))
    return link


def _closed(request, message: str, status: int = 403):
    return render(request, "public/survey_closed.html", {"message": message}, status=status)


def _answered_here(request, survey: SurveyModel) -> bool:
    return request.get_signed_cookie(ANSWERED_COOKIE.format(pk=survey.pk), default=None, salt=COOKIE_SALT) == "1"


def survey_answer(request, token):
    """/s/<token>/: pick the population group (unless the link fixes it), then answer on one page."""
    link = _link(token)
    survey = link.survey
    today = timezone.localdate()
    if not link.is_active:
        return _closed(request, _("这个问卷链接已停用。"), 410)
    if not survey.is_open(today):
        return _closed(request, _("这份问卷的作答时间是 {a} 至 {b}。").format(a=survey.starts_on, b=survey.ends_on))
    if link.single_use and link.responses.exists():
        return _closed(request, _("这个链接已经提交过答卷，感谢您的参与！"))
    if _answered_here(request, survey):
        return _closed(request, _("您已经提交过这份问卷，感谢您的参与！"))
    version = link.version
    if version is None:
        version = SurveyVersion.objects.filter(survey=survey, code=request.GET.get("v", "").upper()).first()
        if version is None:
            return render(request, "public/survey_pick.html", {"survey": survey, "link": link,
                                                                "versions": survey.versions.all()})
    questions = list(version.questions.select_related("question"))
    address = client_ip(request)
    abuse = surveys.answers_from(address, timezone.now()) >= settings.SURVEY_CAPTCHA_AFTER
    form = AnswerForm(request.POST if request.method == "POST" else None, questions=questions,
                      district=link.district, with_captcha=abuse)
    if request.method == "POST" and form.is_valid():
        try:
            surveys.submit_response(
                survey=survey, version=version, answers=form.answers(),
                respondent=surveys.Respondent(district=link.district or form.cleaned_data["district"],
                                              street=form.street(), link=link, address=address))
        except surveys.TooManyAnswers as exc:
            return _closed(request, exc.message, 429)
        except LedgerError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            response = redirect("survey_thanks", token=link.token)
            response.set_signed_cookie(ANSWERED_COOKIE.format(pk=survey.pk), "1", salt=COOKIE_SALT,
                                       max_age=COOKIE_AGE, httponly=True, samesite="Lax",
                                       secure=settings.SESSION_COOKIE_SECURE)
            return response
    return render(request, "public/survey_form.html", {
        "survey": survey, "link": link, "version": version, "form": form, "total": len(questions),
    }, status=400 if form.errors else 200)


@require_safe
def survey_thanks(request, token):
    link = _link(token)
    return render(request, "public/survey_thanks.html", {"survey": link.survey})
