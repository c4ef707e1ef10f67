"""Scores, ranks and the bottom three, by hand-computed examples and against a recount."""

import datetime as dt
import zoneinfo
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from issues.core.exceptions import LedgerError
from issues.escalation.services import run_escalations
from issues.findings import services as svc
from issues.models import (
    AuditEvent,
    Finding,
    Notice,
    PeriodStatus,
    RankingEntry,
    RankingGroup,
    RankingPeriod,
    RankingScheme,
    Unit,
)
from issues.rankings import figures
from issues.rankings import services as rankings

D = dt.date
SH = zoneinfo.ZoneInfo("Asia/Shanghai")
NOV = (D(2026, 11, 1), D(2026, 11, 30))


def group_of(city, *units, name="社区", scheme=RankingScheme.DEFAULT):
    group = RankingGroup.objects.create(name=name, scheme=scheme)
    Unit.objects.filter(pk__in=[u.pk for u in units]).update(ranking_group=group)
    return group


def entries(period):
    return {e.unit.name: e for e in RankingEntry.objects.filter(period=period).select_related("unit")}


def test_rank_and_mark_ties_at_the_edge_are_all_in():
    scores = dict(enumerate([Decimal(v) for v in (100, 99, 97, 97, 94, 94)]))
    marks = figures.rank_and_mark(scores, k=3, judged=True)
    assert [marks[i] for i in range(6)] == [(1, False), (2, False), (3, True), (3, True), (5, True), (5, True)]


def test_rank_and_mark_best_score_and_all_equal_are_never_in():
    all_same = figures.rank_and_mark(dict.fromkeys(range(6), Decimal(90)), k=3, judged=True)
    assert all(rank == 1 and not bottom for rank, bottom in all_same.values())
    two_levels = figures.rank_and_mark({0: Decimal(90), 1: Decimal(90), 2: Decimal(80), 3: Decimal(80), 4: Decimal(80),
                                         5: Decimal(80)}, k=3, judged=True)
    assert not two_levels[0][1] and not two_levels[1][1]  # sharing the best score
    assert all(two_levels[i][1] for i in range(2, 6))  # fewer than 3 scored lower than 80


def test_default_score_by_hand(city):
    group_of(city, city.dongmen_sq, city.xihu_sq)
    period = rankings.month_period(D(2026, 11, 1))
    svc.register_finding(actor=city.office, lead_unit=city.dongmen_sq, description="a", found_on=D(2026, 11, 3),
                         deduction=Decimal("1.5"))
    svc.register_finding(actor=city.office, lead_unit=city.dongmen_sq, description="b", found_on=D(2026, 11, 20),
                         deduction=Decimal("2"))
    svc.register_finding(actor=city.office, lead_unit=city.dongmen_sq, description="十月的不算", found_on=D(2026, 10, 31),
                         deduction=Decimal("9"))
    _, notice = city.assigned(issued_on=D(2026, 11, 2), deadline=D(2026, 11, 4), deduction=Decimal("0.5"))
    svc.record_miss(notice_id=notice.pk, missed_on=D(2026, 11, 4), kind="deadline")
    # a relapse found in November: same site and item as one closed in October
    old, n = city.assigned(site=city.market, item=city.item, issued_on=D(2026, 10, 10), deadline=D(2026, 10, 15),
                           deduction=Decimal("0"))
    sub = svc.submit_fix(actor=city.dongmen_liaison, notice_id=n.pk, note="ok",
                         submitted_at=dt.datetime(2026, 10, 14, 9, tzinfo=SH))
    svc.approve_submission(actor=city.office, submission_id=sub.pk, decided_on=D(2026, 10, 16))
    relapse = svc.register_finding(actor=city.office, lead_unit=city.dongmen_sq, description="反弹", site=city.market,
                                   index_item=city.item, found_on=D(2026, 11, 25), deduction=Decimal("1"))
    assert relapse.relapse_of == old
    rankings.close_period(period)
    got = entries(period)
    dongmen = got["东门社区"]
    # 100 - (1.5 + 2 + 0.5 + 1) - 2 x 1 miss - 5 x 1 relapse
    assert dongmen.score == Decimal("88.00") and dongmen.findings_count == 4 and dongmen.miss_count == 1
    assert dongmen.relapse_count == 1 and dongmen.deduction_total == Decimal("5.00")
    assert got["西湖社区"].score == Decimal("100.00") and got["西湖社区"].findings_count == 0  # no findings: ranked too
    assert (got["西湖社区"].rank, dongmen.rank) == (1, 2)
    assert not dongmen.in_bottom  # a group of two is too small to judge
    assert got["西湖社区"].on_time_rate is None  # nothing due: no rate, not 0 or 100


