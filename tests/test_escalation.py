"""The nightly job and the escalation rules, with exact dates (DOMAIN.md, "Escalation rules")."""

import datetime as dt
import zoneinfo

import pytest
from django.core.management import call_command
from django.db import transaction

from issues.escalation import services as escalation
from issues.escalation.services import run_escalations
from issues.findings import services as svc
from issues.models import (
    EscalationRule,
    Finding,
    JobDay,
    Notice,
    PeriodStatus,
    RankingEntry,
    RankingGroup,
    RankingPeriod,
    RuleTrigger,
    Sanction,
    SanctionAction,
    SanctionStatus,
    Unit,
)

D = dt.date
SH = zoneinfo.ZoneInfo("Asia/Shanghai")


def snapshot() -> dict:
    return {
        "notices": sorted(Notice.objects.values_list("finding_id", "seq", "outcome", "outcome_on", "deadline", "miss_kind")),
        "findings": sorted(Finding.objects.values_list("pk", "status", "miss_count")),
        "sanctions": sorted(Sanction.objects.values_list("rule__code", "unit_id", "evidence_key", "decided_on",
                                                         "effective_until", "status")),
        "days": sorted(JobDay.objects.values_list("date", flat=True)),
    }


def actions(unit=None):
    qs = Sanction.objects.order_by("decided_on", "pk")
    if unit is not None:
        qs = qs.filter(unit=unit)
    return [(s.rule.code, s.action, s.decided_on) for s in qs]


def test_first_miss_issues_a_second_notice_due_three_working_days_later(city):
    finding, notice = city.assigned(issued_on=D(2026, 9, 22), deadline=D(2026, 9, 29))
    report = run_escalations(today=D(2026, 9, 30))
    notice.refresh_from_db()
    finding.refresh_from_db()
    assert notice.outcome == "missed" and notice.outcome_on == D(2026, 9, 29)
    assert finding.current_notice.seq == 2 and finding.current_notice.deadline == D(2026, 10, 9)
    assert report.miss_count == 1 and Sanction.objects.count() == 0


def test_second_miss_gives_one_circular_third_an_interview_fourth_a_referral(city):
    finding, _ = city.assigned(issued_on=D(2026, 11, 2), deadline=D(2026, 11, 4))
    run_escalations(today=D(2026, 11, 5))  # 1st miss 11-04, next due 11-09
    assert actions() == []
    run_escalations(today=D(2026, 11, 10))  # 2nd miss 11-09, next due 11-12
    assert actions() == [("R1", SanctionAction.CIRCULAR, D(2026, 11, 9))]
    run_escalations(today=D(2026, 11, 13))  # 3rd miss 11-12, next due 11-17
    run_escalations(today=D(2026, 11, 18))  # 4th miss 11-17
    assert actions() == [
        ("R1", SanctionAction.CIRCULAR, D(2026, 11, 9)),
        ("R2", SanctionAction.INTERVIEW, D(2026, 11, 12)),
        ("R3", SanctionAction.REFERRAL, D(2026, 11, 17)),
    ]
    circular = Sanction.objects.get(rule__code="R1")
    assert circular.unit == city.dongmen_sq and circular.finding == finding
    assert list(circular.evidence_notices.values_list("seq", flat=True)) == [1, 2]
    assert finding.display_number in circular.reason


def test_a_rejected_review_is_a_miss_dated_on_the_review(city):
    finding, notice = city.assigned(issued_on=D(2026, 11, 2), deadline=D(2026, 11, 4))
    run_escalations(today=D(2026, 11, 5))  # first miss on the deadline
    finding.refresh_from_db()
    sub = svc.submit_fix(actor=city.dongmen_liaison, notice_id=finding.current_notice_id, note="已整改",
                         submitted_at=dt.datetime(2026, 11, 6, 10, tzinfo=SH))
    svc.reject_submission(actor=city.office, submission_id=sub.pk, reason="未整改到位", decided_on=D(2026, 11, 6))
    assert Sanction.objects.count() == 0  # applied by the job, dated on the review
    run_escalations(today=D(2026, 11, 7))
    assert actions() == [("R1", SanctionAction.CIRCULAR, D(2026, 11, 6))]


