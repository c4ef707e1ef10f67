"""The lifecycle services of DOMAIN.md, each step with its audit row and its exact dates."""

import datetime as dt
import zoneinfo
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction

from issues.core.exceptions import LedgerError, TransitionNotAllowed
from issues.escalation import services as escalation
from issues.findings import services as svc
from issues.models import (
    AuditEvent,
    Decision,
    Finding,
    FindingStatus,
    MissKind,
    Notice,
    NoticeOutcome,
    Photo,
    Policy,
    Severity,
    TransferStatus,
)
from tests.conftest import jpeg

D = dt.date
SH = zoneinfo.ZoneInfo("Asia/Shanghai")


def misses_due(day: dt.date) -> list[Notice]:
    """The nightly job's miss step for one day; returns the next notices it issued."""
    return [Notice.objects.get(pk=miss.next.pk) for miss in escalation.record_misses_due(day)]


def at(day: dt.date, hour: int = 10) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour), tzinfo=SH)


def actions(finding) -> list[str]:
    return list(AuditEvent.objects.filter(finding=finding).order_by("pk").values_list("action", flat=True))


# --- register -----------------------------------------------------------------------------


def test_register_finding_records_it_with_photos_and_an_audit_row(city):
    finding = city.finding(site=city.market, item=city.item, co_units=[city.chengguan], photos=[jpeg()])
    assert finding.status == FindingStatus.REGISTERED
    assert finding.address == city.market.address
    assert list(finding.co_units.all()) == [city.chengguan]
    photo = Photo.objects.get(finding=finding)
    assert photo.kind == "before" and len(photo.sha256) == 64
    assert actions(finding) == ["register"]


def test_register_refuses_empty_description_negative_deduction_and_duplicate_number(city):
    with pytest.raises(LedgerError, match="问题描述"):
        city.finding(description="  ")
    with pytest.raises(LedgerError, match="扣分"):
        city.finding(deduction=Decimal("-1"))
    city.finding(number="SJ-2026-001")
    with pytest.raises(LedgerError, match="SJ-2026-001"):
        city.finding(number="SJ-2026-001")
    assert Finding.objects.count() == 1


def test_register_refuses_a_file_that_is_not_an_image_and_keeps_nothing(city):
    with pytest.raises(LedgerError, match="不是可识别的图片"):
        city.finding(photos=[("fake.jpg", b"not an image")])
    assert Finding.objects.count() == 0


def test_only_office_staff_register_findings(city):
    with pytest.raises(PermissionDenied):
        svc.register_finding(actor=city.leader, lead_unit=city.dongmen_sq, description="x", found_on=D(2026, 11, 2))


# --- relapse --------------------------------------------------------------------------------


def _closed(city, *, closed_on, item=None):
    finding, notice = city.assigned(site=city.market, item=item or city.item, issued_on=closed_on - dt.timedelta(days=2),
                                    deadline=closed_on)
    sub = svc.submit_fix(actor=city.dongmen_liaison, notice_id=notice.pk, note="已清运", submitted_at=at(closed_on))
    svc.approve_submission(actor=city.office, submission_id=sub.pk, decided_on=closed_on)
    return finding


def test_same_site_and_item_within_the_window_is_a_relapse(city):
    old = _closed(city, closed_on=D(2026, 9, 1))
    again = city.finding(site=city.market, item=city.item, found_on=D(2026, 9, 1) + dt.timedelta(days=90))
    assert again.relapse_of == old
    assert actions(again) == ["register"]


def test_outside_the_window_or_another_item_is_not_a_relapse(city):
    _closed(city, closed_on=D(2026, 9, 1))
    late = city.finding(site=city.market, item=city.item, found_on=D(2026, 9, 1) + dt.timedelta(days=91))
    other = city.finding(site=city.market, item=city.item2, found_on=D(2026, 9, 10))
    assert late.relapse_of is None and other.relapse_of is None