def test_void_findings_do_not_count(city):
    group_of(city, city.dongmen_sq)
    period = rankings.month_period(D(2026, 11, 1))
    finding = svc.register_finding(actor=city.office, lead_unit=city.dongmen_sq, description="误报",
                                   found_on=D(2026, 11, 3), deduction=Decimal("3"))
    svc.void_finding(actor=city.office, finding_id=finding.pk, reason="误报")
    rankings.close_period(period)
    assert entries(period)["东门社区"].score == Decimal("100.00")


def test_six_units_with_ties_mark_four_in_the_bottom_three(city):
    units = [Unit.objects.create(name=f"社区{i}", kind="community") for i in range(6)]
    group_of(city, *units)
    for unit, deduction in zip(units, ["0", "1", "3", "3", "6", "6"], strict=True):
        if deduction != "0":
            svc.register_finding(actor=city.office, lead_unit=unit, description="x", found_on=D(2026, 11, 5),
                                 deduction=Decimal(deduction))
    period = rankings.month_period(D(2026, 11, 1))
    rankings.close_period(period)
    got = entries(period)
    assert [(got[f"社区{i}"].score, got[f"社区{i}"].rank, got[f"社区{i}"].in_bottom) for i in range(6)] == [
        (Decimal("100.00"), 1, False), (Decimal("99.00"), 2, False), (Decimal("97.00"), 3, True),
        (Decimal("97.00"), 3, True), (Decimal("94.00"), 5, True), (Decimal("94.00"), 5, True)]


def test_the_composite_scheme_by_hand_and_zero_denominators(city):
    units = [city.dongmen_sq, city.xihu_sq]
    group_of(city, *units, scheme=RankingScheme.COMPOSITE)
    # dongmen: two notices due in November, one fixed on time, one missed at its deadline
    f1, n1 = city.assigned(issued_on=D(2026, 11, 2), deadline=D(2026, 11, 9))
    sub = svc.submit_fix(actor=city.dongmen_liaison, notice_id=n1.pk, note="ok",
                         submitted_at=dt.datetime(2026, 11, 6, 9, tzinfo=SH))
    svc.approve_submission(actor=city.office, submission_id=sub.pk, decided_on=D(2026, 11, 10))
    f2, n2 = city.assigned(issued_on=D(2026, 11, 2), deadline=D(2026, 11, 10))
    svc.record_miss(notice_id=n2.pk, missed_on=D(2026, 11, 10), kind="deadline")
    Notice.objects.filter(finding=f2, seq=2).update(deadline=D(2026, 12, 3))  # its next notice is due in December
    period = rankings.month_period(D(2026, 11, 1))
    rankings.close_period(period)
    got = entries(period)
    figures = got["东门社区"].figures
    assert (figures["due"], figures["handled"], figures["on_time"], figures["overdue"]) == (2, 1, 1, 1)
    assert (figures["handled_rate"], figures["rework_rate"]) == ("0.5000", "0.0000")
    # 30 x 0.5 + 20 x 0.5 + 20 x (1 - 0) + 20 x (1 - 0.5) + 10 x (1 - 0)
    assert got["东门社区"].score == Decimal("65.00")
    assert got["西湖社区"].score == Decimal("100.00") and got["西湖社区"].figures["on_time_rate"] is None


def test_imported_results_take_the_place_of_computed_ones(city):
    units = [Unit.objects.create(name=f"社区{i}", kind="community") for i in range(6)]
    group = group_of(city, *units)
    period = rankings.month_period(D(2026, 11, 1))
    scores = {u.pk: Decimal(v) for u, v in zip(units, [95, 90, 90, 85, 80, 70], strict=True)}
    rankings.enter_external_results(actor=city.office, period_id=period.pk, group_id=group.pk, scores=scores)
    svc.register_finding(actor=city.office, lead_unit=units[0], description="x", found_on=D(2026, 11, 5),
                         deduction=Decimal("50"))
    rankings.close_period(period)
    got = entries(period)
    assert got["社区0"].score == Decimal("95.00") and got["社区0"].source == "imported"
    assert [got[f"社区{i}"].in_bottom for i in range(6)] == [False, False, False, True, True, True]
    with pytest.raises(LedgerError, match="已关闭"):
        rankings.enter_external_results(actor=city.office, period_id=period.pk, group_id=group.pk, scores=scores)
    with pytest.raises(LedgerError, match="不属于排名分组"):
        rankings.reopen_period(actor=city.office, period_id=period.pk, reason="更正")
        rankings.enter_external_results(actor=city.office, period_id=period.pk, group_id=group.pk,
                                        scores={city.dongmen_sq.pk: Decimal(1)})