def test_a_fix_submitted_on_time_but_not_reviewed_is_not_a_miss(city):
    finding, notice = city.assigned(issued_on=D(2026, 11, 2), deadline=D(2026, 11, 4))
    svc.submit_fix(actor=city.dongmen_liaison, notice_id=notice.pk, note="已整改",
                   submitted_at=dt.datetime(2026, 11, 4, 22, tzinfo=SH))
    run_escalations(today=D(2026, 11, 20))
    notice.refresh_from_db()
    assert notice.outcome == "open" and Finding.objects.get().miss_count == 0


def transferred_to_chengguan(city):
    """A finding due 11-04 at 东门社区, transferred on 11-03 to 城管局 with a notice due 11-10."""
    finding, _notice = city.assigned(issued_on=D(2026, 11, 2), deadline=D(2026, 11, 4))
    transfer = svc.request_transfer(actor=city.dongmen_liaison, finding_id=finding.pk, reason="属城管职责",
                                    to_unit=city.chengguan)
    svc.decide_transfer(actor=city.office, transfer_id=transfer.pk, approve=True, decided_on=D(2026, 11, 3),
                        deadline=D(2026, 11, 10))
    return finding


def test_a_transfer_is_not_a_miss(city):
    finding = transferred_to_chengguan(city)
    run_escalations(today=D(2026, 11, 6))
    finding.refresh_from_db()
    assert finding.miss_count == 0 and Notice.objects.filter(outcome="missed").count() == 0


def test_after_a_transfer_the_second_notice_missed_is_a_first_miss_and_the_next_one_a_second(city):
    transferred_to_chengguan(city)
    run_escalations(today=D(2026, 11, 11))  # notice 2 (the first to 城管局) missed on 11-10
    assert actions() == []
    run_escalations(today=D(2026, 11, 16))  # notice 3 missed on 11-13: the unit's second miss
    assert actions() == [("R1", SanctionAction.CIRCULAR, D(2026, 11, 13))]
    circular = Sanction.objects.get()
    assert circular.unit == city.chengguan
    assert list(circular.evidence_notices.order_by("seq").values_list("seq", flat=True)) == [2, 3]


def test_running_twice_for_the_same_date_changes_nothing(city):
    for i in range(3):
        city.assigned(description=f"问题{i}", issued_on=D(2026, 11, 2), deadline=D(2026, 11, 4))
    run_escalations(today=D(2026, 11, 13))
    first = snapshot()
    report = run_escalations(today=D(2026, 11, 13))
    assert report.days == [] and snapshot() == first
    # even forgetting which days were done, the guards keep the ledger as it is
    JobDay.objects.all().delete()
    run_escalations(today=D(2026, 11, 13))
    assert {k: v for k, v in snapshot().items() if k != "days"} == {k: v for k, v in first.items() if k != "days"}


def test_misses_are_judged_batch_after_batch_past_a_notice_that_cannot_be_judged(city, monkeypatch):
    """Batches move on in (deadline, id) order: a notice left open (its finding no longer assigned)
    is not asked again, and a next notice already due by the processed day is judged the same run."""
    monkeypatch.setattr(escalation, "MISS_BATCH", 2)
    notices = [city.assigned(description=f"问题{i}", issued_on=D(2026, 10, 26), deadline=D(2026, 10, 28))[1]
               for i in range(5)]
    Finding.objects.filter(pk=notices[1].finding_id).update(status="closed", closed_on=D(2026, 10, 27))  # inconsistent
    missed = escalation.record_misses_due(D(2026, 11, 9))
    # four first misses on 10-28, their next notices (due 10-31) missed too by 11-09, then due 11-05 ... 11-09
    assert Notice.objects.get(pk=notices[1].pk).outcome == "open"
    by_finding = {}
    for miss in missed:
        by_finding.setdefault(miss.finding_id, []).append(miss.deadline)
    assert len(by_finding) == 4 and notices[1].finding_id not in by_finding
    assert all(deadlines == sorted(deadlines) and len(deadlines) >= 2 for deadlines in by_finding.values())
    assert Notice.objects.filter(outcome="open", deadline__lte=D(2026, 11, 9)).count() == 1  # the one left