def test_relapse_window_is_configurable(city):
    Policy.objects.filter(pk=1).update(relapse_window_days=10)
    _closed(city, closed_on=D(2026, 9, 1))
    assert city.finding(site=city.market, item=city.item, found_on=D(2026, 9, 20)).relapse_of is None


def test_an_open_finding_at_the_same_place_is_not_a_relapse(city):
    city.assigned(site=city.market, item=city.item)
    assert city.finding(site=city.market, item=city.item, found_on=D(2026, 11, 5)).relapse_of is None


# --- notices ----------------------------------------------------------------------------------


def test_issue_notice_default_deadline_by_severity_in_working_days(city):
    general = city.finding(found_on=D(2026, 9, 29))
    severe = city.finding(found_on=D(2026, 9, 29), severity=Severity.SEVERE)
    n1 = svc.issue_notice(actor=city.office, finding_id=general.pk, issued_on=D(2026, 9, 29))
    n2 = svc.issue_notice(actor=city.office, finding_id=severe.pk, issued_on=D(2026, 9, 29))
    assert (n1.seq, n1.deadline) == (1, D(2026, 10, 12))  # 5 working days over National Day
    assert n2.deadline == D(2026, 9, 30)  # 1 working day
    general.refresh_from_db()
    assert general.status == FindingStatus.ASSIGNED and general.current_notice == n1
    assert actions(general) == ["register", "notice_issued", "assign"]


def test_issue_notice_by_working_days_or_by_date(city):
    f1, f2 = city.finding(), city.finding()
    n1 = svc.issue_notice(actor=city.office, finding_id=f1.pk, issued_on=D(2026, 11, 27), working_days=2)
    n2 = svc.issue_notice(actor=city.office, finding_id=f2.pk, issued_on=D(2026, 11, 27), deadline=D(2026, 12, 15))
    assert n1.deadline == D(2026, 12, 1)  # Friday + 2 working days skips the weekend
    assert n2.deadline == D(2026, 12, 15)


def test_issue_notice_refuses_a_deadline_before_the_issue_date(city):
    finding = city.finding()
    with pytest.raises(LedgerError, match="早于交办日期"):
        svc.issue_notice(actor=city.office, finding_id=finding.pk, issued_on=D(2026, 11, 27), deadline=D(2026, 11, 26))
    finding.refresh_from_db()
    assert finding.status == FindingStatus.REGISTERED and not finding.notices.exists()


def test_a_finding_cannot_be_assigned_twice(city):
    finding, _ = city.assigned()
    with pytest.raises(TransitionNotAllowed, match="整改中"):
        svc.issue_notice(actor=city.office, finding_id=finding.pk)


def test_staff_change_a_deadline_with_an_audit_row(city):
    finding, notice = city.assigned()
    svc.change_deadline(actor=city.office, notice_id=notice.pk, deadline=D(2026, 11, 20), reason="雨天施工")
    notice.refresh_from_db()
    assert notice.deadline == D(2026, 11, 20)
    assert AuditEvent.objects.filter(finding=finding, action="deadline_changed").count() == 1


# --- submit, approve, reject ------------------------------------------------------------------


def test_unit_submits_and_office_approves_closes_the_finding(city):
    finding, notice = city.assigned()
    sub = svc.submit_fix(actor=city.dongmen_liaison, notice_id=notice.pk, note="已清运并建立长效机制",
                         photos=[jpeg((10, 200, 10))], submitted_at=at(D(2026, 11, 6)))
    finding.refresh_from_db()
    assert finding.status == FindingStatus.SUBMITTED
    assert sub.photos.get().kind == "after"
    svc.approve_submission(actor=city.office, submission_id=sub.pk, decided_on=D(2026, 11, 10))
    finding.refresh_from_db()
    notice.refresh_from_db()
    assert finding.status == FindingStatus.CLOSED and finding.closed_on == D(2026, 11, 10)
    assert notice.outcome == NoticeOutcome.MET and finding.miss_count == 0
    assert actions(finding)[-2:] == ["submit", "approve"]


def test_a_head_of_a_unit_above_may_submit_for_the_unit_below(city):
    _, notice = city.assigned()
    svc.submit_fix(actor=city.east_head, notice_id=notice.pk, note="区里统一整改")


