"""The whole round trip in Debian's Chromium, driven by Playwright against a live server.

The office logs a finding with a photo on a phone-sized window and issues the notice; the unit
head finds it in the inbox and submits a fix with a photo; the office rejects it and the next
notice appears; the unit submits again; the office approves and the item shows 已销号.
Screenshots of every step go to test-output/browser/.
"""

import io
import os
import shutil
from pathlib import Path

import pytest
from PIL import Image, ImageDraw

from issues.core.access import Role
from issues.models import Finding, FindingStatus, Notice
from tests.conftest import ROOT, make_user

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1366, "height": 900}
SHOTS = ROOT / "test-output" / "browser"
PASSWORD = "pw-for-tests-2026"



def photo_file(tmp_path, name: str, colour) -> str:
    img = Image.new("RGB", (1200, 900), colour)
    ImageDraw.Draw(img).rectangle([300, 300, 900, 600], fill=(240, 240, 240))
    path = tmp_path / name
    buf = io.BytesIO()
    img.save(buf, "JPEG")
    path.write_bytes(buf.getvalue())
    return str(path)


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    assert Path(CHROMIUM).exists(), "Debian's chromium is missing: run the tests through `make test`, which installs it"
    shutil.rmtree(SHOTS, ignore_errors=True)
    SHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield chromium
        chromium.close()


def login(browser, live_server, username, viewport, **context_options):
    context = browser.new_context(viewport=viewport, locale="zh-CN", **context_options)
    page = context.new_page()
    # Anything the Content-Security-Policy blocks (an inline script or style, a request elsewhere)
    # shows up in the console; every screenshot step checks there was none.
    blocked = []
    page.on("console", lambda message: blocked.append(message.text)
            if "Content Security Policy" in message.text else None)
    page.csp_blocked = blocked
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("button.primary")
    page.wait_for_load_state()
    return page


def shot(page, name):
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)
    assert not page.csp_blocked, f"{name}: blocked by the Content-Security-Policy: {page.csp_blocked}"


@pytest.mark.parametrize("viewport_name", ["phone", "desktop"])
def test_round_trip_in_the_browser(browser, live_server, city, tmp_path, viewport_name):
    viewport = PHONE if viewport_name == "phone" else DESKTOP
    head = make_user("dongmen-head", Role.UNIT_HEAD, city.dongmen_sq)
    city.office.first_name = "创文办小张"
    city.office.save()
    head.first_name = "东门社区书记"
    head.save()
    prefix = f"{viewport_name}-"

    # 1. the office logs a finding with a photo at the site and issues the notice
    office = login(browser, live_server, "clerk", viewport)
    assert office.url.endswith("/findings/")
    office.goto(f"{live_server.url}/findings/new/")
    office.fill("#id_description", "东门农贸市场入口垃圾堆放，未及时清运")
    office.fill("#id_site_name", "东门农贸市场")
    office.fill("#id_item_code", "NM-08 环境卫生")
    office.select_option("#id_lead_unit", label="东门社区")
    office.fill("#id_deduction", "1.5")
    office.set_input_files("#id_photos", photo_file(tmp_path, "before.jpg", (140, 110, 80)))
    shot(office, prefix + "01-office-log-form")
    office.click("button[name=save]")
    office.wait_for_load_state()
    shot(office, prefix + "02-office-finding-assigned")
    assert "已登记并交办 东门社区" in office.content()
    finding = Finding.objects.get()
    assert finding.status == FindingStatus.ASSIGNED and finding.photos.count() == 1

    # 2. the unit head sees it in the inbox and submits the fix with a photo
    unit = login(browser, live_server, "dongmen-head", viewport)
    assert unit.url.endswith("/inbox/")
    assert "东门农贸市场入口垃圾堆放" in unit.content()
    shot(unit, prefix + "03-unit-inbox")
    unit.click("text=提交整改")
    unit.wait_for_load_state()
    unit.fill("#id_note", "已清运垃圾，安排专人每日巡查")
    unit.set_input_files("#id_photos", photo_file(tmp_path, "after1.jpg", (60, 170, 80)))
    shot(unit, prefix + "04-unit-submit-form")
    unit.click("form#submit button.primary")
    unit.wait_for_load_state()
    assert "整改反馈已提交" in unit.content()
    shot(unit, prefix + "05-unit-submitted")

    # 3. the office rejects it; the next notice appears
    office.goto(f"{live_server.url}/review/")
    shot(office, prefix + "06-office-review-queue")
    office.fill("textarea[name=reason]", "入口仍有散落垃圾，请彻底清理")
    office.click("form.reject button")
    office.wait_for_load_state()
    assert "并下发第2次整改通知" in office.content()
    assert Notice.objects.filter(finding=finding).count() == 2

    # 4. the unit submits again
    unit.goto(f"{live_server.url}/inbox/")
    assert "第2次通知" in unit.content()
    shot(unit, prefix + "07-unit-second-notice")
    unit.click("text=提交整改")
    unit.wait_for_load_state()
    unit.fill("#id_note", "已彻底清理并设置垃圾桶")
    unit.set_input_files("#id_photos", photo_file(tmp_path, "after2.jpg", (40, 190, 90)))
    unit.click("form#submit button.primary")
    unit.wait_for_load_state()

    # 5. the office approves; the item shows 已销号
    office.goto(f"{live_server.url}/review/")
    office.click("text=复核通过，销号")
    office.wait_for_load_state()
    office.goto(f"{live_server.url}/findings/{finding.pk}/")
    shot(office, prefix + "08-office-closed")
    assert "已销号" in office.inner_text(".page-head")
    finding.refresh_from_db()
    assert finding.status == FindingStatus.CLOSED and finding.miss_count == 1
    office.goto(f"{live_server.url}/findings/?status=closed")
    shot(office, prefix + "09-ledger-closed")
    assert finding.display_number in office.content()