def test_skipping_five_days_gives_the_ledger_of_five_nightly_runs(city, django_db_blocker):
    def build():
        for i, deadline in enumerate([D(2026, 11, 4), D(2026, 11, 5), D(2026, 11, 6)]):
            city.assigned(description=f"问题{i}", issued_on=D(2026, 11, 2), deadline=deadline)
        _, notice = city.assigned(description="按期提交", issued_on=D(2026, 11, 2), deadline=D(2026, 11, 5))
        svc.submit_fix(actor=city.dongmen_liaison, notice_id=notice.pk, note="已整改",
                       submitted_at=dt.datetime(2026, 11, 5, 9, tzinfo=SH))

    build()
    before_runs = transaction.savepoint()
    for day in range(5, 20):
        run_escalations(today=D(2026, 11, day))
    nightly = snapshot()
    # the same ledger as it stood before those runs, then one run after a five-day outage (the audit
    # log is append-only, on PostgreSQL even to a raw DELETE: the savepoint is how to go back)
    transaction.savepoint_rollback(before_runs)
    run_escalations(today=D(2026, 11, 19))

    def normalised(snap):
        # finding ids differ between the two builds; compare by creation order
        order = {pk: i for i, pk in enumerate(sorted({n[0] for n in snap["notices"]}))}
        return {
            "notices": sorted((order[n[0]],) + n[1:] for n in snap["notices"]),
            "findings": [f[1:] for f in snap["findings"]],
            "sanctions": sorted(s[:1] + s[3:] for s in snap["sanctions"]),
            "days": snap["days"],
        }

    assert normalised(snapshot()) == normalised(nightly)
    assert nightly["sanctions"]  # the scenario does escalate


def test_dry_run_prints_and_changes_nothing(city, capsys):
    city.assigned(issued_on=D(2026, 11, 2), deadline=D(2026, 11, 4))
    before = snapshot()
    call_command("run_escalations", "--date", "2026-11-13", "--dry-run")
    out = capsys.readouterr().out
    assert "试运行" in out and "未按期整改" in out and "R1 通报批评" in out
    assert snapshot() == before


def test_command_runs_for_a_given_date_and_rejects_a_bad_one(city, capsys):
    from django.core.management import CommandError

    city.assigned(issued_on=D(2026, 11, 2), deadline=D(2026, 11, 4))
    call_command("run_escalations", "--date", "2026-11-05")
    assert "未按期 1" in capsys.readouterr().out
    assert JobDay.objects.filter(date=D(2026, 11, 4)).exists()
    with pytest.raises(CommandError, match="YYYY-MM-DD"):
        call_command("run_escalations", "--date", "2026/11/05")


def test_a_crash_half_way_then_a_rerun_ends_like_a_clean_run(city, monkeypatch):
    for i in range(2):
        city.assigned(description=f"问题{i}", issued_on=D(2026, 11, 2), deadline=D(2026, 11, 4))
    run_escalations(today=D(2026, 11, 9))
    real = escalation.apply_miss_rules

    def crash(day, report):
        raise RuntimeError("killed")

    monkeypatch.setattr(escalation, "apply_miss_rules", crash)
    with pytest.raises(RuntimeError):
        run_escalations(today=D(2026, 11, 10))  # misses of 11-09 recorded, rules not applied, day not done
    assert not JobDay.objects.filter(date=D(2026, 11, 9)).exists()
    assert Sanction.objects.count() == 0
    monkeypatch.setattr(escalation, "apply_miss_rules", real)
    run_escalations(today=D(2026, 11, 10))
    assert [a[0] for a in actions()] == ["R1", "R1"]
    assert Finding.objects.filter(miss_count=2).count() == 2


def test_inactive_rules_and_rules_for_other_unit_kinds_do_nothing(city):
    EscalationRule.objects.filter(code="R1").update(is_active=False)
    EscalationRule.objects.filter(code="R2").update(unit_kinds=["city_dept"])
    city.assigned(issued_on=D(2026, 11, 2), deadline=D(2026, 11, 4))
    run_escalations(today=D(2026, 11, 18))
    assert [a[0] for a in actions()] == ["R3"]


