"""文明随手拍: a citizen reports from the public form, the office triages (accept, merge, decline), the
reporter follows the steps and answers "fixed" / "not fixed"; the limits on the public, the exposure
and praise boards, the nightly reminder, and the dashboard's counts."""

import datetime as dt
import hashlib
import re
from decimal import Decimal

import pytest
import time_machine
from captcha.models import CaptchaStore
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from issues.escalation.services import run_escalations
from issues.findings import services as svc
from issues.models import (
    AuditEvent,
    BlockedPhone,
    CitizenReport,
    FindingStatus,
    InspectionRound,
    Notification,
    PhotoKind,
    ReplyTemplate,
    ReportStatus,
    RoundSource,
    Site,
)
from issues.reports import reads
from issues.reports import services as reports
from tests.conftest import jpeg
from tests.test_evidence import camera_jpeg

PHONE = "13912345678"
# a weekday, so two working days later is plain to count: received Wednesday, due Friday
NOW = dt.datetime(2026, 11, 4, 10, 0, tzinfo=dt.UTC)


def upload(colour=(200, 40, 40)) -> SimpleUploadedFile:
    name, data = camera_jpeg(colour, "2026:11:04 17:55:00", gps=(("N", (22, 32, 37.2)), ("E", (114, 3, 30))))
    return SimpleUploadedFile(name, data, content_type="image/jpeg")


def form_data(city, **extra) -> dict:
    data = {"description": "东门农贸市场门口垃圾堆了三天", "category": f"T{city.market_type.code}",
            "site_name": city.market.name, "address": "", "phone": PHONE, "photos": [upload()]}
    data.update(extra)
    return data


def report_now(city, **extra) -> CitizenReport:
    fields = {"description": "人行道上的井盖破了", "photos": [jpeg()], "address": "东门路 12 号", "phone": PHONE,
              "client_ip": "10.1.1.1", "now": NOW}
    fields.update(extra)
    return reports.submit_report(**fields)


@time_machine.travel(NOW, tick=False)
def test_a_citizen_reports_with_a_photo_and_gets_a_tracking_code(city):
    anonymous = Client()
    response = anonymous.post("/report/", form_data(city, latitude="22.543667", longitude="114.058333"))
    assert response.status_code == 302
    report = CitizenReport.objects.get()
    assert response["Location"] == f"/report/{report.code}/"
    assert re.fullmatch(r"[2-9A-HJKMNP-Z]{8}", report.code)  # no 0/O, 1/I/L
    assert report.site == city.market and report.site_type == city.market_type and report.phone == PHONE
    assert (report.latitude, report.longitude) == (Decimal("22.543667"), Decimal("114.058333"))
    assert report.triage_due == dt.date(2026, 11, 6)  # two working days after Wednesday the 4th
    photo = report.photos.get()
    assert photo.taken_at is not None and photo.gps_latitude == Decimal("22.543667")  # EXIF kept
    page = anonymous.get(response["Location"]).content.decode()
    assert report.code in page and 'src="data:image/svg+xml' in page  # the code and its QR code, drawn locally
    assert "已收到您的反映" in page and PHONE not in page
    # the code as a reporter might type it: lower case, with a space
    assert anonymous.get("/report/track/", {"code": f"{report.code[:4].lower()} {report.code[4:]}"})[
        "Location"] == f"/report/{report.code}/"
    assert anonymous.get("/report/track/", {"code": "NOPE2345"}).status_code == 404


def test_a_report_without_a_photo_or_a_place_is_refused_with_the_reason(city):
    response = Client().post("/report/", form_data(city, photos=[], site_name="", address=""))
    assert response.status_code == 400
    page = response.content.decode()
    assert "请至少上传一张照片" in page and "请选择点位、填写地点，或使用当前位置" in page
    assert not CitizenReport.objects.exists()
    bad = SimpleUploadedFile("notes.jpg", b"not an image at all", content_type="image/jpeg")
    response = Client().post("/report/", form_data(city, photos=[bad]))
    assert response.status_code == 400 and "不是可识别的图片文件" in response.content.decode()
    assert not CitizenReport.objects.exists()