@pytest.mark.parametrize("viewport_name", ["phone", "desktop"])
def test_leader_reads_the_dashboard_and_follows_a_number(browser, live_server, city, viewport_name):
    import datetime as dt
    from decimal import Decimal

    from django.utils import timezone

    from issues.findings import services as svc
    from issues.models import RankingGroup, Unit

    viewport = PHONE if viewport_name == "phone" else DESKTOP
    group = RankingGroup.objects.create(name="社区")
    units = [Unit.objects.create(name=f"测试社区{i}", kind="community", ranking_group=group) for i in range(6)]
    for unit, deduction in zip(units, ["0", "1", "2", "4", "6", "8"], strict=True):
        if deduction != "0":
            svc.register_finding(actor=city.office, lead_unit=unit, description=f"{unit.name}的问题",
                                 found_on=timezone.localdate().replace(day=1), deduction=Decimal(deduction))
    today = timezone.localdate()
    for n in (1, 2):
        city.assigned(unit=units[4], description=f"社区4超期问题{n}", issued_on=today - dt.timedelta(days=20),
                      deadline=today - dt.timedelta(days=10), deduction=Decimal("0"))
    city.assigned(unit=units[4], description="社区4还没到期", issued_on=today, deadline=today + dt.timedelta(days=10),
                  deduction=Decimal("0"))
    city.assigned(description="东门社区超期问题", issued_on=today - dt.timedelta(days=20),
                  deadline=today - dt.timedelta(days=10))

    page = login(browser, live_server, "leader", viewport)
    assert page.url.endswith("/dashboard/")
    page.wait_for_selector("#trend-chart svg")
    shot(page, f"{viewport_name}-10-leader-dashboard")
    bottom_rows = page.locator("tr.bottom")
    assert bottom_rows.count() == 3
    assert "测试社区5" in bottom_rows.nth(2).inner_text()
    row = page.locator("tr.bottom", has_text="测试社区4")
    assert row.locator("a.overdue-count").inner_text() == "2"
    row.locator("a.overdue-count").click()
    page.wait_for_load_state()
    shot(page, f"{viewport_name}-11-leader-unit-overdue-ledger")
    text = page.content()
    assert "社区4超期问题1" in text and "社区4超期问题2" in text
    assert "社区4还没到期" not in text and "东门社区超期问题" not in text
    assert "共 2 个问题" in text and "测试社区4（仅本单位）" in text
    page.go_back()
    page.click('a.tile[href="/findings/?overdue=true"]')
    page.wait_for_load_state()
    shot(page, f"{viewport_name}-12-leader-overdue-ledger")
    assert "共 3 个问题" in page.content()


