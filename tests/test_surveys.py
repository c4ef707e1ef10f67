"""Questionnaire surveys (问卷调查): rates with their Wilson intervals against hand-computed values, quotas,
one answer per invitation, paper entry, no personal data kept, and the dashboard's survey part."""

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import PermissionDenied

from issues.assessment import reads as assessment_reads
from issues.core.exceptions import LedgerError
from issues.models import (
    AnswerSource,
    AssessmentEdition,
    AuditEvent,
    Question,
    QuestionKind,
    Survey,
    SurveyAnswer,
    SurveyRate,
    SurveyResponse,
)
from issues.surveys import reads
from issues.surveys import services as surveys
from issues.surveys.services import Respondent

MOMENT = dt.datetime(2026, 11, 20, 2, 0, tzinfo=dt.UTC)  # 10:00 in Shanghai


def bank() -> list[Question]:
    return [
        Question.objects.create(text="您是否知道本市正在创建全国文明城市？", options=["知道", "不知道"],
                                rate=SurveyRate.AWARENESS, yes_options=[1]),
        Question.objects.create(text="您是否支持本市创建全国文明城市？", options=["支持", "不支持", "无所谓"],
                                rate=SurveyRate.SUPPORT, yes_options=[1]),
        Question.objects.create(text="您参加过哪些创建活动？", kind=QuestionKind.MULTIPLE,
                                options=["志愿服务", "文明劝导", "都没有"], rate=SurveyRate.PARTICIPATION,
                                yes_options=[1, 2]),
        Question.objects.create(text="您对城市公共环境满意吗？", options=["满意", "比较满意", "不满意"],
                                rate=SurveyRate.SATISFACTION, yes_options=[1, 2]),
        Question.objects.create(text="您对创建工作有什么建议？", kind=QuestionKind.TEXT),
    ]


@pytest.fixture
def survey(city):
    edition = AssessmentEdition.objects.create(name="2027年测评", assessed_on=dt.date(2027, 5, 20),
                                               index_system=city.item.system, is_current=True)
    made = surveys.create_survey(actor=city.office, name="11月群众满意度调查", starts_on=dt.date(2026, 11, 1),
                                 ends_on=dt.date(2026, 12, 31), versions=[("A", "居民"), ("B", "学生")],
                                 edition=edition, current=True)
    questions = bank()
    for version in made.versions.all():
        for question in questions:
            surveys.add_question(actor=city.office, version=version, question=question)
    return made


def answer(survey, city, *, version="A", district=None, street=None, aware=1, support=1, took_part=(1,),
           satisfied=1, text="", source=AnswerSource.ONLINE, entered_by=None, link=None, moment=MOMENT):
    version = survey.versions.get(code=version)
    placed = list(version.questions.order_by("order"))
    given = {placed[0].pk: aware, placed[1].pk: support, placed[2].pk: list(took_part), placed[3].pk: satisfied,
             placed[4].pk: text}
    with time_machine.travel(moment):
        return surveys.submit_response(
            survey=survey, version=version, answers=given,
            respondent=Respondent(district=district or city.east, street=street, source=source, link=link,
                                  entered_by=entered_by))


def ten_answers(survey, city):
    """Ten answers in 城东区: 8 know, 9 support, 5 took part, 7 satisfied."""
    for n in range(10):
        answer(survey, city, aware=1 if n < 8 else 2, support=1 if n < 9 else 3,
               took_part=[(1,), (2,), (1, 2), (3,), (1,), (3,), (3,), (2,), (3,), (3,)][n],
               satisfied=[1, 2, 1, 3, 2, 1, 3, 1, 3, 2][n])


def test_rates_and_their_wilson_intervals_match_the_hand_computed_values(survey, city):
    ten_answers(survey, city)
    result = reads.results(survey)
    rates = {r.rate: r for r in result.total.rates}
    assert result.total.responses == 10
    assert (rates["awareness"].yes, rates["awareness"].n) == (8, 10)
    assert (rates["participation"].yes, rates["participation"].n) == (5, 10)
    assert (rates["satisfaction"].yes, rates["satisfaction"].n) == (7, 10)
    # 8/10 by hand: centre (0.8 + 1.96²/20) / (1 + 1.96²/10) = 0.71674, half-width 0.22658
    assert rates["awareness"].shown == Decimal("80.0")
    assert (rates["awareness"].low, rates["awareness"].high) == (Decimal("49.0"), Decimal("94.3"))
    low, high = reads.wilson(8, 10)
    assert abs(low - 0.490162) < 1e-5 and abs(high - 0.943314) < 1e-5
    # 9/10: 59.6 % to 98.2 %; no answers, no interval
    assert (rates["support"].low, rates["support"].high) == (Decimal("59.6"), Decimal("98.2"))
    assert reads.wilson(0, 0) is None
    # the district table and the month table hold the same answers
    assert [line.label for line in result.by_district] == ["城东区"]
    assert [line.label for line in result.by_month] == ["2026-11"]
    # per question: 志愿服务 chosen 4 times, 文明劝导 3 times, 都没有 5 times (multiple choice)
    took_part = next(q for q in result.questions if q.placed.question.kind == QuestionKind.MULTIPLE
                     and q.placed.version.code == "A")
    assert [(option, n) for _number, option, n, _yes in took_part.counts] == [("志愿服务", 3), ("文明劝导", 3), ("都没有", 5)]