def test_another_units_user_cannot_submit(city):
    _, notice = city.assigned()
    with pytest.raises(PermissionDenied):
        svc.submit_fix(actor=city.outsider, notice_id=notice.pk, note="不是我的")
    with pytest.raises(PermissionDenied):
        svc.submit_fix(actor=city.chengguan_head, notice_id=notice.pk, note="不是我的")


def test_submission_needs_a_note_and_only_one_waits_at_a_time(city):
    _, notice = city.assigned()
    with pytest.raises(LedgerError, match="整改情况"):
        svc.submit_fix(actor=city.dongmen_liaison, notice_id=notice.pk, note=" ")
    svc.submit_fix(actor=city.dongmen_liaison, notice_id=notice.pk, note="已整改")
    with pytest.raises(LedgerError, match="等待复核"):
        svc.submit_fix(actor=city.dongmen_liaison, notice_id=notice.pk, note="再交一次")


def test_reject_is_a_miss_dated_on_the_review_with_the_next_notice_at_once(city):
    finding, notice = city.assigned(deadline=D(2026, 11, 9))
    sub = svc.submit_fix(actor=city.dongmen_liaison, notice_id=notice.pk, note="已整改", submitted_at=at(D(2026, 11, 5)))
    nxt = svc.reject_submission(actor=city.office, submission_id=sub.pk, reason="地面仍有垃圾", decided_on=D(2026, 11, 12))
    notice.refresh_from_db()
    finding.refresh_from_db()
    assert (notice.outcome, notice.miss_kind, notice.outcome_on) == (NoticeOutcome.MISSED, MissKind.REJECTED, D(2026, 11, 12))
    assert (nxt.seq, nxt.issued_on, nxt.deadline) == (2, D(2026, 11, 12), D(2026, 11, 17))  # Thu + 3 working days
    assert finding.status == FindingStatus.ASSIGNED and finding.miss_count == 1 and finding.current_notice == nxt
    assert "reject" in actions(finding) and "miss" in actions(finding)


def test_reject_needs_a_reason_and_a_submission_is_reviewed_once(city):
    _, notice = city.assigned()
    sub = svc.submit_fix(actor=city.dongmen_liaison, notice_id=notice.pk, note="已整改")
    with pytest.raises(LedgerError, match="原因"):
        svc.reject_submission(actor=city.office, submission_id=sub.pk, reason="")
    svc.approve_submission(actor=city.office, submission_id=sub.pk)
    with pytest.raises(LedgerError, match="已经复核过"):
        svc.reject_submission(actor=city.office, submission_id=sub.pk, reason="晚了")
    with pytest.raises(LedgerError, match="已经复核过"):
        svc.approve_submission(actor=city.office, submission_id=sub.pk)


def test_unit_users_and_leaders_cannot_review(city):
    _, notice = city.assigned()
    sub = svc.submit_fix(actor=city.dongmen_liaison, notice_id=notice.pk, note="已整改")
    for user in (city.dongmen_liaison, city.leader, city.supervisor):
        with pytest.raises(PermissionDenied):
            svc.approve_submission(actor=user, submission_id=sub.pk)
    assert Finding.objects.get().status == FindingStatus.SUBMITTED


# --- misses at the deadline -----------------------------------------------------------------


def test_deadline_passed_with_nothing_submitted_is_a_miss_dated_on_the_deadline(city):
    finding, notice = city.assigned(issued_on=D(2026, 9, 22), deadline=D(2026, 9, 29))
    [nxt] = misses_due(D(2026, 9, 29))
    notice.refresh_from_db()
    finding.refresh_from_db()
    assert (notice.outcome, notice.outcome_on, notice.miss_kind) == (NoticeOutcome.MISSED, D(2026, 9, 29), MissKind.DEADLINE)
    assert (nxt.seq, nxt.issued_on, nxt.deadline) == (2, D(2026, 9, 29), D(2026, 10, 9))  # 9-30, 10-08, 10-09
    assert finding.miss_count == 1 and finding.status == FindingStatus.ASSIGNED