@pytest.mark.parametrize("viewport_name", ["phone", "desktop"])
def test_office_imports_a_list_and_exports_the_ledger_in_the_browser(browser, live_server, city, tmp_path,
                                                                     viewport_name):
    import openpyxl

    viewport = PHONE if viewport_name == "phone" else DESKTOP
    header = ["问题编号", "发现日期", "问题描述*", "责任单位", "整改时限"]

    def list_file(name, unit):
        wb = openpyxl.Workbook()
        ws = wb.active
        ws.append(["十一月第二批交办问题"])
        ws.append(header)
        ws.append(["X-1", "2026-11-02", "垃圾桶破损", unit, "5个工作日"])
        ws.append(["X-2", "2026/11/03", "占道经营", "东门社区", "3天"])
        wb.save(tmp_path / name)
        return str(tmp_path / name)

    page = login(browser, live_server, "clerk", viewport)
    page.goto(f"{live_server.url}/imports/")
    page.set_input_files("#ledger-file", list_file("bad.xlsx", "火星社区"))
    page.click("form[action='/imports/ledger/'] button.primary")
    page.wait_for_load_state()
    shot(page, f"{viewport_name}-20-import-errors")
    assert "一行也没有导入" in page.inner_text("main") and "火星社区" in page.inner_text("table.import-errors")
    assert Finding.objects.count() == 0
    page.goto(f"{live_server.url}/imports/")
    page.set_input_files("#ledger-file", list_file("good.xlsx", "东门社区"))
    page.click("form[action='/imports/ledger/'] button.primary")
    page.wait_for_load_state()
    shot(page, f"{viewport_name}-21-import-done")
    assert "已导入 2 条" in page.inner_text("main")
    page.goto(f"{live_server.url}/findings/?q=占道")
    with page.expect_download() as download_info:
        page.click("text=导出 Excel")
    download = download_info.value
    path = tmp_path / download.suggested_filename
    download.save_as(path)
    assert download.suggested_filename.startswith("创文整改台账-") and path.suffix == ".xlsx"
    rows = list(openpyxl.load_workbook(path)["问题台账"].iter_rows(min_row=2, values_only=True))
    assert [r[1] for r in rows] == ["X-2"]


def test_the_ledger_filters_a_unit_picked_by_name_on_a_phone(browser, live_server, city):
    """The unit box offers the names once it is used, and filters by the name chosen."""
    city.assigned(description="东门社区的问题", unit=city.dongmen_sq)
    city.assigned(description="西湖社区的问题", unit=city.xihu_sq)
    page = login(browser, live_server, "clerk", PHONE)
    page.click("details.filters summary")
    page.focus("#id_unit")
    # a selector, not wait_for_function: Playwright polls a predicate with eval, which our CSP refuses
    page.wait_for_selector("#unit-options option:nth-child(8)", state="attached")
    assert "城东区" in page.eval_on_selector_all("#unit-options option", "os => os.map(o => o.value)")
    page.fill("#id_unit", "城东区")
    page.click("details.filters button.primary")
    page.wait_for_load_state()
    shot(page, "phone-30-ledger-unit-picked")
    listed = page.inner_text("table.ledger")
    assert "东门社区的问题" in listed and "西湖社区的问题" not in listed
    assert page.input_value("#id_unit") == "城东区"


