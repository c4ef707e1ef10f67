"""Login, the landing page, /healthz and the admin, as a browser meets them."""

import datetime as dt
import re
import zoneinfo

import pytest
import time_machine
from django.urls import reverse

from issues.findings import services as svc
from issues.models import AuditEvent, Finding, Notice

SH = zoneinfo.ZoneInfo("Asia/Shanghai")
PASSWORD = "pw-for-tests-2026"


def test_login_page_speaks_chinese_and_logs_in(client, city):
    page = client.get("/accounts/login/")
    assert page.status_code == 200 and "登录" in page.content.decode()
    response = client.post("/accounts/login/", {"username": "clerk", "password": PASSWORD})
    assert response.status_code == 302 and response.url == reverse("home")
    assert client.get("/", follow=True).redirect_chain[-1][0] == "/findings/"


def test_wrong_password_says_so(client, city):
    response = client.post("/accounts/login/", {"username": "clerk", "password": "wrong"})
    assert response.status_code == 200
    assert "用户名或密码不正确" in response.content.decode()


def test_english_is_available(client, city):
    client.post("/i18n/setlang/", {"language": "en", "next": "/accounts/login/"})
    page = client.get("/accounts/login/").content.decode()
    assert "Log in" in page and "登录" not in page


def test_anonymous_users_are_sent_to_login(client):
    response = client.get("/")
    assert response.status_code == 302 and response.url.startswith("/accounts/login/")