def test_the_sixth_report_within_an_hour_is_refused_with_a_message(city, settings):
    settings.REPORTS_PER_HOUR = 5
    for n in range(5):  # each from a fresh browser session, so no captcha, all from one address
        assert Client().post("/report/", form_data(city, phone="", photos=[upload((n, 9, 9))])).status_code == 302
    refused = Client().post("/report/", form_data(city, phone="", photos=[upload()]))
    assert refused.status_code == 429
    assert "同一网络一小时内最多上报 5 次，请稍后再试" in refused.content.decode()
    assert CitizenReport.objects.count() == 5
    # an hour later the address may report again
    with time_machine.travel(timezone.now() + dt.timedelta(hours=1, minutes=1)):
        assert Client().post("/report/", form_data(city, phone="", photos=[upload()])).status_code == 302


def test_one_phone_number_is_limited_from_any_address_and_a_blocked_one_is_refused(city, settings):
    settings.REPORTS_PER_HOUR = 5
    for n in range(5):
        assert Client(REMOTE_ADDR=f"10.0.0.{n}").post("/report/", form_data(city)).status_code == 302
    refused = Client(REMOTE_ADDR="10.0.0.99").post("/report/", form_data(city, phone="139 1234 5678"))
    assert refused.status_code == 429 and "同一电话号码一小时内最多上报 5 次" in refused.content.decode()
    BlockedPhone.objects.create(phone="13800000000", reason="反复发送广告")
    blocked = Client(REMOTE_ADDR="10.0.0.100").post("/report/", form_data(city, phone="138-0000-0000"))
    assert blocked.status_code == 403 and "该电话号码已被暂停上报" in blocked.content.decode()


def test_the_second_report_of_a_session_asks_a_captcha(city):
    browser = Client()
    assert 'name="captcha_1"' not in browser.get("/report/").content.decode()
    assert browser.post("/report/", form_data(city)).status_code == 302
    page = browser.get("/report/").content.decode()
    assert 'name="captcha_1"' in page and "/captcha/image/" in page
    key = re.search(r'name="captcha_0" value="([0-9a-f]+)"', page).group(1)
    wrong = browser.post("/report/", form_data(city, captcha_0=key, captcha_1="999"))
    assert wrong.status_code == 400 and "验证码不对" in wrong.content.decode()
    assert CitizenReport.objects.count() == 1
    page = wrong.content.decode()
    key = re.search(r'name="captcha_0" value="([0-9a-f]+)"', page).group(1)  # a new challenge each time
    answer = CaptchaStore.objects.get(hashkey=key).response
    assert browser.post("/report/", form_data(city, captcha_0=key, captcha_1=answer)).status_code == 302
    assert CitizenReport.objects.count() == 2


def test_a_report_larger_than_the_public_limit_is_refused_before_it_is_read(city, settings):
    settings.REPORT_MAX_BYTES = 1024 * 1024
    response = Client().post("/report/", form_data(city), CONTENT_LENGTH=str(2 * 1024 * 1024))
    assert response.status_code == 413 and "超过了 1.0 MB 的上限" in response.content.decode()


def test_the_form_suggests_known_sites_by_name_and_nothing_else(city):
    Site.objects.create(name="东门公园", site_type=city.market_type, address="东门路 1 号", default_unit=city.dongmen)
    Site.objects.create(name="东门旧市场", site_type=city.market_type, is_active=False)
    response = Client().get("/report/sites/", {"q": "东门"})
    assert response.json() == {"results": [{"name": "东门公园", "address": "东门路 1 号"},
                                           {"name": "东门农贸市场", "address": ""}]}


# --- the office's triage ------------------------------------------------------------------------


def test_the_queue_shows_the_oldest_first_with_the_working_days_left(client, city):
    with time_machine.travel(NOW, tick=False):
        older = report_now(city, now=NOW - dt.timedelta(days=7))  # received Wednesday 28 Oct: late
        newer = report_now(city, description="公厕无人保洁")
        client.force_login(city.office)
        page = client.get("/reports/").content.decode()
    assert page.index(older.code) < page.index(newer.code)
    assert "超期 3 个工作日" in page  # due Friday 30 Oct; Mon 2, Tue 3, Wed 4 November
    assert "2 个工作日" in page
    assert PHONE not in page  # the phone is on the report's own page, not in the list


