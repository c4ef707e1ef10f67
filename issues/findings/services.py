"""Every lifecycle verb of a finding (DOMAIN.md, "Lifecycle of a finding").

Each function is one transaction that writes its audit row. Illegal steps raise
TransitionNotAllowed; missing rights raise PermissionDenied; nothing is ever deleted.
Audit messages are written in the ledger's official language, whatever the actor's UI
language; errors raised to the user are translated. Functions take the date they act on (`issued_on`, `decided_on`, `missed_on`) so the nightly
job and tests can fix time; they default to today's local date.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.db.models import Case, Count, F, Max, OuterRef, Q, Subquery, Value, When
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from issues.core import access
from issues.core.exceptions import LedgerError, TransitionNotAllowed
from issues.core.lookups import IdList
from issues.core.workcalendar import add_working_days
from issues.findings import receipts
from issues.findings.photos import attach_photos
from issues.models import (
    ALLOWED_TRANSITIONS,
    AuditEvent,
    Decision,
    ExtensionRequest,
    ExtensionStatus,
    Finding,
    FindingStatus,
    IndexItem,
    InspectionRound,
    MissKind,
    Notice,
    NoticeOutcome,
    PhotoKind,
    Policy,
    Severity,
    Site,
    SiteType,
    Submission,
    TransferRequest,
    TransferStatus,
    Unit,
)
from issues.rankings import aggregates


def _official(label) -> str:
    with translation.override(settings.LANGUAGE_CODE):
        return str(label)


def ensure_transition(finding: Finding, *, to: str, action: str) -> None:
    if to not in ALLOWED_TRANSITIONS[finding.status]:
        raise TransitionNotAllowed(finding, to, action)


def _set_status(finding: Finding, to: str, *, fields: Sequence[str] = ()) -> str:
    before = finding.status
    finding.status = to
    finding.save(update_fields=["status", *fields])
    return before


def _locked_finding(finding_id: int) -> Finding:
    """The finding a service is about to change, locked."""
    return Finding.objects.select_for_update().select_related("lead_unit").get(pk=finding_id)


class RelapseMemo:
    """What `relapse_origins` has read per (site, item) pair, kept across calls (an import's chunks):
    a pair is asked again only when a case reaches further back than what was read for it."""

    def __init__(self):
        self.since: dict[tuple[int, int], dt.date] = {}
        self.closed: dict[tuple[int, int], list[tuple[dt.date, int]]] = {}


def relapse_origins(cases: Iterable[tuple[int, int, dt.date]], memo: RelapseMemo | None = None,
                    ) -> dict[tuple[int, int, dt.date], int]:
    """The rule of a relapse (DOMAIN.md): the latest finding closed at the same site and index item
    within the relapse window before the date found. For each (site id, item id, found on) case,
    the id of the finding it repeats, when there is one; one index seek per (site, item) pair, so an
    import of thousands of rows asks once per 200 pairs."""
    cases = set(cases)
    if not cases:
        return {}
    memo = memo or RelapseMemo()
    window = dt.timedelta(days=Policy.current().relapse_window_days)
    low = min(c[2] for c in cases) - window
    high = max(max(c[2] for c in cases), timezone.localdate())  # nothing is closed after today
    wanted = sorted({(site_id, item_id) for site_id, item_id, found in cases
                     if memo.since.get((site_id, item_id), dt.date.max) > found - window})
    for i in range(0, len(wanted), 200):
        match = Q()
        for site_id, item_id in wanted[i:i + 200]:
            match |= Q(site_id=site_id, index_item_id=item_id)
            memo.since[(site_id, item_id)] = low
            memo.closed[(site_id, item_id)] = []
        # only closed findings have closed_on; the status is checked here, not in SQL, where SQLite
        # (without statistics) would walk the status index through every closed finding
        for site_id, item_id, closed_on, pk, status in Finding.objects.filter(
            match, closed_on__range=(low, high)
        ).values_list("site_id", "index_item_id", "closed_on", "pk", "status"):
            if status == FindingStatus.CLOSED:
                memo.closed[(site_id, item_id)].append((closed_on, pk))
    out = {}
    for site_id, item_id, found_on in cases:
        options = [c for c in memo.closed.get((site_id, item_id), ()) if found_on - window <= c[0] <= found_on]
        if options:
            out[(site_id, item_id, found_on)] = max(options)[1]
    return out


def default_deadline(*, severity: str, issued_on: dt.date) -> dt.date:
    return add_working_days(issued_on, Policy.current().deadline_days_for(severity))


def default_units(*, item: IndexItem | None, site: Site | None) -> tuple[Unit | None, list[Unit]]:
    """Lead and co-units of a new finding: the responsibility matrix's for the item, else the site's unit."""
    responsibility = getattr(item, "responsibility", None) if item is not None else None
    if responsibility is not None:
        return responsibility.lead_unit, list(responsibility.co_units.all())
    return (site.default_unit if site is not None else None), []


def lapse_extensions(notice_ids: Sequence[int]) -> int:
    """Pending extension requests on notices that have just been closed (met, missed, superseded,
    voided) can no longer be decided: they lapse (已失效). A request pending at the deadline does
    not stop the miss."""
    return ExtensionRequest.objects.filter(notice_id__in_ids=IdList(notice_ids), status=ExtensionStatus.PENDING).update(
        status=ExtensionStatus.LAPSED, decided_at=timezone.now()
    )


@transaction.atomic
def create_site(*, actor, name: str, site_type: SiteType, address: str = "", default_unit: Unit | None = None) -> Site:
    """A site the office names while logging a finding there (新建点位)."""
    access.ensure_office(actor)
    name = (name or "").strip()
    if not name:
        raise LedgerError(_("点位名称不能为空。"))
    site = Site.objects.create(name=name, site_type=site_type, address=address, default_unit=default_unit)
    AuditEvent.record(actor=actor, obj=site, action="site_created", message=f"新建点位：{site.name}")
    return site


@transaction.atomic
def register_finding(
    *,
    actor,
    lead_unit: Unit,
    description: str,
    found_on: dt.date | None = None,
    site: Site | None = None,
    index_item: IndexItem | None = None,
    co_units: Iterable[Unit] = (),
    deduction: Decimal | int | str = 0,
    severity: str = Severity.GENERAL,
    inspection_round: InspectionRound | None = None,
    address: str = "",
    number: str | None = None,
    remarks: str = "",
    photos: Iterable = (),
) -> Finding:
    """Log a finding (登记问题); a repeat of a recently closed one is marked as its relapse."""
    access.ensure_office(actor)
    description = (description or "").strip()
    if not description:
        raise LedgerError(_("问题描述不能为空。"))
    deduction = Decimal(str(deduction))
    if deduction < 0:
        raise LedgerError(_("扣分不能为负数。"))
    found_on = found_on or timezone.localdate()
    if number and Finding.objects.filter(number=number).exists():
        raise LedgerError(_("问题编号 %(number)s 已存在。") % {"number": number})
    case = (site.pk, index_item.pk, found_on) if site and index_item else None
    relapse_of = relapse_origins([case]).get(case) if case else None
    finding = Finding.objects.create(
        number=number or None,
        inspection_round=inspection_round,
        site=site,
        address=address or (site.address if site else ""),
        index_item=index_item,
        description=description,
        lead_unit=lead_unit,
        lead_top_id=access.top_of(lead_unit),
        deduction=deduction,
        severity=severity,
        found_on=found_on,
        relapse_of_id=relapse_of,
        remarks=remarks,
        created_by=actor if getattr(actor, "pk", None) else None,
    )
    co = [u for u in co_units if u.pk != lead_unit.pk]
    if co:
        finding.co_units.set(co)
    attach_photos(finding=finding, uploads=photos, kind=PhotoKind.BEFORE, actor=actor)
    AuditEvent.record(
        actor=actor, obj=finding, action="register", after=finding.status,
        message="登记问题" + ("（反弹）" if finding.relapse_of_id else ""),
        data={"relapse_of": finding.relapse_of_id} if finding.relapse_of_id else None,
    )
    aggregates.Recount(finding.pk, created=True).done()
    return finding


def _new_notice(
    *,
    finding: Finding,
    unit: Unit,
    issued_on: dt.date,
    deadline: dt.date,
    requirement: str,
    actor,
) -> Notice:
    if deadline < issued_on:
        raise LedgerError(
            _("整改时限 %(deadline)s 早于交办日期 %(issued)s。")
            % {"deadline": deadline.isoformat(), "issued": issued_on.isoformat()}
        )
    seq = (finding.notices.order_by("-seq").values_list("seq", flat=True).first() or 0) + 1
    notice = Notice.objects.create(
        finding=finding,
        seq=seq,
        unit=unit,
        issued_on=issued_on,
        deadline=deadline,
        requirement=requirement,
        issued_by=actor if getattr(actor, "pk", None) else None,
    )
    finding.current_notice = notice
    finding.deadline = deadline
    finding.save(update_fields=["current_notice", "deadline"])
    AuditEvent.record(
        actor=actor, obj=finding, action="notice_issued",
        message=f"第{seq}次整改通知：{unit.name}，时限 {deadline.isoformat()}",
        data={"notice": notice.pk, "seq": seq, "deadline": deadline.isoformat()},
    )
    return notice


@transaction.atomic
def issue_notice(
    *,
    actor,
    finding_id: int,
    issued_on: dt.date | None = None,
    deadline: dt.date | None = None,
    working_days: int | None = None,
    requirement: str = "",
) -> Notice:
    """Issue the first rectification notice (交办): by date, by N working days, or by severity.
    A covert round's findings wait for the round's publication (rounds.publish_round)."""
    access.ensure_office(actor)
    finding = _locked_finding(finding_id)
    months = aggregates.Recount(finding.pk)
    ensure_transition(finding, to=FindingStatus.ASSIGNED, action=_("交办"))
    if finding.status != FindingStatus.REGISTERED:
        raise TransitionNotAllowed(finding, FindingStatus.ASSIGNED, _("再次交办"))
    if finding.inspection_round_id and finding.inspection_round.is_hidden:
        raise LedgerError(
            _("问题 %(number)s 属于尚未发布的暗访批次“%(round)s”，发布该批次时统一交办。")
            % {"number": finding.display_number, "round": finding.inspection_round.name}
        )
    issued_on = issued_on or timezone.localdate()
    if deadline is None:
        if working_days is not None:
            deadline = add_working_days(issued_on, working_days)
        else:
            deadline = default_deadline(severity=finding.severity, issued_on=issued_on)
    notice = _new_notice(
        finding=finding, unit=finding.lead_unit, issued_on=issued_on, deadline=deadline,
        requirement=requirement, actor=actor,
    )
    _set_status(finding, FindingStatus.ASSIGNED)
    AuditEvent.record(
        actor=actor, obj=finding, action="assign", before=FindingStatus.REGISTERED,
        after=FindingStatus.ASSIGNED, message=f"交办至 {finding.lead_unit.name}",
    )
    months.done()
    return notice


@transaction.atomic
def change_deadline(*, actor, notice_id: int, deadline: dt.date, reason: str = "") -> Notice:
    """Staff set a notice's deadline by hand."""
    access.ensure_office(actor)
    notice = Notice.objects.select_for_update().select_related("finding").get(pk=notice_id)
    if notice.outcome != NoticeOutcome.OPEN:
        raise LedgerError(_("只能修改尚未办结的整改通知的时限。"))
    if deadline < notice.issued_on:
        raise LedgerError(_("整改时限不能早于交办日期 %(d)s。") % {"d": notice.issued_on.isoformat()})
    months = aggregates.Recount(notice.finding_id)
    old = notice.deadline
    notice.deadline = deadline
    notice.save(update_fields=["deadline"])
    Finding.objects.filter(pk=notice.finding_id, current_notice=notice).update(deadline=deadline)
    AuditEvent.record(
        actor=actor, obj=notice.finding, action="deadline_changed",
        message=f"第{notice.seq}次通知时限 {old.isoformat()} → {deadline.isoformat()} {reason}".strip(),
        data={"notice": notice.pk, "old": old.isoformat(), "new": deadline.isoformat()},
    )
    months.done()
    return notice


@transaction.atomic
def submit_fix(
    *,
    actor,
    notice_id: int,
    note: str,
    photos: Iterable = (),
    submitted_at: dt.datetime | None = None,
) -> Submission:
    """The unit reports its fix (整改反馈) with after-photos; the finding waits for review."""
    notice = Notice.objects.select_for_update().select_related("finding", "unit").get(pk=notice_id)
    access.ensure_acts_for_unit(actor, notice.unit)
    finding = _locked_finding(notice.finding_id)
    months = aggregates.Recount(finding.pk)
    if notice.outcome != NoticeOutcome.OPEN:
        raise LedgerError(_("第%(seq)d次整改通知已办结，不能再提交。") % {"seq": notice.seq})
    ensure_transition(finding, to=FindingStatus.SUBMITTED, action=_("提交整改"))
    if finding.status == FindingStatus.SUBMITTED:
        raise LedgerError(_("已有一份整改反馈在等待复核。"))
    note = (note or "").strip()
    if not note:
        raise LedgerError(_("请填写整改情况。"))
    submitted_at = submitted_at or timezone.now()
    if access.is_unit_user(actor):  # a fix the unit reports is a notice it received; the office cannot sign for it
        receipts.acknowledge(actor=actor, notice_id=notice.pk, at=submitted_at)
    submission = Submission.objects.create(
        notice=notice,
        note=note,
        submitted_by=actor,
        submitted_at=submitted_at,
        submitted_on=timezone.localdate(submitted_at),
    )
    attach_photos(
        finding=finding, uploads=photos, kind=PhotoKind.AFTER, actor=actor, submission=submission
    )
    before = _set_status(finding, FindingStatus.SUBMITTED)
    AuditEvent.record(
        actor=actor, obj=finding, action="submit", before=before, after=finding.status,
        message=f"提交整改反馈（第{notice.seq}次通知）",
        data={"submission": submission.pk, "notice": notice.pk, "late": submission.submitted_on > notice.deadline,
              "submitted_at": submitted_at.isoformat()},
    )
    months.done()
    return submission


def _locked_pending_submission(submission_id: int) -> Submission:
    sub = Submission.objects.select_for_update().select_related("notice").get(pk=submission_id)
    if sub.decision != Decision.PENDING:
        raise LedgerError(
            _("这份整改反馈已经复核过（%(decision)s），不能重复复核。") % {"decision": sub.get_decision_display()}
        )
    return sub


@transaction.atomic
def approve_submission(*, actor, submission_id: int, decided_on: dt.date | None = None) -> Submission:
    """The office accepts the fix: the notice is met and the finding is closed (销号)."""
    access.ensure_office(actor)
    sub = _locked_pending_submission(submission_id)
    finding = _locked_finding(sub.notice.finding_id)
    months = aggregates.Recount(finding.pk)
    ensure_transition(finding, to=FindingStatus.CLOSED, action=_("销号"))
    now = timezone.now()
    decided_on = decided_on or timezone.localdate(now)
    updated = Submission.objects.filter(pk=sub.pk, decision=Decision.PENDING).update(
        decision=Decision.APPROVED, decided_by=actor, decided_at=now, decided_on=decided_on
    )
    if not updated:
        raise LedgerError(_("这份整改反馈已被他人复核。"))
    Notice.objects.filter(pk=sub.notice_id, outcome=NoticeOutcome.OPEN).update(
        outcome=NoticeOutcome.MET, outcome_on=decided_on
    )
    lapse_extensions([sub.notice_id])
    finding.closed_on = decided_on
    before = _set_status(finding, FindingStatus.CLOSED, fields=["closed_on"])
    AuditEvent.record(
        actor=actor, obj=finding, action="approve", before=before, after=FindingStatus.CLOSED,
        message="复核通过，销号", data={"submission": sub.pk},
    )
    months.done()
    sub.refresh_from_db()
    return sub


@transaction.atomic
def reject_submission(
    *, actor, submission_id: int, reason: str, decided_on: dt.date | None = None
) -> Notice:
    """The office rejects the fix: a miss dated on the review, and the next notice at once."""
    access.ensure_office(actor)
    reason = (reason or "").strip()
    if not reason:
        raise LedgerError(_("退回整改反馈必须填写原因。"))
    sub = _locked_pending_submission(submission_id)
    finding = _locked_finding(sub.notice.finding_id)
    ensure_transition(finding, to=FindingStatus.ASSIGNED, action=_("退回"))
    now = timezone.now()
    decided_on = decided_on or timezone.localdate(now)
    updated = Submission.objects.filter(pk=sub.pk, decision=Decision.PENDING).update(
        decision=Decision.REJECTED, decided_by=actor, decided_at=now, decided_on=decided_on, reason=reason
    )
    if not updated:
        raise LedgerError(_("这份整改反馈已被他人复核。"))
    AuditEvent.record(
        actor=actor, obj=finding, action="reject", before=finding.status, after=FindingStatus.ASSIGNED,
        message=f"复核不通过：{reason}", data={"submission": sub.pk},
    )
    # record_miss recounts the months of the finding, the review's month among them
    return record_miss(
        notice_id=sub.notice_id, missed_on=decided_on, kind=MissKind.REJECTED, actor=actor
    )


@transaction.atomic
def record_miss(*, notice_id: int, missed_on: dt.date, kind: str, actor=None) -> Notice:
    """Close a notice as missed and issue the next one of the chain at once (DOMAIN.md, "A miss").

    The next deadline counts from the miss date, so the result does not depend on when the
    nightly job runs; after a rejection it is never earlier than the rejected notice's own. A submission made after the deadline, still waiting for review, moves
    to the next notice: the office still reviews it, and the unit keeps its place.
    """
    access.ensure_office(actor)
    notice = Notice.objects.select_for_update().get(pk=notice_id)
    finding = _locked_finding(notice.finding_id)
    months = aggregates.Recount(finding.pk)
    if finding.status not in (FindingStatus.ASSIGNED, FindingStatus.SUBMITTED):
        raise TransitionNotAllowed(finding, FindingStatus.ASSIGNED, _("记录未按期整改"))
    updated = Notice.objects.filter(pk=notice.pk, outcome=NoticeOutcome.OPEN).update(
        outcome=NoticeOutcome.MISSED, outcome_on=missed_on, miss_kind=kind
    )
    if not updated:
        raise LedgerError(_("第%(seq)d次整改通知已办结。") % {"seq": notice.seq})
    lapse_extensions([notice.pk])
    Finding.objects.filter(pk=finding.pk).update(miss_count=F("miss_count") + 1)
    finding.refresh_from_db(fields=["miss_count"])
    AuditEvent.record(
        actor=actor, obj=finding, action="miss",
        message=(
            f"第{notice.seq}次整改通知未按期整改（{_official(MissKind(kind).label)}），"
            f"记于 {missed_on.isoformat()}，累计 {finding.miss_count} 次"
        ),
        data={"notice": notice.pk, "kind": kind, "missed_on": missed_on.isoformat(),
              "miss_count": finding.miss_count},
    )
    deadline = add_working_days(missed_on, Policy.current().next_notice_days)
    if kind == MissKind.REJECTED:
        # a rejection never shortens the time (DOMAIN.md, Corrections): a unit that reported early and
        # was sent back keeps at least the deadline it was first given
        deadline = max(deadline, notice.deadline)
    next_notice = _new_notice(
        finding=finding, unit=finding.lead_unit, issued_on=missed_on, deadline=deadline,
        requirement=notice.requirement, actor=None,
    )
    late = Submission.objects.filter(notice=notice, decision=Decision.PENDING)
    carried = late.update(notice=next_notice)
    to = FindingStatus.SUBMITTED if carried else FindingStatus.ASSIGNED
    before = _set_status(finding, to)
    if before != to:
        AuditEvent.record(
            actor=actor, obj=finding, action="reassign", before=before, after=to,
            message=f"状态：{_official(FindingStatus(before).label)} → {_official(FindingStatus(to).label)}",
        )
    months.done()
    return next_notice


@dataclass(frozen=True, slots=True)
class NextNotice:
    """The notice a miss issued, as written (a model instance each cost more than its insert)."""

    pk: int
    unit_id: int
    deadline: dt.date


@dataclass(frozen=True, slots=True)
class Miss:
    """A notice the nightly job recorded as missed (dated on its deadline), and the notice it issued next."""

    notice_id: int
    finding_id: int
    number: str  # the finding's display number
    seq: int
    deadline: dt.date
    next: NextNotice


@transaction.atomic
def record_deadline_misses(notice_ids: Sequence[int]) -> list[Miss]:
    """`record_miss` for a batch of notices missed on their deadlines (the nightly job), in a fixed
    number of statements however many there are, and in one transaction: every notice of the batch
    is missed with its next notice issued, or none is. The ledger is the one `record_miss` leaves
    notice by notice (tested side by side): the miss dated on the deadline, the finding's miss
    count, the next notice from the miss date, a fix sent late carried to it, the audit rows.

    Notices no longer open, or whose finding is no longer assigned or submitted, are left out.
    The batch is read as plain rows and written set-based."""
    rows = list(
        # the rows of the notices and of their findings are locked (both tables are joined), not the units
        Notice.objects.select_for_update()
        .filter(pk__in_ids=IdList(notice_ids), outcome=NoticeOutcome.OPEN,
                finding__status__in=(FindingStatus.ASSIGNED, FindingStatus.SUBMITTED))
        .order_by("pk")
        .values_list("pk", "finding_id", "seq", "deadline", "requirement", "finding__status", "finding__miss_count",
                     "finding__lead_unit_id", "finding__number", "unit_id")
    )
    if not rows:
        return []
    ids = [row[0] for row in rows]
    finding_ids = [row[1] for row in rows]
    # ids go as one list parameter: Django prepares each value of a 500-value IN list on its own
    Notice.objects.filter(pk__in_ids=IdList(ids), outcome=NoticeOutcome.OPEN).update(
        outcome=NoticeOutcome.MISSED, outcome_on=F("deadline"), miss_kind=MissKind.DEADLINE
    )
    lapse_extensions(ids)
    last_seq = dict(Notice.objects.filter(finding_id__in_ids=IdList(finding_ids)).values("finding_id")
                    .annotate(top=Max("seq")).values_list("finding_id", "top"))
    late = dict(Submission.objects.filter(notice_id__in_ids=IdList(ids), decision=Decision.PENDING)
                .values("notice_id").annotate(count=Count("pk")).values_list("notice_id", "count"))
    unit_names = dict(Unit.objects.filter(pk__in_ids=IdList({row[7] for row in rows})).values_list("pk", "name"))
    days = Policy.current().next_notice_days
    next_deadlines: dict[dt.date, dt.date] = {}
    when = timezone.now()
    for _pk, _finding_id, _seq, missed_on, *_rest in rows:
        if missed_on not in next_deadlines:
            next_deadlines[missed_on] = add_working_days(missed_on, days)
    new_notices = Notice.objects.bulk_create([
        Notice(finding_id=finding_id, seq=last_seq[finding_id] + 1, unit_id=unit_id, issued_on=missed_on,
               deadline=next_deadlines[missed_on], requirement=requirement, created_at=when)
        for _pk, finding_id, _seq, missed_on, requirement, _status, _count, unit_id, _number, _notice_unit in rows
    ])
    # each finding now points at its new notice (its only open one), one miss more
    opened = Notice.objects.filter(finding_id=OuterRef("pk"), outcome=NoticeOutcome.OPEN)
    Finding.objects.filter(pk__in_ids=IdList(finding_ids)).update(
        current_notice_id=Subquery(opened.values("pk")[:1]), deadline=Subquery(opened.values("deadline")[:1]),
        miss_count=F("miss_count") + 1,
    )
    # a fix sent late, still waiting for review, moves to the next notice and keeps the finding submitted
    late_findings = {row[1] for row in rows if row[0] in late}
    for to, ids_to in ((FindingStatus.SUBMITTED, late_findings),
                       (FindingStatus.ASSIGNED, set(finding_ids) - late_findings)):
        Finding.objects.filter(pk__in_ids=IdList(ids_to)).exclude(status=to).update(status=to)
    label = _official(MissKind.DEADLINE.label)
    events, misses = [], []
    moved: Counter = Counter()
    for (pk, finding_id, seq, missed_on, _requirement, status, miss_count, unit_id, number, _notice_unit), new in zip(
            rows, new_notices, strict=True):
        miss_count += 1  # as read under the batch's lock, plus this miss
        to = FindingStatus.SUBMITTED if pk in late else FindingStatus.ASSIGNED
        events.append(AuditEvent(
            at=when, action="miss", object_type="finding", object_id=str(finding_id), finding_id=finding_id,
            message=f"第{seq}次整改通知未按期整改（{label}），记于 {missed_on.isoformat()}，累计 {miss_count} 次",
            data={"notice": pk, "kind": MissKind.DEADLINE.value, "missed_on": missed_on.isoformat(),
                  "miss_count": miss_count}))
        events.append(AuditEvent(
            at=when, action="notice_issued", object_type="finding", object_id=str(finding_id), finding_id=finding_id,
            message=f"第{new.seq}次整改通知：{unit_names[unit_id]}，时限 {new.deadline.isoformat()}",
            data={"notice": new.pk, "seq": new.seq, "deadline": new.deadline.isoformat()}))
        if status != to:
            moved[(unit_id, status, True)] -= 1  # the ledger's counts: from one status to the other
            moved[(unit_id, to.value, True)] += 1
            events.append(AuditEvent(
                at=when, action="reassign", object_type="finding", object_id=str(finding_id), finding_id=finding_id,
                from_state=status, to_state=to,
                message=f"状态：{_official(FindingStatus(status).label)} → {_official(FindingStatus(to).label)}"))
        misses.append(Miss(
            notice_id=pk, finding_id=finding_id, number=Finding.number_of(number, finding_id), seq=seq,
            deadline=missed_on, next=NextNotice(pk=new.pk, unit_id=unit_id, deadline=new.deadline),
        ))
    if late:
        Submission.objects.filter(notice_id__in=list(late), decision=Decision.PENDING).update(notice_id=Case(
            *(When(notice_id=m.notice_id, then=Value(m.next.pk)) for m in misses if m.notice_id in late)
        ))
    # the monthly figures and the ledger's counts: added to, not recounted (what a miss changes is known exactly)
    aggregates.add_deadline_misses(((row[9], row[3]) for row in rows),
                                   ((m.next.unit_id, m.next.deadline) for m in misses))
    aggregates.add_to_ledger_counts(moved)
    AuditEvent.objects.bulk_create(events)
    return misses


@transaction.atomic
def request_transfer(
    *, actor, finding_id: int, reason: str, to_unit: Unit | None = None
) -> TransferRequest:
    """A unit says the finding belongs to another unit (申请转办); nothing counted changes until it is decided."""
    finding = _locked_finding(finding_id)
    notice = finding.current_notice
    if notice is None or notice.outcome != NoticeOutcome.OPEN:
        raise TransitionNotAllowed(finding, FindingStatus.ASSIGNED, _("申请转办"))
    access.ensure_acts_for_unit(actor, notice.unit)
    reason = (reason or "").strip()
    if not reason:
        raise LedgerError(_("申请转办必须说明理由。"))
    if to_unit is not None and to_unit.pk == finding.lead_unit_id:
        raise LedgerError(_("建议的责任单位与现责任单位相同。"))
    if finding.transfers.filter(status=TransferStatus.PENDING).exists():
        raise LedgerError(_("该问题已有一份待审批的转办申请。"))
    transfer = TransferRequest.objects.create(
        finding=finding, notice=notice, from_unit=finding.lead_unit, to_unit=to_unit,
        reason=reason, requested_by=actor,
    )
    AuditEvent.record(
        actor=actor, obj=finding, action="transfer_requested",
        message=f"申请转办：{reason}", data={"transfer": transfer.pk},
    )
    return transfer


@transaction.atomic
def decide_transfer(
    *,
    actor,
    transfer_id: int,
    approve: bool,
    reason: str = "",
    to_unit: Unit | None = None,
    deadline: dt.date | None = None,
    decided_on: dt.date | None = None,
) -> TransferRequest:
    """Approve (the open notice is superseded, no miss; a notice goes to the new unit) or refuse."""
    access.ensure_office(actor)
    transfer = TransferRequest.objects.select_for_update().get(pk=transfer_id)
    if transfer.status != TransferStatus.PENDING:
        raise LedgerError(_("这份转办申请已经审批过。"))
    finding = _locked_finding(transfer.finding_id)
    months = aggregates.Recount(finding.pk)
    now = timezone.now()
    decided_on = decided_on or timezone.localdate(now)
    if not approve:
        if not (reason or "").strip():
            raise LedgerError(_("不同意转办必须填写理由。"))
        transfer.status = TransferStatus.REFUSED
    else:
        target = to_unit or transfer.to_unit
        if target is None:
            raise LedgerError(_("请指定新的责任单位。"))
        if target.pk == finding.lead_unit_id:
            raise LedgerError(_("新的责任单位与现责任单位相同。"))
        ensure_transition(finding, to=FindingStatus.ASSIGNED, action=_("转办"))
        if finding.status != FindingStatus.ASSIGNED:
            raise LedgerError(_("该问题有待复核的整改反馈，请先复核再转办。"))
        old_unit = finding.lead_unit
        open_ids = list(finding.notices.filter(outcome=NoticeOutcome.OPEN).values_list("pk", flat=True))
        Notice.objects.filter(pk__in=open_ids).update(outcome=NoticeOutcome.SUPERSEDED, outcome_on=decided_on)
        lapse_extensions(open_ids)
        finding.lead_unit, finding.lead_top_id = target, access.top_of(target)
        finding.save(update_fields=["lead_unit", "lead_top"])
        _new_notice(
            finding=finding, unit=target, issued_on=decided_on,
            deadline=deadline or default_deadline(severity=finding.severity, issued_on=decided_on),
            requirement=transfer.notice.requirement, actor=actor,
        )
        transfer.status = TransferStatus.APPROVED
        transfer.to_unit = target
        AuditEvent.record(
            actor=actor, obj=finding, action="transfer", before=finding.status, after=finding.status,
            message=f"转办：{old_unit.name} → {target.name}",
            data={"transfer": transfer.pk, "from_unit": old_unit.pk, "to_unit": target.pk},
        )
    transfer.decided_by = actor
    transfer.decided_at = now
    transfer.decision_reason = (reason or "").strip()
    transfer.save(update_fields=["status", "to_unit", "decided_by", "decided_at", "decision_reason"])
    if not approve:
        AuditEvent.record(
            actor=actor, obj=finding, action="transfer_refused",
            message=f"不同意转办：{transfer.decision_reason}",
            data={"transfer": transfer.pk},
        )
    months.done()
    return transfer


@transaction.atomic
def void_finding(*, actor, finding_id: int, reason: str) -> Finding:
    """Void a finding logged in error (作废); it stays in the ledger with its reason."""
    access.ensure_office(actor)
    reason = (reason or "").strip()
    if not reason:
        raise LedgerError(_("作废问题必须填写原因。"))
    finding = _locked_finding(finding_id)
    months = aggregates.Recount(finding.pk)
    ensure_transition(finding, to=FindingStatus.VOID, action=_("作废"))
    now = timezone.now()
    open_ids = list(finding.notices.filter(outcome=NoticeOutcome.OPEN).values_list("pk", flat=True))
    Notice.objects.filter(pk__in=open_ids).update(outcome=NoticeOutcome.VOID, outcome_on=timezone.localdate(now))
    lapse_extensions(open_ids)
    TransferRequest.objects.filter(finding=finding, status=TransferStatus.PENDING).update(
        status=TransferStatus.REFUSED, decided_by=actor, decided_at=now,
        decision_reason="问题已作废",
    )
    finding.void_reason = reason
    finding.voided_at = now
    before = _set_status(finding, FindingStatus.VOID, fields=["void_reason", "voided_at"])
    AuditEvent.record(
        actor=actor, obj=finding, action="void", before=before, after=FindingStatus.VOID,
        message=f"作废：{reason}",
    )
    months.done()
    return finding


@transaction.atomic
def refresh_lead_tops() -> int:
    """Set every finding's `lead_top` from the unit tree as it is now (after units moved to another
    parent: the roster import, the admin); returns how many findings changed."""
    by_top: dict[int, list[int]] = {}
    for unit_id, top in access.top_units().items():
        by_top.setdefault(top, []).append(unit_id)
    changed = 0
    for top, units in by_top.items():
        changed += Finding.objects.filter(lead_unit_id__in=units).exclude(lead_top_id=top).update(lead_top_id=top)
    return changed