def test_dashboard_query_count_does_not_grow_with_rows_or_units(client, city, django_assert_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from issues.models import RankingGroup, Unit

    group = RankingGroup.objects.create(name="社区")
    first = Unit.objects.create(name="社区甲", kind="community", ranking_group=group)
    city.assigned(description="第一个问题", unit=first)
    client.force_login(city.leader)
    client.get("/dashboard/")  # creates this month's period

    def count():
        with CaptureQueriesContext(connection) as ctx:
            assert client.get("/dashboard/").status_code == 200
        return len(ctx.captured_queries)

    small = count()
    for i in range(30):
        unit = Unit.objects.create(name=f"社区{i}", kind="community", ranking_group=group)
        city.assigned(description=f"问题{i}", unit=unit)
    assert count() == small <= 40


def test_ledger_page_query_count_does_not_grow_with_its_rows(client, city):
    """A row shows only what the page read for it: no row reads its unit, site or anything else again."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    city.assigned(description="第一个问题", site=city.market, item=city.item)
    client.force_login(city.office)

    def count():
        with CaptureQueriesContext(connection) as ctx:
            page = client.get("/findings/?per_page=50")
        assert page.status_code == 200
        return len(ctx.captured_queries), page.content.decode()

    small, _ = count()
    for i in range(20):
        relapse = city.finding(description=f"问题{i}", site=city.market, item=city.item2, unit=city.east)
        if i % 2:
            svc.issue_notice(actor=city.office, finding_id=relapse.pk, issued_on=dt.date(2026, 11, 2),
                             deadline=dt.date(2026, 11, 9))
    many, html = count()
    assert many == small
    assert html.count("东门农贸市场") >= 21 and "城东区" in html and "问题19" in html


def test_healthz_reports_database_and_redis(client, settings, redis_server, db):
    settings.REDIS_URL = redis_server
    body = client.get("/healthz").json()
    assert body == {"status": "ok", "database": "ok", "redis": "ok"}


def test_healthz_says_when_redis_is_down(client, settings, db):
    settings.REDIS_URL = "redis://127.0.0.1:1/0"
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json()["redis"].startswith("error") and response.json()["status"] == "degraded"


ADMIN_MODELS = [
    "policy", "workcalendarday", "rankinggroup", "unit", "sitetype", "indexsystem", "indexcategory",
    "indexitem", "responsibility", "site", "inspectionround", "finding", "photo", "notice", "submission",
    "transferrequest", "escalationrule", "sanction", "rankingperiod", "rankingentry", "auditevent", "jobday",
    "notification", "outboundmessage",
]


@pytest.mark.parametrize("model", ADMIN_MODELS)
def test_every_model_has_a_working_admin_page_with_search_for_office_staff(client, city, model):
    city.assigned()
    city.office.is_staff = True
    city.office.save()
    client.force_login(city.office)
    response = client.get(f"/admin/issues/{model}/?q=东门")
    assert response.status_code == 200


def test_audit_log_and_ledger_rows_are_read_only_in_the_admin(client, city):
    finding, notice = city.assigned()
    city.office.is_staff = True
    city.office.save()
    client.force_login(city.office)
    event = AuditEvent.objects.filter(finding=finding).first()
    page = client.get(f"/admin/issues/auditevent/{event.pk}/change/").content.decode()
    assert 'type="submit"' not in page or "保存" not in page
    assert client.post(f"/admin/issues/auditevent/{event.pk}/delete/").status_code == 403
    assert client.post(f"/admin/issues/finding/{finding.pk}/delete/").status_code == 403
    assert client.get("/admin/issues/finding/add/").status_code == 403
    assert Finding.objects.count() == 1 and Notice.objects.count() == 1


def test_office_edits_configuration_in_the_admin(client, city):
    city.office.is_staff = True
    city.office.save()
    client.force_login(city.office)
    response = client.post(f"/admin/issues/unit/{city.dongmen.pk}/change/", {
        "name": "东门街道办事处", "short_names": "东门街道", "kind": "street", "parent": city.east.pk,
        "ranking_group": "", "is_active": "on",
        # a group robot's address pasted without its scheme is kept as https
        "wecom_webhook": "qyapi.weixin.qq.com/cgi-bin/webhook/send?key=abc",
    })
    assert response.status_code == 302, response.content.decode()[:2000]
    city.dongmen.refresh_from_db()
    assert city.dongmen.name == "东门街道办事处"
    assert city.dongmen.wecom_webhook == "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=abc"


def test_a_unit_cannot_become_its_own_ancestor(client, city):
    city.office.is_staff = True
    city.office.save()
    client.force_login(city.office)
    response = client.post(f"/admin/issues/unit/{city.east.pk}/change/", {
        "name": "城东区", "kind": "district", "parent": city.dongmen_sq.pk, "is_active": "on",
    })
    assert response.status_code == 200 and "上级单位不能是本单位或其下级单位" in response.content.decode()


def test_reviewing_through_services_shows_on_home_counts(client, city):
    _, notice = city.assigned()
    sub = svc.submit_fix(actor=city.dongmen_liaison, notice_id=notice.pk, note="已整改")
    svc.approve_submission(actor=city.office, submission_id=sub.pk)
    client.force_login(city.leader)
    page = client.get("/dashboard/").content.decode()
    assert re.search(r"<b>1</b><span>本月销号", page)


def test_chinese_is_the_default_even_for_an_english_browser(client, db):
    page = client.get("/accounts/login/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9").content.decode()
    assert "登录" in page and "Log in" not in page


def test_a_fix_waiting_for_review_is_not_shown_as_overdue(client, city):
    _, notice = city.assigned(description="等待复核", issued_on=dt.date(2026, 10, 20), deadline=dt.date(2026, 10, 23))
    svc.submit_fix(actor=city.dongmen_liaison, notice_id=notice.pk, note="已整改",
                   submitted_at=dt.datetime(2026, 10, 22, 10, tzinfo=SH))
    client.force_login(city.office)
    with time_machine.travel(dt.datetime(2026, 11, 2, 10, tzinfo=SH), tick=False):
        page = client.get("/dashboard/").content.decode()
        inbox = client.get("/inbox/").content.decode()
    assert 'class="overdue"' not in page and "<b>0</b><span>超期未整改" in page
    assert "已提交，待复核" in inbox and "超期" not in inbox


def test_every_text_of_the_english_catalogue_is_translated():
    """makemessages adds new texts untranslated and marks changed ones fuzzy: neither may be committed."""
    import re

    from tests.conftest import ROOT

    entries = (ROOT / "locale" / "en" / "LC_MESSAGES" / "django.po").read_text().split("\n\n")[1:]
    live = [e for e in entries if not e.lstrip().startswith("#~")]
    fuzzy = [e for e in live if re.search(r"^#, .*fuzzy", e, re.M)]
    untranslated = [e for e in live if re.search(r'^msgstr(\[\d\])? ""\n(?!")', e + "\n", re.M)]
    assert not fuzzy and not untranslated, (fuzzy + untranslated)[:5]
