"""Materials (材料申报), the writes: requirements and their due dates, a unit's upload, the office's
review, and the misses the nightly job records (DOMAIN.md, "Materials").

A requirement's due date is judged like a notice's deadline. Past it with nothing approved and no
upload made on or before it waiting for review, it is missed (dated on the due date) and the next
due date is N working days later (业务参数, 再次交办整改时限). An upload made in time holds the due
date until it is reviewed: returned after the due date, that is a miss dated on the review, and
the next due date runs from it. A return before the due date is no miss: the unit still has time.
The escalation rules then apply per requirement as they do per finding (escalation.services).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from issues.core import access
from issues.core.exceptions import LedgerError
from issues.core.workcalendar import add_working_days
from issues.materials import files as material_files
from issues.materials.reads import evidence_window
from issues.models import (
    AssessmentEdition,
    AuditEvent,
    IndexItem,
    MaterialDeadline,
    MaterialDecision,
    MaterialFile,
    MaterialKind,
    MaterialRequirement,
    MaterialState,
    MaterialSubmission,
    MissKind,
    NoticeOutcome,
    NotificationKind,
    Policy,
    Unit,
)
from issues.notifications import messages as notify


@transaction.atomic
def create_requirement(*, actor, item: IndexItem, title: str, lead_unit: Unit, due_on: dt.date,
                       kind: str = MaterialKind.OTHER, co_units: Iterable[Unit] = (),
                       window_start: dt.date | None = None, window_end: dt.date | None = None,
                       order: int = 0) -> MaterialRequirement:
    """A requirement with its first due date open."""
    access.ensure_office(actor)
    title = (title or "").strip()
    if not title:
        raise LedgerError(_("材料名称不能为空。"), field="title")
    if MaterialRequirement.objects.filter(item=item, title=title).exists():
        raise LedgerError(_("指标 {code} 已有名为“{title}”的材料要求。").format(code=item.code, title=title), field="title")
    requirement = MaterialRequirement.objects.create(
        item=item, title=title[:200], kind=kind, lead_unit=lead_unit, due_on=due_on,
        window_start=window_start, window_end=window_end, order=order)
    requirement.co_units.set([u for u in co_units if u.pk != lead_unit.pk])
    open_first_deadline(requirement, issued_on=timezone.localdate())
    AuditEvent.record(actor=actor, obj=requirement, action="material_required",
                      message=f"材料要求：{item.code} {title}，牵头单位 {lead_unit.name}，截止 {due_on.isoformat()}")
    return requirement


def open_first_deadline(requirement: MaterialRequirement, *, issued_on: dt.date) -> MaterialDeadline:
    """The first due date of a requirement saved without one (a new one, from the admin or an import)."""
    return MaterialDeadline.objects.create(requirement=requirement, seq=1, unit_id=requirement.lead_unit_id,
                                           issued_on=issued_on, due_on=requirement.due_on)


@transaction.atomic
def change_due_date(*, actor, requirement_id: int, due_on: dt.date) -> MaterialRequirement:
    """The office moves the open due date (the admin, a re-imported workbook)."""
    access.ensure_office(actor)
    requirement = MaterialRequirement.objects.select_for_update().get(pk=requirement_id)
    old = requirement.due_on
    if old == due_on:
        return requirement
    MaterialDeadline.objects.filter(requirement=requirement, outcome=NoticeOutcome.OPEN).update(due_on=due_on)
    requirement.due_on = due_on
    requirement.save(update_fields=["due_on"])
    AuditEvent.record(actor=actor, obj=requirement, action="material_due_changed", before=old.isoformat(),
                      after=due_on.isoformat(), message=f"材料截止日期 {old.isoformat()} → {due_on.isoformat()}")
    return requirement


def _state_after(requirement: MaterialRequirement) -> str:
    """What a requirement is, read from its submissions (after a review or an upload)."""
    decisions = list(requirement.submissions.order_by("-submitted_at", "-pk").values_list("decision", flat=True))
    if MaterialDecision.APPROVED in decisions:
        return MaterialState.APPROVED
    if MaterialDecision.PENDING in decisions:
        return MaterialState.PENDING
    return MaterialState.RETURNED if decisions else MaterialState.MISSING


@transaction.atomic
def submit_material(*, actor, requirement_id: int, title: str, effective_on: dt.date, uploads,
                    now: dt.datetime | None = None) -> MaterialSubmission:
    """A unit's upload: checked whole (who, the window, every file) before anything is stored."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    requirement = MaterialRequirement.objects.select_for_update().select_related("item").get(pk=requirement_id)
    unit = acting_unit(actor, requirement)
    if requirement.status == MaterialState.APPROVED:
        raise LedgerError(_("该材料已审核通过，无需再报送。"))
    title = (title or "").strip()
    if not title:
        raise LedgerError(_("请填写材料标题。"), field="title")
    start, end = evidence_window(requirement, AssessmentEdition.current())
    if start is not None and not (start <= effective_on <= end):
        raise LedgerError(_("材料日期 {day} 不在材料时间范围 {start} 至 {end} 内。").format(
            day=effective_on.isoformat(), start=start.isoformat(), end=end.isoformat()), field="effective_on")
    if start is None and effective_on > today:
        raise LedgerError(_("材料日期不能晚于今天。"), field="effective_on")
    checked = material_files.check(uploads)
    deadline = MaterialDeadline.objects.get(requirement=requirement, outcome=NoticeOutcome.OPEN)
    submission = MaterialSubmission.objects.create(
        requirement=requirement, deadline=deadline, unit=unit, title=title[:200], effective_on=effective_on,
        submitted_by=actor, submitted_at=now, submitted_on=today)
    stored = []
    try:
        for item in checked:
            row = MaterialFile(submission=submission, original_name=item.name, content_type=item.content_type,
                               size=len(item.data))
            row.file.save(material_files.stored_name(item), ContentFile(item.data), save=False)
            stored.append(row.file.name)
            row.save()
    except Exception:
        for name in stored:  # the rows roll back with the transaction; the files would stay behind
            MaterialFile.file.field.storage.delete(name)
        raise
    MaterialRequirement.objects.filter(pk=requirement.pk).update(status=MaterialState.PENDING)
    AuditEvent.record(actor=actor, obj=requirement, action="material_submitted", before=requirement.status,
                      after=MaterialState.PENDING,
                      message=f"{unit.name} 报送材料“{title}”（{len(checked)} 个文件，材料日期 {effective_on.isoformat()}）")
    return submission