def test_a_fix_submitted_on_the_deadline_day_holds_the_notice_open(city):
    finding, notice = city.assigned(deadline=D(2026, 11, 9))
    svc.submit_fix(actor=city.dongmen_liaison, notice_id=notice.pk, note="已整改", submitted_at=at(D(2026, 11, 9), 23))
    assert misses_due(D(2026, 11, 9)) == []
    notice.refresh_from_db()
    assert notice.outcome == NoticeOutcome.OPEN
    assert Finding.objects.get().miss_count == 0


def test_a_late_fix_is_a_miss_and_carries_to_the_next_notice_for_review(city):
    finding, notice = city.assigned(deadline=D(2026, 11, 9))
    sub = svc.submit_fix(actor=city.dongmen_liaison, notice_id=notice.pk, note="迟交", submitted_at=at(D(2026, 11, 10), 0))
    [nxt] = misses_due(D(2026, 11, 9))
    sub.refresh_from_db()
    finding.refresh_from_db()
    assert sub.notice == nxt and sub.decision == Decision.PENDING
    assert finding.status == FindingStatus.SUBMITTED and finding.miss_count == 1
    svc.approve_submission(actor=city.office, submission_id=sub.pk, decided_on=D(2026, 11, 11))
    nxt.refresh_from_db()
    assert nxt.outcome == NoticeOutcome.MET


def test_next_notice_days_are_configurable(city):
    Policy.objects.filter(pk=1).update(next_notice_days=5)
    city.assigned(issued_on=D(2026, 9, 22), deadline=D(2026, 9, 29))
    [nxt] = misses_due(D(2026, 9, 29))
    assert nxt.deadline == D(2026, 10, 12)


def test_recording_the_same_miss_twice_is_refused_and_changes_nothing(city):
    finding, notice = city.assigned(deadline=D(2026, 11, 9))
    svc.record_miss(notice_id=notice.pk, missed_on=D(2026, 11, 9), kind=MissKind.DEADLINE)
    with pytest.raises(LedgerError):
        svc.record_miss(notice_id=notice.pk, missed_on=D(2026, 11, 9), kind=MissKind.DEADLINE)
    assert Finding.objects.get().miss_count == 1
    assert Notice.objects.filter(finding=finding).count() == 2


def test_three_misses_make_a_chain_of_four_notices(city):
    finding, notice = city.assigned(deadline=D(2026, 11, 2), issued_on=D(2026, 11, 2))
    day = D(2026, 11, 2)
    for _ in range(3):
        [notice] = misses_due(day)
        day = notice.deadline
    finding.refresh_from_db()
    assert finding.miss_count == 3
    assert list(finding.notices.values_list("seq", "outcome")) == [
        (1, "missed"), (2, "missed"), (3, "missed"), (4, "open")]


# --- transfer ---------------------------------------------------------------------------------


def test_approved_transfer_supersedes_the_notice_without_a_miss(city):
    finding, notice = city.assigned()
    req = svc.request_transfer(actor=city.dongmen_liaison, finding_id=finding.pk, to_unit=city.chengguan,
                               reason="占道经营属城管执法职责")
    svc.decide_transfer(actor=city.office, transfer_id=req.pk, approve=True, decided_on=D(2026, 11, 4))
    req.refresh_from_db()
    notice.refresh_from_db()
    finding.refresh_from_db()
    assert req.status == TransferStatus.APPROVED
    assert (notice.outcome, notice.outcome_on) == (NoticeOutcome.SUPERSEDED, D(2026, 11, 4))
    new = finding.current_notice
    assert (new.seq, new.unit, new.issued_on, new.deadline) == (2, city.chengguan, D(2026, 11, 4), D(2026, 11, 11))
    assert finding.lead_unit == city.chengguan and finding.miss_count == 0
    assert finding.status == FindingStatus.ASSIGNED