def test_the_queue_reads_a_page_in_a_fixed_number_of_queries(client, city, django_assert_max_num_queries):
    for n in range(25):
        report_now(city, description=f"问题 {n}", client_ip=f"10.3.0.{n}", phone="",
                   photos=[camera_jpeg((n, 5, 5), gps=(("N", (22, 32, 37.2)), ("E", (114, 3, 30))))])
    client.force_login(city.office)
    with django_assert_max_num_queries(14):
        page = client.get("/reports/").content.decode()
    assert page.count("uri.amap.com") == 25  # each row's place, from its photo's EXIF


def test_accepting_turns_the_report_into_a_finding_with_its_photos_and_place(client, city):
    name, data = camera_jpeg((30, 160, 30), "2026:11:04 17:55:00")
    with time_machine.travel(NOW, tick=False):
        report = reports.submit_report(description="市场门口垃圾成堆", photos=[(name, data)], site=city.market,
                                       phone=PHONE, client_ip="10.1.1.1", now=NOW)
        client.force_login(city.office)
        form = client.get(f"/reports/{report.pk}/accept/")
        assert form.status_code == 200
        initial = form.context["form"].initial
        assert initial["description"] == "市场门口垃圾成堆" and initial["site_name"] == "东门农贸市场"
        assert initial["source"] == RoundSource.CITIZEN and initial["lead_unit"] == city.dongmen.pk
        response = client.post(f"/reports/{report.pk}/accept/", {
            "description": "市场门口垃圾成堆", "site_name": "东门农贸市场", "address": "", "item_code": "NM-08",
            "lead_unit": city.dongmen_sq.pk, "deduction": "1", "severity": "general", "found_on": "2026-11-04",
            "source": RoundSource.CITIZEN, "issue_now": "on", "deadline": "", "requirement": ""})
    assert response.status_code == 302, response.context["form"].errors
    report.refresh_from_db()
    finding = report.finding
    assert response["Location"] == f"/findings/{finding.pk}/"
    assert report.status == ReportStatus.ACCEPTED and finding.status == FindingStatus.ASSIGNED
    assert finding.inspection_round.source == RoundSource.CITIZEN and finding.site == city.market
    before = finding.photos.get(kind=PhotoKind.BEFORE)
    assert before.sha256 == hashlib.sha256(data).hexdigest() == report.photos.get().sha256
    client.force_login(city.office)
    original = client.get(f"/reports/photos/{report.photos.get().pk}/original/")
    assert b"".join(original.streaming_content) == data  # the office keeps the citizen's file as sent
    client.force_login(city.dongmen_liaison)
    assert client.get(f"/reports/photos/{report.photos.get().pk}/thumb/").status_code == 403
    assert AuditEvent.objects.filter(object_type="citizenreport", object_id=str(report.pk),
                                     action="report_accepted", actor=city.office).exists()
    assert AuditEvent.objects.filter(finding=finding, action="from_report").exists()
    track = Client().get(f"/report/{report.code}/").content.decode()
    assert "已受理" in track and "东门社区" in track and "clerk" not in track
    # accepted once: a second accept is refused, nothing half-made
    client.force_login(city.office)  # the session of the travelled day has expired
    again = client.get(f"/reports/{report.pk}/accept/", follow=True).content.decode()
    assert "已处理" in again


def test_merging_needs_a_reply_and_the_reporter_reads_it(client, city):
    finding, _ = city.assigned(site=city.market)
    report = report_now(city, site=city.market)
    client.force_login(city.office)
    refused = client.post(f"/reports/{report.pk}/merge/", {"finding": finding.pk, "reply": ""})
    assert refused.status_code == 400 and "请填写给市民的答复" in refused.content.decode()
    template = ReplyTemplate.objects.get(use=ReplyTemplate.Use.MERGE)
    done = client.post(f"/reports/{report.pk}/merge/", {"finding": finding.pk, "template": template.pk, "reply": ""})
    assert done.status_code == 302
    report.refresh_from_db()
    assert report.status == ReportStatus.MERGED and report.finding == finding and report.reply == template.text
    track = Client().get(f"/report/{report.code}/").content.decode()
    assert template.text in track and "已合并" in track
    closed = city.finding(description="已销号的问题")
    closed.status, closed.closed_on = FindingStatus.CLOSED, dt.date(2026, 11, 3)
    closed.save(update_fields=["status", "closed_on"])
    other = report_now(city)
    response = client.post(f"/reports/{other.pk}/merge/", {"finding": closed.pk, "reply": "已有"})
    assert response.status_code == 400 and "只能合并到尚未销号的问题" in response.content.decode()


