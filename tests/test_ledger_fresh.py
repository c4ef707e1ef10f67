"""The ledger shows what the database holds now: every write is on the next view, whoever made it."""

import datetime as dt
import re

from django.test import Client

from issues.escalation.services import process_day
from issues.findings import services as svc
from issues.models import Finding, Unit


def ledger(client, query: dict | None = None) -> str:
    response = client.get("/findings/", query or {})
    assert response.status_code == 200
    return response.content.decode()


def test_a_notice_signed_for_leaves_the_unsigned_ledger_on_reload(client, city):
    finding, notice = city.assigned(description="市场垃圾未清运")
    client.force_login(city.office)
    assert "市场垃圾未清运" in ledger(client, {"unsigned": "on"})
    unit = Client()
    unit.force_login(city.dongmen_liaison)
    response = unit.post(f"/findings/{finding.pk}/acknowledge/")
    assert response.status_code == 302
    notice.refresh_from_db()
    assert notice.acknowledged_at is not None
    assert "市场垃圾未清运" not in ledger(client, {"unsigned": "on"})


def test_a_change_through_a_service_is_on_the_next_view(client, city):
    finding, _notice = city.assigned(description="市场垃圾")
    client.force_login(city.office)
    page = ledger(client)
    assert re.search(r"整改中 <b>1</b>", page) and "路面破损" not in page
    city.finding(description="路面破损", unit=city.xihu_sq)
    svc.void_finding(actor=city.office, finding_id=finding.pk, reason="重复登记")
    page = ledger(client)
    assert "路面破损" in page and re.search(r"待交办 <b>1</b>", page) and re.search(r"整改中 <b>0</b>", page)


def test_the_nightly_jobs_misses_are_on_the_next_view(client, city):
    finding, _notice = city.assigned(issued_on=dt.date(2026, 11, 2), deadline=dt.date(2026, 11, 6))
    client.force_login(city.office)
    assert re.search(r'data-label="未按期">0<', ledger(client))
    process_day(dt.date(2026, 11, 9))
    assert Finding.objects.get(pk=finding.pk).miss_count == 1
    assert re.search(r'data-label="未按期">1<', ledger(client))


def test_a_renamed_unit_is_on_the_next_view_and_in_the_filter(client, city):
    city.assigned(description="市场垃圾")
    client.force_login(city.office)
    assert "东门社区" in ledger(client)
    Unit.objects.filter(pk=city.dongmen_sq.pk).update(name="东门新社区")
    assert "东门新社区" in ledger(client)
    assert "东门新社区" in client.get("/options/units/").json()  # the unit filter's suggestions


def test_people_who_see_different_findings_see_their_own_ledger(client, city):
    city.assigned(description="东门的问题")
    city.assigned(description="西湖的问题", unit=city.xihu_sq)
    client.force_login(city.office)
    office_page = ledger(client)
    assert "东门的问题" in office_page and "西湖的问题" in office_page
    unit = Client()
    unit.force_login(city.outsider)
    unit_page = ledger(unit)
    assert "西湖的问题" in unit_page and "东门的问题" not in unit_page and "导入 Excel" not in unit_page


def test_each_language_gets_its_own_page(client, city):
    city.assigned()
    client.force_login(city.office)
    assert "问题台账" in ledger(client)
    client.post("/i18n/setlang/", {"language": "en", "next": "/findings/"})
    assert "问题台账" not in ledger(client)