def test_the_dashboard_reads_the_current_surveys_rates(survey, city):
    ten_answers(survey, city)
    part = reads.survey_part(survey.edition, before=dt.date(2026, 10, 31))
    # weights 25 each: (0.8 + 0.9 + 0.5 + 0.7) / 4 × 10 = 7.25; nothing by the end of October
    assert part.score == Decimal("7.25") and part.score_before is None
    with time_machine.travel(MOMENT):
        row = assessment_reads.predicted(survey.edition, dt.date(2026, 11, 20))
    parts = {p.label: p for p in row["parts"]}
    assert parts["问卷调查"].score == Decimal("7.25") and "10 份答卷" in parts["问卷调查"].note
    # only the rates with a weight count: satisfaction alone weighs
    survey.edition.awareness_weight = survey.edition.support_weight = survey.edition.participation_weight = 0
    assert reads.survey_part(survey.edition).score == Decimal("7.00")


def test_quotas_show_what_each_district_and_street_still_needs(survey, city):
    surveys.set_quota(actor=city.office, survey=survey, district=city.east, target=12)
    surveys.set_quota(actor=city.office, survey=survey, district=city.east, street=city.dongmen, target=5)
    surveys.set_quota(actor=city.office, survey=survey, district=city.west, target=4)
    for _n in range(3):
        answer(survey, city, street=city.dongmen)
    for _n in range(4):
        answer(survey, city)
    answer(survey, city, district=city.west, version="B")
    lines = {line.label: (line.target, line.answered, line.still_needed) for line in reads.quota_progress(survey)}
    assert lines == {"城东区": (12, 7, 5), "城东区 · 东门街道": (5, 3, 2), "城西区": (4, 1, 3)}
    with pytest.raises(LedgerError, match="不在“城东区”下"):
        surveys.set_quota(actor=city.office, survey=survey, district=city.east, street=city.xihu, target=3)
    with pytest.raises(LedgerError, match="不是区县"):
        surveys.set_quota(actor=city.office, survey=survey, district=city.dongmen, target=3)


def test_a_single_use_link_takes_one_answer_and_refuses_the_second(survey, city):
    link = surveys.create_link(actor=city.office, survey=survey, label="邀请·001", single_use=True)
    answer(survey, city, link=link)
    with pytest.raises(LedgerError, match="只能提交一次"):
        answer(survey, city, link=link)
    assert SurveyResponse.objects.filter(link=link).count() == 1
    assert reads.results(survey).total.responses == 1  # the refused answer counted nowhere
    shared = surveys.create_link(actor=city.office, survey=survey, label="海报·人民公园")
    answer(survey, city, link=shared)
    answer(survey, city, link=shared)  # a poster's link: one per device, checked by the page
    assert SurveyResponse.objects.filter(link=shared).count() == 2


def test_an_answer_is_refused_with_the_question_it_lacks_and_nothing_is_kept(survey, city):
    version = survey.versions.get(code="A")
    placed = list(version.questions.order_by("order"))
    cases = [
        ({placed[0].pk: 1}, "第 2 题还没有作答"),
        ({placed[0].pk: 3, placed[1].pk: 1, placed[2].pk: [1], placed[3].pk: 1}, "第 1 题的答案不在选项中"),
        ({placed[0].pk: [1, 2], placed[1].pk: 1, placed[2].pk: [1], placed[3].pk: 1}, "第 1 题只能选一项"),
    ]
    for given, message in cases:
        with time_machine.travel(MOMENT), pytest.raises(LedgerError, match=message):
            surveys.submit_response(survey=survey, version=version, answers=given,
                                    respondent=Respondent(district=city.east))
    with pytest.raises(LedgerError, match="请选择所在区县"):
        answer(survey, city, district=city.dongmen)
    with pytest.raises(LedgerError, match="作答时间"):
        answer(survey, city, moment=dt.datetime(2027, 1, 2, 2, tzinfo=dt.UTC))
    assert not SurveyResponse.objects.exists() and not SurveyAnswer.objects.exists()
    assert reads.results(survey).total.responses == 0