def test_a_batch_of_spam_is_declined_with_one_reply(client, city):
    spam = [report_now(city, description=f"广告 {n}", phone="") for n in range(3)]
    kept = report_now(city, description="真的问题")
    client.force_login(city.office)
    template = ReplyTemplate.objects.get(title="无效信息")
    response = client.post("/reports/decline/", {"report": [r.pk for r in spam], "template": template.pk,
                                                  "reply": "", "note": "广告"})
    assert response.status_code == 302
    assert set(CitizenReport.objects.filter(status=ReportStatus.DECLINED).values_list("pk", flat=True)) == {
        r.pk for r in spam}
    kept.refresh_from_db()
    assert kept.status == ReportStatus.RECEIVED
    assert AuditEvent.objects.filter(action="report_declined").count() == 3
    assert template.text in Client().get(f"/report/{spam[0].code}/").content.decode()
    # a unit user cannot triage
    client.force_login(city.dongmen_liaison)
    assert client.post("/reports/decline/", {"report": [kept.pk], "reply": "x"}).status_code == 403


def test_the_reporter_answers_not_fixed_within_a_week_and_it_goes_back_to_the_office(client, city):
    report = report_now(city)
    finding, notice = city.assigned(site=city.market)
    reports.accept_report(actor=city.office, report_id=report.pk, finding=finding)
    anonymous = Client()
    assert "feedback-form" not in anonymous.get(f"/report/{report.code}/").content.decode()
    sub = svc.submit_fix(actor=city.dongmen_liaison, notice_id=notice.pk, note="已修复", photos=[jpeg((9, 9, 9))])
    svc.approve_submission(actor=city.office, submission_id=sub.pk, decided_on=dt.date(2026, 11, 10))
    with time_machine.travel(dt.datetime(2026, 11, 18, 2, 0, tzinfo=dt.UTC)):  # 8 days after closure
        page = anonymous.get(f"/report/{report.code}/").content.decode()
        assert "已销号" in page and "feedback-form" not in page
    with time_machine.travel(dt.datetime(2026, 11, 16, 2, 0, tzinfo=dt.UTC)):
        page = anonymous.get(f"/report/{report.code}/").content.decode()
        assert "feedback-form" in page
        answer = anonymous.post(f"/report/{report.code}/feedback/", {"fixed": "0", "comment": "井盖还是破的"})
        assert answer.status_code == 302
        report.refresh_from_db()
        assert report.status == ReportStatus.REOPENED and report.feedback == "not_fixed"
        assert report.triage_due == dt.date(2026, 11, 18)
        # once only
        anonymous.post(f"/report/{report.code}/feedback/", {"fixed": "1"})
        report.refresh_from_db()
        assert report.feedback == "not_fixed"
        note = Notification.objects.get(recipient=city.office, key__startswith="report-not-fixed")
        assert report.code in note.title
        client.force_login(city.office)
        queue = client.get("/reports/").content.decode()
        assert report.code in queue and "市民反馈未整改" in queue
        assert "井盖还是破的" in client.get(f"/reports/{report.pk}/").content.decode()


def test_a_report_past_its_triage_time_is_reminded_to_the_office_once_a_night(city):
    with time_machine.travel(NOW, tick=False):
        late = report_now(city)
    run_escalations(today=dt.date(2026, 11, 6))  # due the 6th: not yet late
    assert not Notification.objects.filter(key__startswith="report-triage").exists()
    run_escalations(today=dt.date(2026, 11, 9))
    run_escalations(today=dt.date(2026, 11, 9))  # the same night again: nothing new
    note = Notification.objects.get(recipient=city.office, key__startswith="report-triage")
    assert late.code in note.body and not Notification.objects.filter(recipient=city.dongmen_liaison).exists()
    reports.decline_reports(actor=city.office, report_ids=[late.pk], reply="已核实")
    run_escalations(today=dt.date(2026, 11, 10))
    assert Notification.objects.filter(key__startswith="report-triage").count() == 1


# --- duplicates -----------------------------------------------------------------------------------