def test_the_nightly_job_closes_the_month_on_its_last_day_and_it_stays_frozen(city):
    group_of(city, city.dongmen_sq, city.xihu_sq)
    city.assigned(issued_on=D(2026, 11, 20), deadline=D(2026, 11, 24))
    run_escalations(today=D(2026, 12, 2))
    november = RankingPeriod.objects.get(start=D(2026, 11, 1))
    assert november.status == PeriodStatus.CLOSED and november.closed_on == D(2026, 11, 30)
    assert RankingPeriod.objects.get(start=D(2026, 12, 1)).status == PeriodStatus.OPEN
    before = list(RankingEntry.objects.values_list("unit_id", "score", "rank"))
    svc.register_finding(actor=city.office, lead_unit=city.xihu_sq, description="迟到的登记", found_on=D(2026, 11, 10),
                         deduction=Decimal("10"))
    assert rankings.close_period(november) == 0
    assert list(RankingEntry.objects.values_list("unit_id", "score", "rank")) == before
    with pytest.raises(LedgerError, match="原因"):
        rankings.reopen_period(actor=city.office, period_id=november.pk, reason="")
    rankings.reopen_period(actor=city.office, period_id=november.pk, reason="补登记了一个11月的问题")
    assert AuditEvent.objects.filter(action="period_reopened").exists()
    rankings.close_period(november)
    assert entries(november)["西湖社区"].score == Decimal("90.00")
    assert RankingEntry.objects.count() == 2  # recomputed in place


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(st.integers(0, 3), st.integers(0, 29), st.sampled_from(["0", "0.5", "1", "2.5"]),
                          st.sampled_from(["open", "miss", "fix", "void"])), min_size=1, max_size=25))
def test_stored_figures_equal_a_recount(city, ledger):
    units = [city.dongmen_sq, city.xihu_sq, city.dongmen, city.chengguan]
    group = RankingGroup.objects.get_or_create(name="随机")[0]
    Unit.objects.filter(pk__in=[u.pk for u in units]).update(ranking_group=group)
    RankingEntry.objects.all().delete()
    RankingPeriod.objects.all().delete()
    for u_index, day, deduction, fate in ledger:
        found = D(2026, 11, 1) + dt.timedelta(days=day)
        finding = svc.register_finding(actor=city.office, lead_unit=units[u_index], description="x", found_on=found,
                                       deduction=Decimal(deduction))
        if fate == "void":
            svc.void_finding(actor=city.office, finding_id=finding.pk, reason="误报")
            continue
        notice = svc.issue_notice(actor=city.office, finding_id=finding.pk, issued_on=found,
                                  deadline=found + dt.timedelta(days=1))
        if fate == "miss":
            svc.record_miss(notice_id=notice.pk, missed_on=notice.deadline, kind="deadline")
        elif fate == "fix":
            sub = svc.submit_fix(actor=city.office, notice_id=notice.pk, note="ok",
                                 submitted_at=dt.datetime.combine(found, dt.time(10), tzinfo=SH))
            svc.approve_submission(actor=city.office, submission_id=sub.pk, decided_on=found)
    period = rankings.month_period(D(2026, 11, 1))
    rankings.close_period(period)
    for unit in units:
        entry = RankingEntry.objects.get(period=period, unit=unit)
        mine = [f for f in Finding.objects.filter(lead_unit=unit) if NOV[0] <= f.found_on <= NOV[1]
                and f.status != "void"]
        misses = [n for n in Notice.objects.filter(unit=unit, outcome="missed") if NOV[0] <= n.outcome_on <= NOV[1]]
        assert entry.findings_count == len(mine)
        assert entry.deduction_total == sum((f.deduction for f in mine), Decimal("0"))
        assert entry.miss_count == len(misses)
        relapses = sum(1 for f in mine if f.relapse_of_id)
        assert entry.relapse_count == relapses
        expected = max(Decimal(100) - entry.deduction_total - 2 * len(misses) - 5 * relapses, Decimal(0))
        assert entry.score == expected


# --- the periods page -----------------------------------------------------------------------------