def test_a_unit_window_rule_applies_once_per_window(city):
    EscalationRule.objects.create(code="R6", name="30天内3次未按期", trigger=RuleTrigger.UNIT_MISSES, threshold=3,
                                  window_days=30, action=SanctionAction.CIRCULAR)
    EscalationRule.objects.filter(code__in=["R1", "R2", "R3"]).update(is_active=False)
    for i in range(4):
        city.assigned(description=f"问题{i}", issued_on=D(2026, 11, 2), deadline=D(2026, 11, 3 + i))
    run_escalations(today=D(2026, 11, 8))
    sanctions = list(Sanction.objects.all())
    assert [(s.rule.code, s.decided_on) for s in sanctions] == [("R6", D(2026, 11, 5))]
    assert sanctions[0].evidence_notices.count() == 3


# --- ranking rules (R4, R5) --------------------------------------------------------------------


def _months(n):
    starts = [D(2026, m, 1) for m in range(1, n + 1)]
    return [RankingPeriod.objects.create(name=f"2026年{s.month}月", start=s,
                                         end=(D(2026, s.month + 1, 1) - dt.timedelta(days=1)))
            for s in starts]


def _close(period, group, bottom_units, other_units):
    period.status = PeriodStatus.CLOSED
    period.closed_on = period.end
    period.save()
    rank = 1
    for unit in other_units + bottom_units:
        RankingEntry.objects.create(period=period, group=group, unit=unit, score=100 - rank, rank=rank,
                                    in_bottom=unit in bottom_units)
        rank += 1


def test_a_civilized_unit_two_periods_in_the_bottom_three_loses_its_bonus_for_six_months(city):
    group = RankingGroup.objects.create(name="社区")
    city.dongmen_sq.is_civilized = True
    city.dongmen_sq.save()
    jan, feb, mar, apr = _months(4)
    others = [Unit.objects.create(name=f"社区{i}", kind="community") for i in range(6)]
    _close(jan, group, [city.dongmen_sq], others)
    run_escalations(today=D(2026, 2, 1))
    assert actions() == []
    _close(feb, group, [city.dongmen_sq], others)
    run_escalations(today=D(2026, 3, 1))
    suspension = Sanction.objects.get()
    assert (suspension.rule.code, suspension.decided_on, suspension.effective_until) == (
        "R4", D(2026, 2, 28), D(2026, 8, 27))
    assert list(suspension.evidence_entries.values_list("period__name", flat=True).order_by("period__start")) == [
        "2026年1月", "2026年2月"]
    _close(mar, group, [city.dongmen_sq], others)
    run_escalations(today=D(2026, 4, 1))
    assert [a[0] for a in actions()] == ["R4", "R5"]  # R5 follows in the same streak; R4 not again
    city.dongmen_sq.refresh_from_db()
    assert not city.dongmen_sq.is_civilized and city.dongmen_sq.civilized_revoked_on == D(2026, 3, 31)
    _close(apr, group, [city.dongmen_sq], others)
    run_escalations(today=D(2026, 5, 1))
    assert [a[0] for a in actions()] == ["R4", "R5"]  # no title, no more civilized-unit rules


def test_a_gap_breaks_the_streak_and_uncivilized_units_are_not_judged(city):
    group = RankingGroup.objects.create(name="社区")
    city.dongmen_sq.is_civilized = True
    city.dongmen_sq.save()
    jan, feb, mar = _months(3)
    others = [Unit.objects.create(name=f"社区{i}", kind="community") for i in range(6)]
    _close(jan, group, [city.dongmen_sq, city.xihu_sq], others)
    _close(feb, group, [city.xihu_sq], others + [city.dongmen_sq])
    _close(mar, group, [city.dongmen_sq, city.xihu_sq], others)
    run_escalations(today=D(2026, 4, 1))
    assert actions() == []  # dongmen: Jan and Mar are not consecutive; xihu holds no title