def test_refused_transfer_keeps_the_notice_and_needs_a_reason(city):
    finding, notice = city.assigned()
    req = svc.request_transfer(actor=city.dongmen_liaison, finding_id=finding.pk, reason="不归我们管")
    with pytest.raises(LedgerError, match="理由"):
        svc.decide_transfer(actor=city.office, transfer_id=req.pk, approve=False)
    svc.decide_transfer(actor=city.office, transfer_id=req.pk, approve=False, reason="属地管理，请整改")
    req.refresh_from_db()
    notice.refresh_from_db()
    assert req.status == TransferStatus.REFUSED and notice.outcome == NoticeOutcome.OPEN
    with pytest.raises(LedgerError, match="审批过"):
        svc.decide_transfer(actor=city.office, transfer_id=req.pk, approve=True, to_unit=city.chengguan)


def test_transfer_request_rules(city):
    finding, _ = city.assigned()
    with pytest.raises(LedgerError, match="理由"):
        svc.request_transfer(actor=city.dongmen_liaison, finding_id=finding.pk, reason="")
    with pytest.raises(PermissionDenied):
        svc.request_transfer(actor=city.outsider, finding_id=finding.pk, reason="不是我的")
    req = svc.request_transfer(actor=city.dongmen_liaison, finding_id=finding.pk, reason="非本单位职责")
    with pytest.raises(LedgerError, match="待审批"):
        svc.request_transfer(actor=city.dongmen_liaison, finding_id=finding.pk, reason="再申请")
    with pytest.raises(LedgerError, match="新的责任单位"):
        svc.decide_transfer(actor=city.office, transfer_id=req.pk, approve=True)


def test_transfer_of_a_registered_finding_is_not_possible(city):
    finding = city.finding()
    with pytest.raises(TransitionNotAllowed):
        svc.request_transfer(actor=city.dongmen_liaison, finding_id=finding.pk, reason="x")


# --- void and illegal steps -------------------------------------------------------------------


def test_void_keeps_the_finding_with_its_reason_and_voids_the_open_notice(city):
    finding, notice = city.assigned()
    with pytest.raises(LedgerError, match="原因"):
        svc.void_finding(actor=city.office, finding_id=finding.pk, reason="")
    svc.void_finding(actor=city.office, finding_id=finding.pk, reason="重复登记")
    finding.refresh_from_db()
    notice.refresh_from_db()
    assert finding.status == FindingStatus.VOID and finding.void_reason == "重复登记"
    assert notice.outcome == NoticeOutcome.VOID
    assert Finding.objects.count() == 1


def test_closed_and_void_findings_allow_nothing_more(city):
    closed = _closed(city, closed_on=D(2026, 11, 5))
    with pytest.raises(TransitionNotAllowed, match="已销号"):
        svc.void_finding(actor=city.office, finding_id=closed.pk, reason="x")
    voided = city.finding()
    svc.void_finding(actor=city.office, finding_id=voided.pk, reason="误报")
    with pytest.raises(TransitionNotAllowed, match="已作废"):
        svc.issue_notice(actor=city.office, finding_id=voided.pk)
    with pytest.raises(TransitionNotAllowed):
        svc.void_finding(actor=city.office, finding_id=voided.pk, reason="again")


def test_no_submission_on_a_closed_notice(city):
    closed = _closed(city, closed_on=D(2026, 11, 5))
    with pytest.raises(LedgerError, match="已办结"):
        svc.submit_fix(actor=city.dongmen_liaison, notice_id=closed.current_notice_id, note="再交")


# --- what the database itself guarantees ------------------------------------------------------


def test_database_allows_one_open_notice_per_finding(city):
    finding, notice = city.assigned()
    with pytest.raises(IntegrityError), transaction.atomic():
        Notice.objects.create(finding=finding, seq=2, unit=city.dongmen_sq, issued_on=D(2026, 11, 2), deadline=D(2026, 11, 9))


def test_database_refuses_a_void_without_reason(city):
    finding = city.finding()
    with pytest.raises(IntegrityError), transaction.atomic():
        Finding.objects.filter(pk=finding.pk).update(status=FindingStatus.VOID)

