"""The leaders' dashboard: countdown, headline figures, live rankings with the bottom three, weak areas."""

import datetime as dt
import re
import zoneinfo
from decimal import Decimal

import pytest
import time_machine

from issues.findings import services as svc
from issues.models import Policy, RankingGroup, Unit
from tests.conftest import jpeg

SH = zoneinfo.ZoneInfo("Asia/Shanghai")
NOW = dt.datetime(2026, 11, 20, 9, tzinfo=SH)


def six_communities(city):
    group = RankingGroup.objects.create(name="社区")
    units = [Unit.objects.create(name=f"社区{i}", kind="community", ranking_group=group, is_civilized=i == 5)
             for i in range(6)]
    for unit, deduction in zip(units, ["0", "1", "3", "3", "6", "6"], strict=True):
        if deduction != "0":
            svc.register_finding(actor=city.office, lead_unit=unit, description=f"{unit.name}的问题",
                                 found_on=dt.date(2026, 11, 5), deduction=Decimal(deduction))
    return units


def test_countdown_and_headline_figures(client, city):
    Policy.objects.filter(pk=1).update(next_assessment_date=dt.date(2027, 1, 15))
    city.assigned(description="超期", issued_on=dt.date(2026, 11, 2), deadline=dt.date(2026, 11, 6))
    client.force_login(city.leader)
    with time_machine.travel(NOW, tick=False):
        page = client.get("/dashboard/").content.decode()
    assert re.search(r"距省测评还有 <b>56</b> 天", page)
    assert re.search(r'href="/findings/\?overdue=true"><b>1</b>', page)


def test_live_ranking_marks_the_bottom_three_with_ties(client, city):
    six_communities(city)
    client.force_login(city.leader)
    with time_machine.travel(NOW, tick=False):
        page = client.get("/dashboard/").content.decode()
    rows = re.findall(r'<tr class="(bottom)?">\s*<td data-label="名次">(\d+)</td>\s*<td data-label="单位"><a [^>]*>(社区\d)</a>',
                      page)
    assert [(name, rank, bool(bottom)) for bottom, rank, name in rows] == [
        ("社区0", "1", False), ("社区1", "2", False), ("社区2", "3", True), ("社区3", "3", True),
        ("社区4", "5", True), ("社区5", "5", True)]
    assert "后三位 · 连续1期" in page


def test_unit_users_see_only_their_own_ranking_row(client, city):
    units = six_communities(city)
    from issues.core.access import Role
    from tests.conftest import make_user

    liaison = make_user("sq2", Role.UNIT_LIAISON, units[2])
    client.force_login(liaison)
    with time_machine.travel(NOW, tick=False):
        page = client.get("/dashboard/").content.decode()
    assert "社区2" in page and "社区0" not in page and "社区4" not in page
    assert f'<a href="/units/{units[2].pk}/">社区2</a>' in page  # the row links to the unit's page
    assert client.get(f"/units/{units[2].pk}/").status_code == 200
    assert client.get(f"/units/{units[0].pk}/").status_code == 404


def test_every_number_links_to_exactly_its_findings(client, city):
    late, _ = city.assigned(description="超期甲", issued_on=dt.date(2026, 11, 2), deadline=dt.date(2026, 11, 6))
    city.assigned(description="未到期乙", issued_on=dt.date(2026, 11, 18), deadline=dt.date(2026, 11, 25))
    client.force_login(city.leader)
    with time_machine.travel(NOW, tick=False):
        page = client.get("/dashboard/").content.decode()
        link = re.search(r'href="(/findings/\?overdue=true)"><b>(\d+)</b>', page)
        ledger = client.get(link.group(1).replace("&amp;", "&")).content.decode()
    assert link.group(2) == "1"
    assert "超期甲" in ledger and "未到期乙" not in ledger