def test_checklist_walk_receipt_and_extension_on_a_phone(browser, live_server, city, tmp_path):
    """The office walks a market's checklist on a phone; the unit signs for the notice from its inbox and asks
    for more time; the office approves it from the review queue."""
    from issues.models import ExtensionStatus, Inspection, Responsibility

    for item in (city.item, city.item2):
        item.site_types.add(city.market_type)
    Responsibility.objects.create(item=city.item2, lead_unit=city.dongmen_sq)
    head = make_user("dongmen-head", Role.UNIT_HEAD, city.dongmen_sq)

    office = login(browser, live_server, "clerk", PHONE)
    office.goto(f"{live_server.url}/sites/?q=东门")
    shot(office, "field-01-office-sites")
    office.click("text=开始检查")
    office.wait_for_load_state()
    items = office.locator(".check-item")
    assert items.count() == 2
    items.nth(0).locator("label.pass").click()
    items.nth(1).locator("label.fail").click()
    assert items.nth(1).locator(".fail-only").is_visible() and not items.nth(0).locator(".fail-only").is_visible()
    assert "已检查 2 / 2 项，不合格 1 项" in office.inner_text("#walk-progress")
    items.nth(1).locator("input[type=text]").fill("女厕无水冲洗，异味明显")
    items.nth(1).locator("input[type=file][multiple]").set_input_files(photo_file(tmp_path, "toilet.jpg", (90, 90, 160)))
    shot(office, "field-02-office-checklist-walk")
    office.click("#submit-inspection")
    office.wait_for_load_state()
    shot(office, "field-03-office-inspection-saved")
    assert "1 项不合格，已登记为问题并交办" in office.content()
    assert office.inner_text("#pass-rate") == "50.0%"
    inspection = Inspection.objects.get()
    finding = inspection.results.get(verdict="fail").finding
    assert finding.lead_unit == city.dongmen_sq and finding.photos.count() == 1
    assert finding.description == "公共卫生间：女厕无水冲洗，异味明显"

    unit = login(browser, live_server, "dongmen-head", PHONE)
    assert "未签收" in unit.content()
    shot(unit, "field-04-unit-inbox-unsigned")
    unit.click("button.sign")
    unit.wait_for_load_state()
    assert "已签收第1次整改通知" in unit.content()
    finding.current_notice.refresh_from_db()
    assert finding.current_notice.acknowledged_at is not None and finding.current_notice.acknowledged_by == head
    unit.goto(f"{live_server.url}/findings/{finding.pk}/")
    unit.click("#extension summary")
    later = finding.current_notice.deadline.toordinal() + 7
    import datetime as dt

    unit.fill("#extension input[name=deadline]", dt.date.fromordinal(later).isoformat())
    unit.fill("#extension textarea[name=reason]", "需更换水箱配件，厂家供货需一周")
    shot(unit, "field-05-unit-extension-form")
    unit.click("#extension button")
    unit.wait_for_load_state()
    assert "延期申请已提交" in unit.content()
    shot(unit, "field-06-unit-extension-pending")

    office.goto(f"{live_server.url}/review/")
    assert "需更换水箱配件" in office.content()
    shot(office, "field-07-office-review-extension")
    office.locator("#extensions ~ article button.primary").first.click()
    office.wait_for_load_state()
    assert "已批准延期" in office.content()
    extension = finding.current_notice.extensions.get()
    assert extension.status == ExtensionStatus.APPROVED
    assert extension.granted_deadline == dt.date.fromordinal(later)