def test_paper_answers_are_marked_with_who_entered_them(survey, city):
    response = answer(survey, city, source=AnswerSource.PAPER, entered_by=city.office, version="B")
    assert response.source == AnswerSource.PAPER and response.entered_by == city.office
    assert AuditEvent.objects.filter(action="survey_paper", actor=city.office).exists()
    by_source = {line.key: line.responses for line in reads.results(survey).by_source}
    assert by_source == {AnswerSource.PAPER: 1}
    with pytest.raises(PermissionDenied):
        answer(survey, city, source=AnswerSource.PAPER, entered_by=city.east_head)


def test_an_answer_never_keeps_a_name_or_a_phone_number(survey, city):
    response = answer(survey, city, text="我叫张三，电话 138-1234-5678，身份证 11010519491231002X，希望多建公厕")
    kept = SurveyAnswer.objects.get(response=response, question__question__kind=QuestionKind.TEXT).text
    assert "5678" not in kept and "1949" not in kept and "希望多建公厕" in kept
    # no field of a response or an answer holds who answered: only where (district, street) and how
    names = {f.name for model in (SurveyResponse, SurveyAnswer) for f in model._meta.get_fields()}
    assert not names & {"name", "phone", "mobile", "id_number", "client_ip", "address"}
    assert all(len(r.address_key) in (0, 16) for r in SurveyResponse.objects.all())


def test_questions_cannot_change_once_a_version_has_answers(survey, city):
    answer(survey, city)
    extra = Question.objects.create(text="您是否了解社会主义核心价值观？", options=["了解", "不了解"],
                                    rate=SurveyRate.AWARENESS, yes_options=[1])
    with pytest.raises(LedgerError, match="已有答卷"):
        surveys.add_question(actor=city.office, version=survey.versions.get(code="A"), question=extra)
    surveys.add_question(actor=city.office, version=survey.versions.get(code="B"), question=extra)
    bad = Question.objects.create(text="坏题", options=["是", "否"], rate=SurveyRate.SUPPORT, yes_options=[3])
    with pytest.raises(LedgerError, match="不在选项范围"):
        surveys.add_question(actor=city.office, version=survey.versions.get(code="B"), question=bad)


# --- the pages ----------------------------------------------------------------------------------------------


def form_answers(version, *, aware=1) -> dict:
    placed = list(version.questions.order_by("order"))
    return {f"q{placed[0].pk}": aware, f"q{placed[1].pk}": 1, f"q{placed[2].pk}": [1, 2], f"q{placed[3].pk}": 2,
            f"q{placed[4].pk}": "多些公共座椅"}


def test_the_public_answers_once_per_device_from_a_link(survey, city, client):
    link = surveys.create_link(actor=city.office, survey=survey, label="海报·人民公园")
    url = f"/s/{link.token}/"
    with time_machine.travel(MOMENT):
        page = client.get(url)
        assert page.status_code == 200 and "居民" in page.content.decode() and "学生" in page.content.decode()
        version = survey.versions.get(code="B")
        page = client.get(url, {"v": "b"})
        assert "您对创建工作有什么建议" in page.content.decode() and 'name="district"' in page.content.decode()
        answered = client.post(f"{url}?v=B", {"district": city.west.pk, "street": city.xihu.pk, **form_answers(version)})
        assert answered.status_code == 302 and answered["Location"] == f"/s/{link.token}/thanks/"
        assert "感谢您参与" in client.get(answered["Location"]).content.decode()
        # the same phone again: the signed cookie says it has answered
        again = client.get(f"{url}?v=B")
        assert again.status_code == 403 and "已经提交过" in again.content.decode()
    response = SurveyResponse.objects.get()
    assert (response.version, response.district, response.street, response.link) == (version, city.west, city.xihu, link)
    assert response.source == AnswerSource.ONLINE and response.entered_by is None and len(response.address_key) == 16