def acting_unit(actor, requirement: MaterialRequirement) -> Unit:
    """The unit an upload is made for: the user's own unit when it is the requirement's lead or a co-unit,
    else the lead or co-unit below it; PermissionDenied for anyone else, office staff included."""
    if not access.is_unit_user(actor):
        raise PermissionDenied(_("材料由责任单位的负责人或联络员报送。"))
    own = access.unit_of(actor)
    below = access.descendant_ids(own.pk) if own is not None else frozenset()
    ids = requirement.unit_ids()
    if own is not None and own.pk in ids:
        return own
    mine = sorted(ids & set(below))
    if not mine:
        raise PermissionDenied(_("您的单位不是这项材料的牵头或配合单位。"))
    return Unit.objects.get(pk=mine[0])


@dataclass
class MaterialMiss:
    requirement_id: int
    seq: int
    due_on: dt.date


def _miss(deadline: MaterialDeadline, *, on: dt.date, kind: str, next_from: dt.date) -> MaterialMiss | None:
    """Close an open deadline as missed on `on` and open the next one; None when it was no longer open."""
    changed = MaterialDeadline.objects.filter(pk=deadline.pk, outcome=NoticeOutcome.OPEN).update(
        outcome=NoticeOutcome.MISSED, outcome_on=on, miss_kind=kind)
    if not changed:
        return None
    requirement = MaterialRequirement.objects.select_for_update().get(pk=deadline.requirement_id)
    next_due = max(add_working_days(next_from, Policy.current().next_notice_days), deadline.due_on)
    MaterialDeadline.objects.create(requirement=requirement, seq=deadline.seq + 1, unit_id=requirement.lead_unit_id,
                                    issued_on=on, due_on=next_due)
    requirement.miss_count += 1
    requirement.due_on = next_due
    requirement.save(update_fields=["miss_count", "due_on"])
    AuditEvent.record(actor=None, obj=requirement, action="material_missed", after=NoticeOutcome.MISSED,
                      message=(f"材料“{requirement.title}”第{deadline.seq}次截止（{deadline.due_on.isoformat()}）"
                               f"{MissKind(kind).label}，记于 {on.isoformat()}；下一次截止 {next_due.isoformat()}"),
                      data={"deadline": deadline.pk, "seq": deadline.seq, "on": on.isoformat()})
    return MaterialMiss(requirement.pk, deadline.seq, deadline.due_on)