def test_duplicates_are_suggested_by_site_distance_and_kind_within_30_days(city):
    city.market.latitude, city.market.longitude = Decimal("22.540000"), Decimal("114.050000")
    city.market.save()
    near = Site.objects.create(name="东门公厕", site_type=city.market_type, latitude=Decimal("22.540500"),
                               longitude=Decimal("114.050300"))  # about 63 m away
    far = Site.objects.create(name="西湖公园", site_type=city.market_type, latitude=Decimal("22.560000"),
                              longitude=Decimal("114.080000"))
    other_type = Site.objects.create(name="城西车站", site_type=city.market_type.__class__.objects.create(
        code="PT-99", name="车站"), latitude=Decimal("22.600000"), longitude=Decimal("114.100000"))
    same_site = city.finding(site=city.market, found_on=dt.date(2026, 10, 20), description="同一点位")
    within = city.finding(site=near, found_on=dt.date(2026, 10, 25), description="百米内")
    kind = city.finding(site=far, item=city.item, found_on=dt.date(2026, 10, 28), description="同类同项目")
    city.finding(site=far, found_on=dt.date(2026, 10, 28), description="同类不同项目")  # no category match
    city.finding(site=other_type, item=city.item, found_on=dt.date(2026, 10, 28), description="别类")
    city.finding(site=city.market, found_on=dt.date(2026, 10, 1), description="超过30天")
    # no site, but its photo was taken about 52 m from the report's place
    by_photo = city.finding(found_on=dt.date(2026, 10, 26), description="照片在附近",
                            photos=[camera_jpeg((3, 3, 3), gps=(("N", (22, 32, 25.4)), ("E", (114, 3, 1))))])
    city.finding(found_on=dt.date(2026, 10, 26), description="照片在远处",
                 photos=[camera_jpeg((4, 4, 4), gps=(("N", (22, 40, 0)), ("E", (114, 10, 0))))])
    closed = city.finding(site=city.market, found_on=dt.date(2026, 10, 30), description="已销号")
    closed.status, closed.closed_on = FindingStatus.CLOSED, dt.date(2026, 11, 1)
    closed.save(update_fields=["status", "closed_on"])
    report = report_now(city, site=city.market, latitude="22.540000", longitude="114.050000",
                        category=city.item.category, site_type=city.market_type)
    found = {f.description: f.why for f in reads.duplicate_suggestions(report)}
    assert set(found) == {same_site.description, within.description, kind.description, by_photo.description}
    assert "同一点位" in found["同一点位"] and "相距约" in found["百米内"] and "同类点位" in found["同类同项目"]
    assert "相距约" in found["照片在附近"]


# --- the exposure board ---------------------------------------------------------------------------


def test_the_exposure_board_shows_only_what_the_office_chose(client, city):
    finding, notice = city.assigned(site=city.market, photos=[jpeg((1, 2, 3)), jpeg((4, 5, 6))])
    chosen, hidden_photo = finding.photos.order_by("pk")
    client.force_login(city.office)
    client.post(f"/findings/{finding.pk}/expose/", {"photo": [chosen.pk]})
    board = Client().get("/public/exposure/")
    page = board.content.decode()
    assert board.status_code == 200 and "东门社区" in page and finding.description[:10] in page
    assert f"/public/photos/{chosen.pk}/thumb/" in page and f"/public/photos/{hidden_photo.pk}/" not in page
    # cacheable: public, and nothing about the visitor read or set
    assert "public" in board["Cache-Control"] and "Cookie" not in board.get("Vary", "")
    assert not board.cookies
    assert Client().get(f"/public/photos/{chosen.pk}/thumb/").status_code == 200
    assert Client().get(f"/public/photos/{hidden_photo.pk}/thumb/").status_code == 404
    assert Client().get(f"/public/photos/{chosen.pk}/original/").status_code == 404  # never the EXIF original
    client.post(f"/findings/{finding.pk}/withdraw-exposure/")
    assert finding.description[:10] not in Client().get("/public/exposure/").content.decode()
    assert Client().get(f"/public/photos/{chosen.pk}/thumb/").status_code == 404
    assert AuditEvent.objects.filter(finding=finding, action__in=["exposed", "exposure_withdrawn"]).count() == 2