def test_a_missing_answer_shows_the_form_again_with_what_is_missing(survey, city, client):
    link = surveys.create_link(actor=city.office, survey=survey, label="邀请", district=city.east,
                               version=survey.versions.get(code="A"), single_use=True)
    version = survey.versions.get(code="A")
    given = form_answers(version)
    del given[next(k for k in given if k.startswith("q") and given[k] == 1)]  # leave out the first question
    with time_machine.travel(MOMENT):
        page = client.post(f"/s/{link.token}/", given)
    assert page.status_code == 400 and "请回答这一题" in page.content.decode()
    assert 'name="district"' not in page.content.decode()  # the link fixes the district
    assert "东门街道" in page.content.decode() and "西湖街道" not in page.content.decode()  # and its streets
    assert not SurveyResponse.objects.exists()


def test_a_used_invitation_and_a_closed_survey_are_refused(survey, city, client):
    version = survey.versions.get(code="A")
    link = surveys.create_link(actor=city.office, survey=survey, label="邀请", version=version, district=city.east,
                               single_use=True)
    with time_machine.travel(MOMENT):
        assert client.post(f"/s/{link.token}/", form_answers(version)).status_code == 302
        client.cookies.clear()  # another phone with the same invitation
        page = client.get(f"/s/{link.token}/")
    assert page.status_code == 403 and "这个链接已经提交过答卷" in page.content.decode()
    with time_machine.travel(dt.datetime(2027, 2, 1, 2, tzinfo=dt.UTC)):
        assert "作答时间" in client.get(f"/s/{link.token}/").content.decode()
    assert client.get("/s/no-such-token/").status_code == 404


def test_many_answers_from_one_address_bring_a_captcha_then_a_pause(survey, city, client, settings):
    settings.SURVEY_CAPTCHA_AFTER, settings.SURVEY_ANSWERS_PER_HOUR = 2, 3
    version = survey.versions.get(code="A")
    link = surveys.create_link(actor=city.office, survey=survey, label="海报", version=version, district=city.east)
    with time_machine.travel(MOMENT):
        for _n in range(2):
            client.cookies.clear()
            assert client.post(f"/s/{link.token}/", form_answers(version)).status_code == 302
        client.cookies.clear()
        page = client.get(f"/s/{link.token}/")
        assert 'name="captcha_1"' in page.content.decode()
        refused = client.post(f"/s/{link.token}/", {**form_answers(version), "captcha_0": "x", "captcha_1": "0"})
        assert refused.status_code == 400 and "验证码不对" in refused.content.decode()
        answer(survey, city, link=link)  # a third answer, counted below as from this address too
        SurveyResponse.objects.update(address_key=surveys.address_key("127.0.0.1"))
        client.cookies.clear()
        from captcha.models import CaptchaStore

        store = CaptchaStore.objects.order_by("-pk").first()
        page = client.post(f"/s/{link.token}/", {**form_answers(version), "captcha_0": store.hashkey,
                                                 "captcha_1": store.response})
    assert page.status_code == 429 and "太多" in page.content.decode()
    assert SurveyResponse.objects.count() == 3


def test_paper_entry_keeps_the_version_and_district_for_the_next_form(survey, city, client):
    client.force_login(city.office)
    version = survey.versions.get(code="B")
    with time_machine.travel(MOMENT):
        page = client.get(f"/surveys/{survey.pk}/paper/", {"version": version.pk})
        assert page.status_code == 200 and "保存并录入下一份" in page.content.decode()
        saved = client.post(f"/surveys/{survey.pk}/paper/?version={version.pk}",
                            {"district": city.east.pk, **form_answers(version)})
    assert saved.status_code == 302 and f"version={version.pk}" in saved["Location"]
    assert f"district={city.east.pk}" in saved["Location"]
    response = SurveyResponse.objects.get()
    assert response.source == AnswerSource.PAPER and response.entered_by == city.office
    client.force_login(city.leader)
    assert client.get(f"/surveys/{survey.pk}/paper/").status_code == 403