def test_the_ledger_at_1366_px_keeps_dates_and_badges_on_one_line_and_cuts_long_descriptions(
        browser, live_server, city):
    long_text = "农贸市场东侧通道" + "垃圾堆放、占道经营、污水横流，" * 8 + "需立即清理"
    city.assigned(description=long_text)
    city.finding(description="公厕缺少洗手液")
    page = login(browser, live_server, "clerk", DESKTOP)
    page.goto(f"{live_server.url}/findings/")
    row = page.locator("table.ledger tbody tr").filter(has_text="农贸市场东侧通道").first
    line = float(page.evaluate("parseFloat(getComputedStyle(document.body).lineHeight) || 24"))
    for label in ("发现日期", "状态", "整改时限", "责任单位"):
        cell = row.locator(f'td[data-label="{label}"]')
        text_height = cell.evaluate(
            "td => { const r = document.createRange(); r.selectNodeContents(td); return r.getBoundingClientRect().height; }")
        assert text_height < 1.8 * line, f"{label} wraps: {cell.inner_text()!r}"
    description = row.locator("a.desc")
    assert description.evaluate("a => a.scrollWidth > a.clientWidth"), "the long description is not cut"
    assert description.evaluate("a => getComputedStyle(a).textOverflow") == "ellipsis"
    assert description.get_attribute("title").startswith("农贸市场东侧通道垃圾堆放")
    table_width = page.locator("table.ledger").evaluate("t => t.getBoundingClientRect().width")
    assert table_width <= DESKTOP["width"], "the table overflows the window"
    shot(page, "ledger-1366")
    page.context.close()


def test_a_citizen_report_from_a_phone_to_closure_and_not_fixed(browser, live_server, city, tmp_path):
    """随手拍 at 390×844: the citizen reports with a photo and the phone's location; the office accepts it;
    the unit fixes it; the office approves; the citizen sees 已销号 and answers 未整改; the office sees it."""
    from issues.models import CitizenReport, ReportStatus

    head = make_user("dongmen-head", Role.UNIT_HEAD, city.dongmen_sq)
    assert head.pk
    citizen_context = browser.new_context(viewport=PHONE, locale="zh-CN", permissions=["geolocation"],
                                          geolocation={"latitude": 22.543667, "longitude": 114.058333})
    citizen = citizen_context.new_page()
    citizen.csp_blocked = []
    citizen.on("console", lambda m: citizen.csp_blocked.append(m.text) if "Content Security Policy" in m.text else None)
    citizen.goto(f"{live_server.url}/report/")
    citizen.set_input_files("#id_photos", photo_file(tmp_path, "citizen.jpg", (150, 90, 60)))
    citizen.fill("#id_description", "东门路人行道井盖破损，很危险")
    citizen.select_option("#id_category", label=city.market_type.name)
    citizen.click("#use-location")
    citizen.wait_for_function("document.getElementById('id_latitude').value !== ''")
    assert "已定位：22.543667, 114.058333" in citizen.inner_text("#location-status")
    citizen.fill("#id_address", "东门路 12 号")
    citizen.fill("#id_phone", "13912345678")
    shot(citizen, "report-01-citizen-form")
    citizen.click("#report-form button.primary")
    citizen.wait_for_load_state()
    code = citizen.inner_text("#tracking-code")
    report = CitizenReport.objects.get(code=code)
    assert (float(report.latitude), float(report.longitude)) == (22.543667, 114.058333)
    assert citizen.locator(".qr img").evaluate("img => img.complete && img.naturalWidth") > 0  # drawn, not blocked
    shot(citizen, "report-02-citizen-tracking")

    office = login(browser, live_server, "clerk", PHONE)
    office.goto(f"{live_server.url}/reports/")
    assert "2 个工作日" in office.inner_text("#report-queue")
    shot(office, "report-03-office-queue")
    office.click(f"text={code}")
    office.wait_for_load_state()
    assert "13912345678" in office.content() and "高德地图" in office.content()
    shot(office, "report-04-office-report")
    office.click("#accept")
    office.wait_for_load_state()
    office.select_option("#id_lead_unit", label="东门社区")
    office.fill("#id_item_code", "NM-08 环境卫生")
    shot(office, "report-05-office-accept-form")
    office.click("button[name=save]")
    office.wait_for_load_state()
    assert "已登记并交办 东门社区" in office.content()
    report.refresh_from_db()
    assert report.status == ReportStatus.ACCEPTED and report.finding.photos.count() == 1

    unit = login(browser, live_server, "dongmen-head", PHONE)
    unit.click("text=提交整改")
    unit.wait_for_load_state()
    assert "13912345678" not in unit.content()
    unit.fill("#id_note", "已更换井盖")
    unit.set_input_files("#id_photos", photo_file(tmp_path, "fixed.jpg", (40, 190, 90)))
    unit.click("form#submit button.primary")
    unit.wait_for_load_state()

    office.goto(f"{live_server.url}/review/")
    office.click("text=复核通过，销号")
    office.wait_for_load_state()

    citizen.reload()
    assert "已销号" in citizen.inner_text("#report-steps")
    citizen.fill("#feedback-comment", "井盖还是松动的")
    shot(citizen, "report-06-citizen-closed")
    citizen.click("#feedback-form button.danger")
    citizen.wait_for_load_state()
    assert "感谢您的评价" in citizen.content()
    assert not citizen.csp_blocked, citizen.csp_blocked

    office.goto(f"{live_server.url}/reports/")
    assert "市民反馈未整改" in office.inner_text("#report-queue")
    assert "市民反馈未整改" in office.inner_text(".bell") or office.locator(".bell .count").count() == 1
    shot(office, "report-07-office-not-fixed")
    citizen_context.close()