def test_weak_areas_by_category_and_site_type_link_to_the_ledger(client, city):
    city.assigned(site=city.market, item=city.item, description="市场卫生", deduction=Decimal("2"),
                  issued_on=dt.date(2026, 11, 10), deadline=dt.date(2026, 11, 30))
    client.force_login(city.office)
    with time_machine.travel(NOW, tick=False):
        page = client.get("/dashboard/").content.decode()
    assert "扣 2 分" in page
    # a finding of the same category found before the three months does not count, nor in the linked ledger
    city.assigned(site=city.market, item=city.item, description="去年的问题",
                  issued_on=dt.date(2025, 12, 1), deadline=dt.date(2025, 12, 5))
    for param, pk, name in (("category", city.item.category_id, "公共环境"),
                            ("site_type", city.market_type.pk, "集贸市场/农贸市场")):
        with time_machine.travel(NOW, tick=False):
            page = client.get("/dashboard/").content.decode()
        href = re.search(rf'href="(/findings/\?{param}={pk}&amp;found_from=2026-09-01[^"]*)">{name}</a>', page)
        assert href, f"no {param} link"
        with time_machine.travel(NOW, tick=False):
            ledger = client.get(href.group(1).replace("&amp;", "&")).content.decode()
        assert "市场卫生" in ledger and "去年的问题" not in ledger


def test_a_long_ranking_shows_top_and_bottom_and_the_whole_table_is_one_click_away(client, city):
    group = RankingGroup.objects.create(name="社区")
    units = [Unit.objects.create(name=f"长社区{i:02d}", kind="community", ranking_group=group) for i in range(30)]
    for i, unit in enumerate(units):
        if i:
            svc.register_finding(actor=city.office, lead_unit=unit, description=f"{unit.name}的问题",
                                 found_on=dt.date(2026, 11, 5), deduction=Decimal(i) / 10)
    client.force_login(city.leader)
    with time_machine.travel(NOW, tick=False):
        page = client.get("/dashboard/").content.decode()
        shown = re.findall(r'data-label="单位"><a [^>]*>(长社区\d\d)</a>', page)
        assert shown[:3] == ["长社区00", "长社区01", "长社区02"]
        assert shown[3:] == [f"长社区{i:02d}" for i in range(25, 30)]  # the bottom three and the two above
        assert "查看全部 30 个单位" in page
        table = client.get(f"/rankings/?group={group.pk}").content.decode()
    assert len(re.findall(r'data-label="单位"><a [^>]*>长社区\d\d</a>', table)) == 30
    assert table.count('<tr class="bottom">') == 3


def test_a_closed_periods_ranking_is_read_from_the_stored_entries(client, city):
    from issues.core.access import Role
    from issues.models import RankingEntry
    from issues.rankings import services as rankings
    from tests.conftest import make_user

    units = six_communities(city)
    october = rankings.month_period(dt.date(2026, 10, 1))
    svc.register_finding(actor=city.office, lead_unit=units[0], description="十月", found_on=dt.date(2026, 10, 5),
                         deduction=Decimal("9"))
    rankings.close_period(october)
    RankingEntry.objects.filter(period=october, unit=units[1]).update(score=Decimal("1.00"))  # stored, not recomputed
    client.force_login(city.leader)
    with time_machine.travel(NOW, tick=False):
        table = client.get(f"/rankings/?period={october.pk}").content.decode()
    assert "2026年10月" in table and "已关闭周期的定格结果" in table
    assert re.search(r'社区1</a></td>\s*<td data-label="得分">1.00</td>', table)
    liaison = make_user("sq3", Role.UNIT_LIAISON, units[3])
    client.force_login(liaison)
    with time_machine.travel(NOW, tick=False):
        own = client.get(f"/rankings/?period={october.pk}").content.decode()
    assert "社区3" in own and "社区1</a>" not in own and "共 6 个单位" in own


def test_trend_numbers_and_the_on_time_rate_open_the_findings_behind_them(client, city):
    import html
    import json

    from issues.escalation.services import run_escalations

    city.assigned(description="十月按期", issued_on=dt.date(2026, 10, 12), deadline=dt.date(2026, 10, 20))
    city.assigned(description="十月逾期", issued_on=dt.date(2026, 10, 13), deadline=dt.date(2026, 10, 16))
    city.assigned(description="十一月的", issued_on=dt.date(2026, 11, 3), deadline=dt.date(2026, 11, 10))
    run_escalations(today=dt.date(2026, 10, 19))  # 十月逾期 misses on the 16th; the others are not due yet
    client.force_login(city.leader)
    with time_machine.travel(NOW, tick=False):
        page = client.get("/dashboard/").content.decode()
        trend = json.loads(html.unescape(re.search(r'data-trend="([^"]*)"', page).group(1)))
        october = next(t for t in trend if t["label"] == "2026-10")
        assert (october["found"], october["misses"]) == (2, 1)
        found = client.get(october["found_url"]).content.decode()
        missed = client.get(october["missed_url"]).content.decode()
        due = client.get(re.search(r'href="(/findings/\?due_from=[^"]+)"', page).group(1).replace("&amp;", "&"))
    assert "共 2 个问题" in found and "十一月的" not in found
    assert "共 1 个问题" in missed and "十月逾期" in missed
    due = due.content.decode()
    assert "十一月的" in due and "十月按期" not in due  # November's notices due so far