def test_a_six_month_suspension_follows_month_ends_and_expires(city):
    rule = EscalationRule.objects.get(code="R4")
    on_first = escalation.apply_sanction(rule=rule, unit=city.dongmen_sq, evidence_key="a", reason="x",
                                         decided_on=D(2026, 11, 1))
    on_31st = escalation.apply_sanction(rule=rule, unit=city.xihu_sq, evidence_key="b", reason="x",
                                        decided_on=D(2026, 10, 31))
    assert on_first.effective_until == D(2027, 4, 30)
    assert on_31st.effective_until == D(2027, 4, 29)
    JobDay.objects.create(date=D(2027, 4, 28))
    run_escalations(today=D(2027, 4, 30))  # processes 04-29: the 31st one is still in force that day
    assert Sanction.objects.get(pk=on_31st.pk).status == SanctionStatus.IN_FORCE
    run_escalations(today=D(2027, 5, 1))  # processes 04-30: it ended on 04-29
    assert Sanction.objects.get(pk=on_31st.pk).status == SanctionStatus.EXPIRED
    assert Sanction.objects.get(pk=on_first.pk).status == SanctionStatus.IN_FORCE
    run_escalations(today=D(2027, 5, 2))
    assert Sanction.objects.get(pk=on_first.pk).status == SanctionStatus.EXPIRED


def test_the_same_evidence_never_gives_a_second_sanction(city):
    rule = EscalationRule.objects.get(code="R1")
    first = escalation.apply_sanction(rule=rule, unit=city.dongmen_sq, evidence_key="finding:1:misses:2",
                                      reason="x", decided_on=D(2026, 11, 9))
    again = escalation.apply_sanction(rule=rule, unit=city.dongmen_sq, evidence_key="finding:1:misses:2",
                                      reason="x", decided_on=D(2026, 11, 10))
    assert first is not None and again is None and Sanction.objects.count() == 1


def test_the_task_runs_the_job_and_skips_while_another_run_holds_the_lock(city, settings, redis_server):
    import redis

    from issues.escalation.tasks import LOCK_NAME, run_nightly_job

    settings.REDIS_URL = redis_server
    city.assigned(issued_on=D(2026, 11, 2), deadline=D(2026, 11, 4))
    lock = redis.Redis.from_url(redis_server).lock(LOCK_NAME, timeout=60)
    assert lock.acquire(blocking=False)
    assert run_nightly_job("2026-11-13") == {"today": "2026-11-13", "skipped": True}
    assert not JobDay.objects.exists()
    lock.release()
    result = run_nightly_job("2026-11-13")
    assert result["misses"] == 3 and result["sanctions"] == 2 and not result.get("skipped")


def test_a_rejection_never_shortens_the_time_it_was_first_given(city):
    """DOMAIN.md, Corrections: a unit that reported ten days early and was sent back keeps its 12-15."""
    _finding, notice = city.assigned(issued_on=D(2026, 12, 1), deadline=D(2026, 12, 15))
    sub = svc.submit_fix(actor=city.dongmen_liaison, notice_id=notice.pk, note="已整改")
    second = svc.reject_submission(actor=city.office, submission_id=sub.pk, reason="仍有垃圾", decided_on=D(2026, 12, 4))
    assert (second.issued_on, second.deadline) == (D(2026, 12, 4), D(2026, 12, 15))  # not 12-09
    # sent back late in its time, the unit gets the usual three working days from the review
    sub = svc.submit_fix(actor=city.dongmen_liaison, notice_id=second.pk, note="再次整改")
    third = svc.reject_submission(actor=city.office, submission_id=sub.pk, reason="仍未达标", decided_on=D(2026, 12, 14))
    assert third.deadline == D(2026, 12, 17)


def test_the_first_night_does_nothing_before_the_earliest_open_deadline(city):
    """DOMAIN.md, Corrections: a first run on 01-01 whose earliest open deadline is 01-06 closes no
    December period and processes no day; the run after the deadline starts at it."""
    city.assigned(issued_on=D(2025, 12, 29), deadline=D(2026, 1, 6))
    report = run_escalations(today=D(2026, 1, 1))
    assert report.days == [] and not JobDay.objects.exists()
    assert not RankingPeriod.objects.filter(end=D(2025, 12, 31), status=PeriodStatus.CLOSED).exists()
    report = run_escalations(today=D(2026, 1, 8))
    assert [d.day for d in report.days] == [D(2026, 1, 6), D(2026, 1, 7)]
    assert len(report.days[0].misses) == 1