def test_a_covert_finding_is_exposed_only_after_its_round_is_published(client, city):
    covert = InspectionRound.objects.create(name="11月暗访", held_on=dt.date(2026, 11, 2), is_covert=True)
    finding = city.finding(site=city.market, inspection_round=covert, description="暗访发现占道经营",
                           photos=[jpeg()])
    reports.expose_finding(actor=city.office, finding_id=finding.pk, photo_ids=[finding.photos.get().pk])
    assert "暗访发现占道经营" not in Client().get("/public/exposure/").content.decode()
    client.force_login(city.office)
    assert "批次发布后才会出现在曝光台" in client.get(f"/findings/{finding.pk}/").content.decode()
    covert.published_at = timezone.now()
    covert.save(update_fields=["published_at"])
    assert "暗访发现占道经营" in Client().get("/public/exposure/").content.decode()


def test_the_praise_board_lists_units_with_at_least_five_notices_due(city):
    with time_machine.travel(dt.datetime(2026, 11, 20, 2, 0, tzinfo=dt.UTC)):
        for n in range(5):
            _, notice = city.assigned(unit=city.dongmen_sq, description=f"按期 {n}", deadline=dt.date(2026, 11, 9))
            sub = svc.submit_fix(actor=city.dongmen_liaison, notice_id=notice.pk, note="好了",
                                 photos=[jpeg((n, 1, 1))], submitted_at=dt.datetime(2026, 11, 5, 2, tzinfo=dt.UTC))
            svc.approve_submission(actor=city.office, submission_id=sub.pk, decided_on=dt.date(2026, 11, 6))
        for n in range(4):  # four only: not enough to be judged
            city.assigned(unit=city.xihu_sq, description=f"西湖 {n}", deadline=dt.date(2026, 11, 9))
        page = Client().get("/public/praise/").content.decode()
    assert "东门社区" in page and "100%" in page and "西湖社区" not in page


# --- the dashboard --------------------------------------------------------------------------------


def test_the_dashboard_counts_the_months_reports(client, city):
    with time_machine.travel(NOW, tick=False):
        accepted, declined, waiting = (report_now(city, description=d) for d in ("一", "二", "三"))
        finding = city.finding()
        reports.accept_report(actor=city.office, report_id=accepted.pk, finding=finding)
        reports.decline_reports(actor=city.office, report_ids=[declined.pk], reply="不属于")
        client.force_login(city.leader)
        tiles = client.get("/dashboard/").context["citizen"]
        assert (tiles["total"], tiles["waiting"], tiles["accepted_rate"], tiles["in_time_rate"]) == (
            3, 1, Decimal("50.0"), Decimal("100.0"))
        client.force_login(city.dongmen_liaison)
        assert client.get("/dashboard/").context["citizen"] is None


@pytest.mark.parametrize("role", ["anonymous", "liaison", "head", "outsider"])
def test_the_phone_number_never_reaches_the_public_or_a_unit(city, role):
    """Every page the public or a unit user can open, after a report with a phone number was accepted
    into a finding of the unit, merged and exposed."""
    from tests.permission_world import World, routes

    world = World(city)
    report = report_now(city, site=city.market, phone=PHONE)
    reports.accept_report(actor=city.office, report_id=report.pk, finding=world.finding)
    merged = report_now(city, description="同一个问题", phone="13700001111")
    reports.merge_report(actor=city.office, report_id=merged.pk, finding_id=world.finding.pk, reply="已合并")
    reports.expose_finding(actor=city.office, finding_id=world.finding.pk,
                           photo_ids=[p.pk for p in world.finding.photos.all()])
    user = {"liaison": city.dongmen_liaison, "head": city.east_head, "outsider": city.outsider}.get(role)
    browser = Client()
    if user is not None:
        browser.force_login(user)
    pages = [world.url(r) for r in routes() if not r.template.startswith("admin/")]
    pages += [f"/report/{report.code}/", f"/report/{merged.code}/", "/open311/v2/requests.json",
              "/open311/v2/requests.xml", f"/open311/v2/requests/{report.code}.json", "/public/exposure/"]
    opened = 0
    for url in pages:
        response = browser.get(url)
        if response.status_code != 200 or response.streaming:
            continue
        opened += 1
        body = response.content.decode("utf-8", "replace")
        assert PHONE not in body and "13700001111" not in body, url
        assert "10.1.1.1" not in body, url
    assert opened >= 8