def test_materials_from_a_phone_upload_to_a_green_matrix_and_a_higher_dashboard(browser, live_server, city, tmp_path):
    """A liaison uploads on a phone, the office returns it, the liaison uploads again, the office approves:
    the matrix turns green and the leader's dashboard's materials part goes from 0 to its whole weight."""
    import datetime as dt
    from decimal import Decimal

    from django.utils import timezone

    from issues.materials import services as materials
    from issues.models import AssessmentEdition, IndexItem, MaterialRequirement, MaterialState

    today = timezone.localdate()
    AssessmentEdition.objects.create(name="测评", assessed_on=today + dt.timedelta(days=150),
                                     index_system=city.item.system, is_current=True)
    IndexItem.objects.filter(pk=city.item.pk).update(points=Decimal("4"))
    requirement = materials.create_requirement(actor=city.office, item=city.item, title="环境卫生长效管理制度",
                                               lead_unit=city.dongmen_sq, due_on=today + dt.timedelta(days=20))
    pdf = tmp_path / "管理制度.pdf"
    pdf.write_bytes(b"%PDF-1.4\n% test\ntrailer<<>>\n%%EOF\n")
    effective = (today - dt.timedelta(days=30)).isoformat()

    leader = login(browser, live_server, "leader", DESKTOP)
    leader.goto(f"{live_server.url}/dashboard/")
    assert "0.00" in leader.inner_text("#predicted") and "1 项指标材料未齐全" in leader.content()

    liaison = login(browser, live_server, "dongmen", PHONE)
    liaison.goto(f"{live_server.url}/materials/")
    shot(liaison, "materials-01-unit-list")
    liaison.click("text=环境卫生长效管理制度")
    liaison.fill("#id_title", "东门社区环境卫生管理制度")
    liaison.fill("#id_effective_on", effective)
    liaison.set_input_files("#id_files", str(pdf))
    shot(liaison, "materials-02-unit-upload")
    liaison.click("#material-upload button.primary")
    liaison.wait_for_load_state()
    assert "材料已报送" in liaison.content()

    office = login(browser, live_server, "clerk", DESKTOP)
    office.goto(f"{live_server.url}/materials/review/")
    shot(office, "materials-03-office-queue")
    office.fill("textarea[name=reason]", "缺少单位盖章页")
    office.click("button.danger")
    office.wait_for_load_state()
    assert "已退回" in office.content()

    liaison.reload()
    assert "缺少单位盖章页" in liaison.content()
    liaison.fill("#id_title", "东门社区环境卫生管理制度（盖章版）")
    liaison.fill("#id_effective_on", effective)
    liaison.set_input_files("#id_files", str(pdf))
    liaison.click("#material-upload button.primary")
    liaison.wait_for_load_state()
    shot(liaison, "materials-04-unit-second-upload")

    office.goto(f"{live_server.url}/materials/review/")
    office.click("text=审核通过")
    office.wait_for_load_state()
    assert MaterialRequirement.objects.get(pk=requirement.pk).status == MaterialState.APPROVED
    office.goto(f"{live_server.url}/materials/matrix/?category={city.item.category_id}")
    shot(office, "materials-05-matrix-green")
    assert office.locator("#material-matrix td.m-approved").count() == 1

    leader.reload()
    shot(leader, "materials-06-leader-dashboard")
    assert "39.70" in leader.inner_text("#predicted") and "材料全部齐全" in leader.content()


