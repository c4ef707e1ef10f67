"""Every role's main pages checked with axe-core (from npm) in Chromium, on a phone and a desktop
window: no serious or critical violation (contrast, names of buttons and links, labels, structure)."""

import datetime as dt
import json

import pytest
from django.utils import timezone

from issues.core.access import Role
from issues.field import mock
from issues.findings import services as svc
from issues.materials import services as materials
from issues.models import AssessmentEdition
from issues.reports import services as reports
from issues.surveys import services as surveys
from tests.conftest import ROOT, jpeg, make_user
from tests.test_browser import DESKTOP, PHONE, browser, login  # noqa: F401 - browser is a fixture
from tests.test_surveys import bank as survey_bank

AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"


# besides every serious and critical violation: headings that skip a level, and a control whose
# accessible name does not contain its visible text (both found on the review page and the bell once)
ALSO = {"heading-order", "label-content-name-mismatch"}


def axe_violations(page) -> list[dict]:
    """axe-core's serious and critical findings on the page as it is now, and those of ALSO."""
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("""() => axe.run(document, {
        resultTypes: ['violations'], rules: {'label-content-name-mismatch': {enabled: true}}})""")
    return [
        {"rule": v["id"], "impact": v["impact"], "help": v["help"],
         "where": [node["target"] for node in v["nodes"][:3]]}
        for v in result["violations"] if v["impact"] in ("serious", "critical") or v["id"] in ALSO
    ]


@pytest.fixture
def ledger_with_everything(city):
    """A void finding (its badge), a rejected and a pending fix (the review queue), a notice not yet
    signed for, and a notification, so every badge and box the pages can show is on them."""
    voided = city.finding(description="重复登记")
    svc.void_finding(actor=city.office, finding_id=voided.pk, reason="与另一条重复")
    finding, notice = city.assigned(description="农贸市场垃圾未清运")
    first = svc.submit_fix(actor=city.dongmen_liaison, notice_id=notice.pk, note="已清理", photos=[jpeg()])
    svc.reject_submission(actor=city.office, submission_id=first.pk, reason="角落仍有垃圾")
    finding.refresh_from_db()
    svc.submit_fix(actor=city.dongmen_liaison, notice_id=finding.current_notice_id, note="已彻底清理",
                   photos=[jpeg((10, 200, 10))])
    city.assigned(description="公厕缺少洗手液", unit=city.dongmen_sq)
    return finding


PAGES = {
    "clerk": ["/findings/", "/findings/new/", "/findings/{finding}/", "/review/", "/dashboard/", "/imports/",
              "/sites/", "/rounds/", "/sanctions/", "/periods/", "/notifications/", "/accounts/password/",
              "/reports/", "/reports/{report}/", "/reports/{report}/accept/", "/assessment/",
              "/assessment/field/", "/materials/", "/materials/{requirement}/", "/materials/review/",
              "/materials/matrix/", "/rounds/{round}/", "/surveys/", "/surveys/{survey}/",
              "/surveys/{survey}/paper/", "/surveys/{survey}/results/"],
    "leader": ["/dashboard/", "/rankings/", "/findings/{finding}/", "/materials/matrix/", "/surveys/{survey}/results/"],
    "dongmen": ["/inbox/", "/findings/{finding}/", "/findings/", "/dashboard/", "/notifications/", "/materials/",
                "/materials/{requirement}/"],
}


@pytest.mark.parametrize("viewport_name", ["phone", "desktop"])
def test_the_main_pages_of_each_role_pass_axe(browser, live_server, city, ledger_with_everything,  # noqa: F811
                                              viewport_name):
    assert AXE.exists(), "node_modules/axe-core is missing: run the tests through `make test`, which installs it"
    viewport = PHONE if viewport_name == "phone" else DESKTOP
    make_user("leader-2", Role.LEADER)  # a second leader keeps the dashboard's ranking groups realistic
    found = {}
    # a current assessment edition (the dashboard's predicted row, the field page)
    AssessmentEdition.objects.create(name="2027年测评", assessed_on=dt.date(2027, 5, 20),
                                     index_system=city.item.system, is_current=True)
    # a citizen report waiting for triage, and the finding on the exposure board
    report = reports.submit_report(description="井盖破损", photos=[jpeg()], address="东门路 12 号", phone="13912345678")
    reports.expose_finding(actor=city.office, finding_id=ledger_with_everything.pk,
                           photo_ids=[p.pk for p in ledger_with_everything.photos.all()])
    # a requirement with an upload waiting for review (the upload form, the queue, the matrix), a mock draw
    requirement = materials.create_requirement(actor=city.office, item=city.item, title="长效管理制度",
                                               lead_unit=city.dongmen_sq, due_on=dt.date(2027, 3, 1))
    materials.submit_material(actor=city.dongmen_liaison, requirement_id=requirement.pk, title="管理制度",
                              effective_on=dt.date(2026, 9, 1), uploads=[("制度.pdf", b"%PDF-1.4 test")])
    drawn = mock.draw_mock_round(actor=city.office, name="模拟测评", held_on=dt.date(2026, 12, 4), per_type=2, seed=7)
    # a survey open today with its questions, a link and an answer (the public form, paper entry, results)
    today = timezone.localdate()
    survey = surveys.create_survey(actor=city.office, name="群众满意度调查", starts_on=today - dt.timedelta(days=5),
                                   ends_on=today + dt.timedelta(days=5), versions=[("A", "居民"), ("B", "学生")])
    for question in survey_bank():
        for version in survey.versions.all():
            surveys.add_question(actor=city.office, version=version, question=question)
    link = surveys.create_link(actor=city.office, survey=survey, label="海报")
    version = survey.versions.get(code="A")
    surveys.submit_response(survey=survey, version=version, respondent=surveys.Respondent(district=city.east),
                            answers={p.pk: [1] for p in version.questions.all()})
    anonymous = browser.new_context(viewport=viewport, locale="zh-CN", bypass_csp=True)
    page = anonymous.new_page()
    for path in ("/accounts/login/", "/report/", f"/report/{report.code}/", "/public/exposure/", "/public/praise/",
                 f"/s/{link.token}/", f"/s/{link.token}/?v=A", f"/s/{link.token}/thanks/"):
        page.goto(live_server.url + path)
        found[f"anonymous {path}"] = axe_violations(page)
    anonymous.close()
    for username, paths in PAGES.items():
        # bypass_csp: axe-core is injected as a script the page's own policy would refuse
        page = login(browser, live_server, username, viewport, bypass_csp=True)
        for path in paths:
            page.goto(live_server.url + path.format(finding=ledger_with_everything.pk, report=report.pk,
                                                    requirement=requirement.pk, round=drawn.pk, survey=survey.pk))
            assert page.title() and "没有找到" not in page.title(), path
            found[f"{username} {path}"] = axe_violations(page)
        page.context.close()
    failures = {where: v for where, v in found.items() if v}
    assert not failures, json.dumps(failures, ensure_ascii=False, indent=1)


def test_axe_finds_a_violation_when_there_is_one(browser, live_server, city, tmp_path):  # noqa: F811
    """The check itself can fail: a button without a name and grey text on grey."""
    page = login(browser, live_server, "clerk", DESKTOP, bypass_csp=True)
    page.set_content('<html lang="zh"><head><title>t</title></head><body><main><h1>t</h1>'
                     '<button></button><p style="color:#aaa;background:#bbb">看不清</p></main></body></html>')
    rules = {v["rule"] for v in axe_violations(page)}
    assert {"button-name", "color-contrast"} <= rules
    page.context.close()