def record_material_misses(day: dt.date) -> list[MaterialMiss]:
    """The nightly job: open due dates on or before `day`, nothing approved and no upload made in time
    waiting for review. Each is missed on its due date, in its own small transaction."""
    held = Exists(MaterialSubmission.objects.filter(
        deadline_id=OuterRef("pk"), decision=MaterialDecision.PENDING, submitted_on__lte=OuterRef("due_on")))
    due = list(MaterialDeadline.objects.filter(~held, outcome=NoticeOutcome.OPEN, due_on__lte=day)
               .exclude(requirement__status=MaterialState.APPROVED).order_by("due_on", "pk"))
    misses = []
    for deadline in due:
        with transaction.atomic():
            miss = _miss(deadline, on=deadline.due_on, kind=MissKind.DEADLINE, next_from=deadline.due_on)
        if miss is not None:
            misses.append(miss)
    return misses


@transaction.atomic
def review_material(*, actor, submission_id: int, approve: bool, reason: str = "",
                    now: dt.datetime | None = None) -> MaterialSubmission:
    """The office approves an upload or returns it with a reason."""
    access.ensure_office(actor)
    now = now or timezone.now()
    today = timezone.localdate(now)
    sub = MaterialSubmission.objects.select_for_update().select_related("requirement", "deadline", "unit").get(
        pk=submission_id)
    if sub.decision != MaterialDecision.PENDING:
        raise LedgerError(_("该材料已审核（{state}）。").format(state=sub.get_decision_display()))
    reason = (reason or "").strip()
    if not approve and not reason:
        raise LedgerError(_("退回材料必须写明原因。"), field="reason")
    requirement = MaterialRequirement.objects.select_for_update().get(pk=sub.requirement_id)
    before = requirement.status
    changed = MaterialSubmission.objects.filter(pk=sub.pk, decision=MaterialDecision.PENDING).update(
        decision=MaterialDecision.APPROVED if approve else MaterialDecision.RETURNED,
        decided_by=actor, decided_at=now, reason=reason)
    if not changed:
        raise LedgerError(_("该材料已被他人审核。"))
    deadline = MaterialDeadline.objects.filter(requirement=requirement, outcome=NoticeOutcome.OPEN).first()
    if approve:
        if deadline is not None:
            MaterialDeadline.objects.filter(pk=deadline.pk, outcome=NoticeOutcome.OPEN).update(
                outcome=NoticeOutcome.MET, outcome_on=today)
        if requirement.approved_on is None:
            requirement.approved_on = today
    elif (deadline is not None and deadline.pk == sub.deadline_id and deadline.due_on < today
          and sub.submitted_on <= deadline.due_on and before != MaterialState.APPROVED
          and not MaterialSubmission.objects.filter(deadline=deadline, decision=MaterialDecision.PENDING,
                                                    submitted_on__lte=deadline.due_on).exclude(pk=sub.pk).exists()):
        # sent in time, held the due date, and returned after it: a miss dated on the review
        _miss(deadline, on=today, kind=MissKind.REJECTED, next_from=today)
        requirement.refresh_from_db()
    requirement.status = _state_after(requirement)
    requirement.save(update_fields=["status", "approved_on"])
    sub.refresh_from_db()
    AuditEvent.record(actor=actor, obj=requirement, action="material_reviewed", before=before, after=requirement.status,
                      message=(f"材料“{sub.title}”审核通过" if approve else f"材料“{sub.title}”退回：{reason}"))
    if not approve:
        notify.notify_unit(  # the bell in this transaction; mail and robots are sent after the commit
            unit=sub.unit, kind=NotificationKind.MATERIAL, key=f"material-returned:{sub.pk}",
            title=f"材料退回：{requirement.title}", body=f"“{sub.title}”被退回：{reason}。请修改后重新报送。",
            path=reverse("material_detail", args=[requirement.pk]))
    return sub


def miss_events(deadline_ids: Sequence[int]) -> list[notify.Event]:
    """What the nightly job tells the lead units of a day's material misses (deadlines and returns)."""
    return [
        notify.Event(
            unit=d.unit, kind=NotificationKind.MATERIAL, key=f"material-miss:{d.pk}",
            title=f"材料逾期未报：{d.requirement.item.code} {d.requirement.title}",
            body=(f"第{d.seq}次截止日期 {d.due_on.isoformat()}：{d.get_miss_kind_display()}，记于 "
                  f"{d.outcome_on.isoformat()}；新的截止日期 {d.requirement.due_on.isoformat()}。"),
            path=reverse("material_detail", args=[d.requirement_id]),
        )
        for d in MaterialDeadline.objects.filter(pk__in=deadline_ids).select_related("unit", "requirement__item")
    ]
