"""The monthly figures the dashboard reads stay equal to a recount of the ledger, whatever the office does."""

import datetime as dt
import re
import zoneinfo
from decimal import Decimal

import pytest
import time_machine
from django.core.management import CommandError, call_command
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from issues.core.exceptions import LedgerError
from issues.escalation.services import record_misses_due, run_escalations
from issues.findings import services as svc
from issues.models import AreaMonth, Finding, MonthEndStock, Notice, RankingGroup, Submission, Unit, UnitMonth
from issues.rankings import aggregates
from issues.rankings import reads as selectors
from issues.rankings import services as rankings

D = dt.date
SH = zoneinfo.ZoneInfo("Asia/Shanghai")
MONTHS = [D(2026, 9, 1), D(2026, 10, 1), D(2026, 11, 1)]


def month(day):
    return day.replace(day=1)


def recount_by_hand() -> dict:
    """UnitMonth's main fields counted row by row in Python, without the aggregation code."""
    out: dict = {}

    def bump(unit_id, day, name, by=1):
        row = out.setdefault((unit_id, month(day)), dict.fromkeys(("found", "closed", "due", "misses", "deductions",
                                                                    "rejected"), 0))
        row[name] += by

    for f in Finding.objects.all():
        if f.status != "void":
            bump(f.lead_unit_id, f.found_on, "found")
            bump(f.lead_unit_id, f.found_on, "deductions", f.deduction)
        if f.closed_on:
            bump(f.lead_unit_id, f.closed_on, "closed")
    for n in Notice.objects.all():
        if n.outcome not in ("superseded", "void"):
            bump(n.unit_id, n.deadline, "due")
        if n.outcome == "missed":
            bump(n.unit_id, n.outcome_on, "misses")
    for s in Submission.objects.select_related("notice"):
        if s.decision == "rejected":
            bump(s.notice.unit_id, s.decided_on, "rejected")
    return {key: row for key, row in out.items() if any(row.values())}


def stored() -> dict:
    return {(r.unit_id, r.month): {"found": r.found, "closed": r.closed, "due": r.due, "misses": r.misses,
                                   "deductions": r.deductions, "rejected": r.rejected}
            for r in UnitMonth.objects.all()}


ACTIONS = st.sampled_from(["open", "miss", "fix", "late-fix", "reject", "void", "transfer", "move-deadline", "reopen"])


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(st.integers(0, 3), st.integers(0, 85), st.sampled_from(["0", "0.5", "2"]),
                          st.booleans(), ACTIONS), min_size=1, max_size=14))
def test_monthly_figures_equal_a_recount_after_any_sequence_of_acts(city, ledger):
    try:
        with transaction.atomic():  # each example starts from an empty ledger
            acts_then_recount(city, ledger)
            raise RolledBack
    except RolledBack:
        pass


class RolledBack(Exception):
    pass


def acts_then_recount(city, ledger):
    units = [city.dongmen_sq, city.xihu_sq, city.dongmen, city.chengguan]
    for u_index, offset, deduction, at_market, action in ledger:
        found = D(2026, 9, 1) + dt.timedelta(days=offset)
        finding = svc.register_finding(
            actor=city.office, lead_unit=units[u_index], description="x", found_on=found, deduction=Decimal(deduction),
            site=city.market if at_market else None, index_item=city.item if at_market else city.item2,
        )
        if action == "void":
            svc.void_finding(actor=city.office, finding_id=finding.pk, reason="误报")
            continue
        # deadlines cross month ends on purpose
        notice = svc.issue_notice(actor=city.office, finding_id=finding.pk, issued_on=found,
                                  deadline=found + dt.timedelta(days=9))
        when = dt.datetime.combine(found + dt.timedelta(days=2), dt.time(10), tzinfo=SH)
        if action == "miss":
            record_misses_due(notice.deadline)
        elif action in ("fix", "late-fix", "reject"):
            if action == "late-fix":
                when += dt.timedelta(days=12)
            sub = svc.submit_fix(actor=city.office, notice_id=notice.pk, note="已整改", submitted_at=when)
            if action == "reject":
                svc.reject_submission(actor=city.office, submission_id=sub.pk, reason="未彻底",
                                      decided_on=when.date() + dt.timedelta(days=1))
            else:
                svc.approve_submission(actor=city.office, submission_id=sub.pk,
                                       decided_on=when.date() + dt.timedelta(days=1))
        elif action == "transfer":
            transfer = svc.request_transfer(actor=city.office, finding_id=finding.pk, reason="不属本单位",
                                            to_unit=units[(u_index + 1) % 4])
            svc.decide_transfer(actor=city.office, transfer_id=transfer.pk, approve=True,
                                decided_on=found + dt.timedelta(days=1), deadline=found + dt.timedelta(days=40))
        elif action == "move-deadline":
            svc.change_deadline(actor=city.office, notice_id=notice.pk, deadline=found + dt.timedelta(days=35),
                                reason="节假日顺延")
        elif action == "reopen":  # a fix approved, then the same problem again at the same place
            sub = svc.submit_fix(actor=city.office, notice_id=notice.pk, note="已整改", submitted_at=when)
            svc.approve_submission(actor=city.office, submission_id=sub.pk, decided_on=when.date())
            svc.register_finding(actor=city.office, lead_unit=units[u_index], description="又出现",
                                 found_on=when.date() + dt.timedelta(days=3), site=city.market, index_item=city.item)

    assert aggregates.differences() == []
    assert stored() == recount_by_hand()
    # the ledger sorts and filters on the finding's copy of its current notice's deadline
    copies = [(f.pk, f.deadline, f.current_notice.deadline if f.current_notice else None)
              for f in Finding.objects.select_related("current_notice")]
    assert [c for c in copies if c[1] != c[2]] == []
    # and what the dashboard shows city-wide from the stored figures equals the live count
    # (a day after everything above happened, so that December is last month)
    today = D(2027, 1, 20)
    with time_machine.travel(dt.datetime(2027, 1, 20, 9, tzinfo=SH), tick=False):
        shown = selectors.dashboard_figures(city.leader, today)
        before = selectors.period_figures(city.leader, D(2026, 12, 1), D(2026, 12, 31), today)
        assert {k: v for k, v in shown["before"].items() if k != "misses"} == {
            k: v for k, v in before.items() if k != "misses"}
        assert shown["now"] == {**selectors.period_figures(city.leader, D(2027, 1, 1), today, today),
                                "misses": shown["now"]["misses"]}
        assert shown["trend"] == selectors.trends(city.leader, today)
        live_weak = selectors.weak_areas(city.leader, D(2026, 11, 1), today)
        for key in ("categories", "key_items", "site_types"):
            assert [(r["key"], r["n"], r["open"], r["deduction"]) for r in shown["weak"][key]] == [
                (r["key"], r["n"], r["open"], r["deduction"]) for r in live_weak[key]]