def test_a_survey_answered_on_a_phone_from_its_qr_link(browser, live_server, city):
    """问卷 at 390×844: the office makes a poster link; its QR code is the link's address; a resident opens
    it on a phone, picks 居民 and the district, answers (the progress bar follows), and the leader's
    results count the answer."""
    import datetime as dt

    from django.utils import timezone

    from issues.models import SurveyResponse
    from issues.surveys import services as surveys
    from issues.views.public import qr_image
    from tests.test_surveys import bank

    today = timezone.localdate()
    survey = surveys.create_survey(actor=city.office, name="本月群众满意度调查", starts_on=today - dt.timedelta(days=10),
                                   ends_on=today + dt.timedelta(days=20), versions=[("A", "居民"), ("B", "学生")],
                                   current=True)
    for question in bank():
        for version in survey.versions.all():
            surveys.add_question(actor=city.office, version=version, question=question)
    office = login(browser, live_server, "clerk", PHONE)
    office.goto(f"{live_server.url}/surveys/{survey.pk}/")
    office.fill("#link-form #id_label", "海报·东门菜市场")
    office.click("#link-form button.primary")
    office.wait_for_load_state()
    card = office.locator(".link-card").first
    url = card.locator("a.break").inner_text()
    assert card.locator("img").get_attribute("src") == qr_image(url)  # the QR code is this address, drawn here
    assert card.locator("img").evaluate("img => img.complete && img.naturalWidth") > 0
    shot(office, "survey-01-office-link")

    resident = browser.new_context(viewport=PHONE, locale="zh-CN").new_page()
    resident.csp_blocked = []
    resident.on("console", lambda m: resident.csp_blocked.append(m.text) if "Content Security Policy" in m.text else None)
    resident.goto(url)
    resident.click("text=居民")
    resident.wait_for_load_state()
    resident.select_option("#id_district", label="城东区")
    assert resident.locator("#survey-progress").evaluate("p => p.value") == 0
    fieldsets = resident.locator("fieldset.question")
    assert fieldsets.count() == 5
    fieldsets.nth(0).locator("label.option", has_text="知道").first.click()
    fieldsets.nth(1).locator("label.option", has_text="支持").first.click()
    fieldsets.nth(2).locator("label.option", has_text="志愿服务").click()
    fieldsets.nth(2).locator("label.option", has_text="文明劝导").click()
    assert resident.locator("#survey-progress").evaluate("p => p.value") == 3
    fieldsets.nth(3).locator("label.option", has_text="比较满意").click()
    fieldsets.nth(4).locator("textarea").fill("菜市场门口希望多设垃圾桶")
    assert resident.inner_text("#survey-progress-text") == "5 / 5"
    width = resident.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the survey is {width} px wide on a 390 px phone"
    shot(resident, "survey-02-resident-form")
    resident.click("#survey-form button.primary")
    resident.wait_for_load_state()
    assert "提交成功" in resident.content()
    shot(resident, "survey-03-resident-thanks")
    resident.goto(url)
    assert "已经提交过" in resident.content()  # once per phone

    response = SurveyResponse.objects.get()
    assert response.district == city.east and response.version.code == "A"
    leader = login(browser, live_server, "leader", PHONE)
    leader.goto(f"{live_server.url}/surveys/{survey.pk}/results/")
    assert leader.inner_text("#rates .tile b >> nth=0") == "1"
    assert "100.0%" in leader.inner_text("#rates")
    shot(leader, "survey-04-leader-results")