def test_this_month_s_closures_are_compared_with_the_same_days_of_last_month(client, city):
    """On 5 December, 本月销号 is compared with 1-5 November, not with the whole of November."""
    from tests.conftest import jpeg

    def close(on: dt.date):
        with time_machine.travel(dt.datetime.combine(on, dt.time(10), tzinfo=SH), tick=False):
            finding, notice = city.assigned(issued_on=on, deadline=on + dt.timedelta(days=7))
            sub = svc.submit_fix(actor=city.dongmen_liaison, notice_id=notice.pk, note="已整改", photos=[jpeg()])
            svc.approve_submission(actor=city.office, submission_id=sub.pk, decided_on=on)

    for day in (dt.date(2026, 11, 3), dt.date(2026, 11, 4)):  # within 1-5 November
        close(day)
    for _ in range(5):
        close(dt.date(2026, 11, 20))  # later in November: not compared
    for _ in range(3):
        close(dt.date(2026, 12, 2))
    client.force_login(city.leader)
    with time_machine.travel(dt.datetime(2026, 12, 5, 9, tzinfo=SH), tick=False):
        page = client.get("/dashboard/").content.decode()
    tile = re.search(r"<b>(\d+)</b><span>本月销号</span><small class=\"delta\">([^<]+)</small>", page)
    assert tile and tile.group(1) == "3" and tile.group(2) == "较上月1–5日 +1"
    with time_machine.travel(dt.datetime(2026, 12, 1, 9, tzinfo=SH), tick=False):
        first_day = client.get("/dashboard/").content.decode()
    assert re.search(r"<span>本月销号</span><small class=\"delta\">较上月1日 [+-]\d+</small>", first_day)


@pytest.mark.parametrize("scheme", ["default", "composite"])
def test_the_city_s_month_so_far_equals_a_count_of_the_ledger_in_either_scheme(city, scheme):
    """The month's tiles for the city come from the monthly figures and the notices due counted now
    (per unit only when a composite score reads them): the same as counting the ledger itself."""
    from issues.escalation.services import run_escalations
    from issues.rankings import reads

    RankingGroup.objects.create(name="社区", scheme=scheme)
    _, met = city.assigned(description="按期", issued_on=dt.date(2026, 11, 2), deadline=dt.date(2026, 11, 9))
    svc.submit_fix(actor=city.dongmen_liaison, notice_id=met.pk, note="已整改", photos=[jpeg()],
                   submitted_at=dt.datetime(2026, 11, 6, 10, tzinfo=SH))
    svc.approve_submission(actor=city.office, submission_id=met.submissions.get().pk, decided_on=dt.date(2026, 11, 7))
    city.assigned(description="逾期", issued_on=dt.date(2026, 11, 3), deadline=dt.date(2026, 11, 10),
                  unit=city.chengguan)
    city.assigned(description="未到期", issued_on=dt.date(2026, 11, 12), deadline=dt.date(2026, 11, 30))
    run_escalations(today=dt.date(2026, 11, 11))
    today = dt.date(2026, 11, 20)
    with time_machine.travel(NOW, tick=False):
        now = reads.dashboard_figures(city.leader, today)["now"]
        counted = reads.period_figures(city.leader, dt.date(2026, 11, 1), today, today)
    # due so far: the met notice, the missed one and the second notice it brought (its deadline passed too)
    assert (now["due"], now["on_time_rate"]) == (3, 33.3)
    assert {k: v for k, v in now.items() if k != "misses"} == {k: v for k, v in counted.items() if k != "misses"}