def test_the_results_page_and_its_workbooks(survey, city, client):
    import io

    import openpyxl

    ten_answers(survey, city)
    answer(survey, city, district=city.west, version="B", text="电话13912345678")
    client.force_login(city.leader)
    page = client.get(f"/surveys/{survey.pk}/results/")
    text = page.content.decode()
    assert page.status_code == 200 and "城东区" in text and "城西区" in text
    assert client.get(f"/surveys/{survey.pk}/results/", {"district": city.west.pk}).context["results"].total.responses == 1
    book = openpyxl.load_workbook(io.BytesIO(b"".join(client.get(f"/surveys/{survey.pk}/results/export/").streaming_content)))
    rows = list(book["按区县"].iter_rows(values_only=True))
    east = next(r for r in rows if r[0] == "城东区")
    assert east[1] == 10 and east[2:6] == (80.0, 49.0, 94.3, 10)
    assert client.get(f"/surveys/{survey.pk}/answers/export/").status_code == 403  # the office's
    client.force_login(city.office)
    book = openpyxl.load_workbook(io.BytesIO(b"".join(client.get(f"/surveys/{survey.pk}/answers/export/").streaming_content)))
    sheet = list(book["A 居民"].iter_rows(values_only=True))
    assert len(sheet) == 11 and sheet[0][5].startswith("1. 您是否知道")
    assert sheet[3][7] == "志愿服务、文明劝导"  # the third answer chose both
    b_rows = list(book["B 学生"].iter_rows(values_only=True))
    assert b_rows[1][1] == "城西区" and "13912345678" not in str(b_rows[1])


def test_the_office_sets_up_a_survey_with_quotas_links_and_a_poster(city, client):
    import io

    import docx

    client.force_login(city.office)
    made = client.post("/surveys/", {"name": "12月问卷", "starts_on": "2026-12-01", "ends_on": "2026-12-31",
                                     "versions": "A 居民\nB 商户", "current": "on"})
    survey = Survey.objects.get(name="12月问卷")
    assert made["Location"] == f"/surveys/{survey.pk}/" and survey.is_current
    question = bank()[0]
    client.post(f"/surveys/{survey.pk}/questions/", {"version": survey.versions.get(code="A").pk,
                                                     "question": question.pk})
    client.post(f"/surveys/{survey.pk}/quotas/", {"district": city.east.pk, "target": 200})
    client.post(f"/surveys/{survey.pk}/links/", {"label": "海报·东门", "district": city.east.pk})
    page = client.get(f"/surveys/{survey.pk}/").content.decode()
    assert question.text in page and "海报·东门" in page and "data:image/svg+xml" in page and "200" in page
    link = survey.links.get()
    poster = client.get(f"/surveys/links/{link.pk}/poster.docx")
    document = docx.Document(io.BytesIO(b"".join(poster.streaming_content)))
    text = "\n".join(p.text for p in document.paragraphs)
    assert "12月问卷" in text and f"/s/{link.token}/" in text and document.inline_shapes  # the QR code
    refused = client.post("/surveys/", {"name": "坏", "starts_on": "2026-12-31", "ends_on": "2026-12-01",
                                        "versions": "A 居民"})
    assert refused.status_code == 400 and "结束日期不能早于开始日期" in refused.content.decode()


def test_questions_import_from_a_workbook_all_or_nothing(survey, city, tmp_path):
    import openpyxl

    from issues.surveys.questions_import import import_questions

    def workbook(rows):
        book = openpyxl.Workbook()
        sheet = book.active
        sheet.append(["版本", "调查对象", "序号", "题目", "题型", "选项", "计入", "计为是的选项", "指标编号"])
        for row in rows:
            sheet.append(row)
        path = tmp_path / f"q{len(rows)}.xlsx"
        book.save(path)
        return path

    bad = workbook([
        ["C", "商户", 1, "您的店门前是否落实门前三包？", "单选", "是\n否", "参与率", "1", ""],
        ["C", "商户", 2, "您是否知道文明城市测评？", "单选", "A. 知道\nB. 不知道", "知晓率", "C", ""],
        ["C", "商户", 3, "您是否满意？", "问答", "", "", "", "NM-08"],
    ])
    report = import_questions(bad, survey=survey, actor=city.office)
    assert [(e.row, e.column) for e in report.errors] == [(3, "计为是的选项"), (4, "题型")]
    assert not survey.versions.filter(code="C").exists()
    good = workbook([
        ["C", "商户", 1, "您的店门前是否落实门前三包？", "单选", "是\n否", "参与率", "1", "NM-08"],
        ["C", "商户", 2, "您是否知道文明城市测评？", "单选", "A. 知道\nB. 不知道", "知晓率", "知道", ""],
        ["C", "商户", 3, "您对创建工作有什么建议？", "填空", "", "", "", ""],  # already in the bank
    ])
    report = import_questions(good, survey=survey, actor=city.office)
    assert report.ok and len(report.created) == 2
    version = survey.versions.get(code="C")
    assert version.group == "商户"
    assert [(p.order, p.question.options, p.question.yes_options) for p in version.questions.order_by("order")][:2] == [
        (1, ["是", "否"], [1]), (2, ["知道", "不知道"], [1])]
    assert version.questions.get(order=1).question.index_item == city.item