def test_a_failed_act_leaves_the_figures_as_they_were(city):
    finding, notice = city.assigned(issued_on=D(2026, 11, 2), deadline=D(2026, 11, 9))
    before = stored()
    with pytest.raises(LedgerError, match="不能早于交办日期"):
        svc.change_deadline(actor=city.office, notice_id=notice.pk, deadline=D(2026, 10, 1))  # before issue
    assert stored() == before == recount_by_hand()


def test_recount_command_finds_drift_and_repairs_it(city, capsys):
    city.assigned(issued_on=D(2026, 11, 2), deadline=D(2026, 11, 9))
    call_command("recount_figures", "--check")
    assert "一致" in capsys.readouterr().out
    UnitMonth.objects.filter(unit=city.dongmen_sq, month=D(2026, 11, 1)).update(found=7)
    AreaMonth.objects.all().delete()
    with pytest.raises(CommandError, match="不一致"):
        call_command("recount_figures", "--check")
    out = capsys.readouterr().out
    assert "2026-11 found: 存储 7，重算 1" in out
    call_command("recount_figures")
    call_command("recount_figures", "--check")
    assert UnitMonth.objects.get(unit=city.dongmen_sq, month=D(2026, 11, 1)).found == 1


def test_closing_a_month_snapshots_open_and_overdue_and_the_dashboard_compares(client, city):
    group = RankingGroup.objects.create(name="社区")
    Unit.objects.filter(pk__in=[city.dongmen_sq.pk, city.xihu_sq.pk]).update(ranking_group=group)
    city.assigned(description="十月逾期", issued_on=D(2026, 10, 12), deadline=D(2026, 10, 16))
    city.assigned(description="十月未到期", issued_on=D(2026, 10, 26), deadline=D(2026, 11, 4))
    run_escalations(today=D(2026, 11, 1))  # the night after 31 October closes October
    snapshot = MonthEndStock.objects.get(month=D(2026, 10, 1), unit=city.dongmen_sq)
    assert (snapshot.open, snapshot.overdue) == (2, 1)
    # November: the second one misses too, a third is logged but not assigned
    city.finding(description="十一月待交办", found_on=D(2026, 11, 10))
    run_escalations(today=D(2026, 11, 20))
    client.force_login(city.leader)
    with time_machine.travel(dt.datetime(2026, 11, 20, 9, tzinfo=SH), tick=False):
        page = client.get("/dashboard/").content.decode()
    assert re.search(r"<b>3</b><span>未销号问题 <small[^>]*>\+1</small>", page)
    assert re.search(r"<b>2</b><span>超期未整改 <small[^>]*>\+1</small>", page)
    # the unit's overdue count in the ranking links to exactly its overdue findings
    link = re.search(rf'href="(/findings/\?lead_unit={city.dongmen_sq.pk}&amp;overdue=true)">(\d+)</a>', page)
    assert link and link.group(2) == "2"
    with time_machine.travel(dt.datetime(2026, 11, 20, 9, tzinfo=SH), tick=False):
        ledger = client.get(link.group(1).replace("&amp;", "&")).content.decode()
    assert "十月逾期" in ledger and "十月未到期" in ledger and "十一月待交办" not in ledger
    assert "共 2 个问题" in ledger and "东门社区（仅本单位）" in ledger


def test_the_post_migrate_hook_counts_a_ledger_loaded_without_figures(city):
    city.assigned(issued_on=D(2026, 11, 2), deadline=D(2026, 11, 9))
    UnitMonth.objects.all().delete()
    AreaMonth.objects.all().delete()
    from issues.apps import _ensure_monthly_figures

    _ensure_monthly_figures(sender=None)
    assert aggregates.differences() == []
    assert UnitMonth.objects.get(unit=city.dongmen_sq, month=D(2026, 11, 1)).found == 1


def test_a_monthly_close_is_also_the_months_recount(city):
    city.assigned(issued_on=D(2026, 10, 2), deadline=D(2026, 10, 9))
    UnitMonth.objects.all().delete()
    rankings.close_period(rankings.month_period(D(2026, 10, 1)))
    assert UnitMonth.objects.get(unit=city.dongmen_sq, month=D(2026, 10, 1)).due == 1