def test_office_closes_a_finished_period_and_reopens_it_with_a_reason(client, city):
    group_of(city, city.dongmen_sq, city.xihu_sq)
    october = rankings.month_period(D(2026, 10, 1))
    client.force_login(city.office)
    response = client.post(f"/periods/{october.pk}/close/", follow=True)
    assert "已关闭，计算了 2 个单位的排名" in response.content.decode()
    october.refresh_from_db()
    assert october.status == PeriodStatus.CLOSED
    response = client.post(f"/periods/{october.pk}/reopen/", {"reason": ""}, follow=True)
    assert "必须填写原因" in response.content.decode()
    client.post(f"/periods/{october.pk}/reopen/", {"reason": "补录十月问题"})
    october.refresh_from_db()
    assert october.status == PeriodStatus.OPEN


def test_a_period_not_yet_over_cannot_be_closed_by_hand(client, city):
    future = rankings.month_period(D(2099, 1, 1))
    client.force_login(city.office)
    response = client.post(f"/periods/{future.pk}/close/", follow=True)
    assert "尚未结束" in response.content.decode()
    future.refresh_from_db()
    assert future.status == PeriodStatus.OPEN


def test_office_enters_external_results_by_name_or_short_name(client, city):
    units = [Unit.objects.create(name=f"社区{i}", short_names=f"甲{i}", kind="community") for i in range(6)]
    group = group_of(city, *units)
    period = rankings.month_period(D(2026, 11, 1))
    client.force_login(city.office)
    bad = client.post(f"/periods/{period.pk}/results/", {"group": group.pk, "scores": "社区0, 九十\n外人 80"})
    page = bad.content.decode()
    assert bad.status_code == 400 and "第1行：得分“九十”不是数字" in page and "第2行：“外人”不是本分组的单位" in page
    lines = "\n".join(["社区0 95", "甲1，90", "社区2\t90", "社区3,85", "社区4, 80", "社区5 70"])
    client.post(f"/periods/{period.pk}/results/", {"group": group.pk, "scores": lines})
    got = entries(period)
    assert got["社区1"].score == Decimal("90.00") and got["社区1"].source == "imported"
    assert [got[f"社区{i}"].in_bottom for i in range(6)] == [False, False, False, True, True, True]


def test_external_results_refuse_a_short_name_two_units_share_as_the_excel_import_does(client, city):
    units = [Unit.objects.create(name=f"社区{i}", short_names="同名" if i < 2 else f"乙{i}", kind="community")
             for i in range(6)]
    group = group_of(city, *units)
    period = rankings.month_period(D(2026, 11, 1))
    client.force_login(city.office)
    lines = "\n".join(["同名 95", *(f"社区{i} 90" for i in range(1, 6))])
    response = client.post(f"/periods/{period.pk}/results/", {"group": group.pk, "scores": lines})
    assert response.status_code == 400
    assert "第1行：简称“同名”对应多个单位，请写全称" in response.content.decode()
    assert not RankingEntry.objects.filter(period=period).exists()


def test_only_the_office_changes_periods(client, city):
    period = rankings.month_period(D(2026, 10, 1))
    client.force_login(city.leader)
    assert client.get("/periods/").status_code == 200
    assert client.post(f"/periods/{period.pk}/close/").status_code == 403
    client.force_login(city.dongmen_liaison)
    assert client.get("/periods/").status_code == 403


def test_a_streak_stops_at_a_gap_between_closed_periods(city):
    """DOMAIN.md: a streak is consecutive closed periods with no gap; the dashboard and R4/R5 share it."""
    group = group_of(city, city.dongmen_sq, city.xihu_sq)
    months = [rankings.month_period(D(2026, m, 1)) for m in (8, 9, 10)]
    for period in months:
        RankingEntry.objects.create(period=period, group=group, unit=city.dongmen_sq, score=90, rank=2, in_bottom=True)
    RankingPeriod.objects.filter(pk__in=[months[0].pk, months[2].pk]).update(status=PeriodStatus.CLOSED)
    run = figures.closed_run_before(D(2026, 11, 1), "month")
    assert [p.name for p in run] == ["2026年10月"]  # September is still open: August does not count
    assert figures.bottom_streaks(run, [city.dongmen_sq.pk, city.xihu_sq.pk]) == {city.dongmen_sq.pk: 1,
                                                                                  city.xihu_sq.pk: 0}
    RankingPeriod.objects.filter(pk=months[1].pk).update(status=PeriodStatus.CLOSED)
    run = figures.closed_run_before(D(2026, 11, 1), "month")
    assert figures.bottom_streaks(run, [city.dongmen_sq.pk])[city.dongmen_sq.pk] == 3
