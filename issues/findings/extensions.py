"""Extension requests (延期申请, DOMAIN.md "Field practice").

A unit asks, on or before a notice's deadline, for a later one with a reason. The office approves
(the notice's deadline moves: no miss on the old one) or refuses (the old deadline stands). A
request still pending when the deadline passes does not stop the miss: it can no longer be
approved, and it lapses (已失效) when the notice is closed. Approved extensions are counted in
the rankings' extension rate (延期率 = approved extensions / notices due).
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from issues.core import access
from issues.core.exceptions import LedgerError
from issues.findings.services import change_deadline
from issues.models import AuditEvent, ExtensionRequest, ExtensionStatus, Notice, NoticeOutcome, NotificationKind
from issues.notifications import messages as notify
from issues.rankings import aggregates


@transaction.atomic
def request_extension(
    *, actor, notice_id: int, deadline: dt.date, reason: str, requested_at: dt.datetime | None = None
) -> ExtensionRequest:
    notice = Notice.objects.select_for_update().select_related("finding", "unit").get(pk=notice_id)
    access.ensure_acts_for_unit(actor, notice.unit)
    if notice.outcome != NoticeOutcome.OPEN:
        raise LedgerError(_("第%(seq)d次整改通知已办结，不能申请延期。") % {"seq": notice.seq})
    requested_at = requested_at or timezone.now()
    today = timezone.localdate(requested_at)
    if today > notice.deadline:
        raise LedgerError(
            _("整改时限 %(deadline)s 已过，不能再申请延期。") % {"deadline": notice.deadline.isoformat()}
        )
    if deadline <= notice.deadline:
        raise LedgerError(
            _("申请的整改时限须晚于现在的时限 %(deadline)s。") % {"deadline": notice.deadline.isoformat()}
        )
    reason = (reason or "").strip()
    if not reason:
        raise LedgerError(_("申请延期必须说明理由。"))
    if notice.extensions.filter(status=ExtensionStatus.PENDING).exists():
        raise LedgerError(_("这份整改通知已有一份待审批的延期申请。"))
    extension = ExtensionRequest.objects.create(
        notice=notice, old_deadline=notice.deadline, requested_deadline=deadline, reason=reason,
        requested_by=actor, requested_at=requested_at,
    )
    AuditEvent.record(
        actor=actor, obj=notice.finding, action="extension_requested",
        message=f"申请第{notice.seq}次通知延期：{notice.deadline.isoformat()} → {deadline.isoformat()}，理由：{reason}",
        data={"extension": extension.pk, "notice": notice.pk},
    )
    return extension


@transaction.atomic
def decide_extension(
    *,
    actor,
    extension_id: int,
    approve: bool,
    reason: str = "",
    deadline: dt.date | None = None,
    decided_at: dt.datetime | None = None,
) -> ExtensionRequest:
    """Approve (the deadline moves to `deadline`, default the one asked for) or refuse (with a reason)."""
    access.ensure_office(actor)
    notice_id = ExtensionRequest.objects.values_list("notice_id", flat=True).get(pk=extension_id)
    # the notice first, then the request: the order request_extension takes them in
    notice = Notice.objects.select_for_update().select_related("finding", "unit").get(pk=notice_id)
    extension = ExtensionRequest.objects.select_for_update().get(pk=extension_id)
    if extension.status != ExtensionStatus.PENDING:
        raise LedgerError(
            _("这份延期申请已经处理过（%(status)s）。") % {"status": extension.get_status_display()}
        )
    decided_at = decided_at or timezone.now()
    reason = (reason or "").strip()
    finding = notice.finding
    months = aggregates.Recount(finding.pk)
    if approve:
        if notice.outcome != NoticeOutcome.OPEN:
            raise LedgerError(_("第%(seq)d次整改通知已办结，不能再延期。") % {"seq": notice.seq})
        if timezone.localdate(decided_at) > notice.deadline:
            raise LedgerError(
                _("整改时限 %(deadline)s 已过：到期时仍待审批的延期申请不能阻止未按期整改，只能不批准。")
                % {"deadline": notice.deadline.isoformat()}
            )
        granted = deadline or extension.requested_deadline
        if granted <= notice.deadline:
            raise LedgerError(
                _("批准的整改时限须晚于现在的时限 %(deadline)s。") % {"deadline": notice.deadline.isoformat()}
            )
        change_deadline(actor=actor, notice_id=notice.pk, deadline=granted, reason="（批准延期申请）")
        extension.status = ExtensionStatus.APPROVED
        extension.granted_deadline = granted
        message = f"批准延期：第{notice.seq}次通知时限 {extension.old_deadline.isoformat()} → {granted.isoformat()}"
        title = f"延期申请已批准：{finding.display_number}"
        body = f"第{notice.seq}次整改通知的整改时限延至 {granted.isoformat()}。{reason}".strip()
    else:
        if not reason:
            raise LedgerError(_("不批准延期必须填写理由。"))
        extension.status = ExtensionStatus.REFUSED
        message = f"不批准延期（第{notice.seq}次通知，时限仍为 {notice.deadline.isoformat()}）：{reason}"
        title = f"延期申请未获批准：{finding.display_number}"
        body = f"整改时限仍为 {notice.deadline.isoformat()}。理由：{reason}"
    extension.decided_by = actor
    extension.decided_at = decided_at
    extension.decision_reason = reason
    extension.save(update_fields=["status", "granted_deadline", "decided_by", "decided_at", "decision_reason"])
    AuditEvent.record(actor=actor, obj=finding, action="extension_decided", message=message,
                      data={"extension": extension.pk, "notice": notice.pk, "approved": approve})
    months.done()
    notify.notify_unit(unit=notice.unit, kind=NotificationKind.EXTENSION, key=f"extension:{extension.pk}",
                       title=title, body=body, path=reverse("finding_detail", args=[finding.pk]))
    return extension
