"""What people do with a sanction after the job decided it: lift it, record its outcome."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from issues.core import access
from issues.core.exceptions import LedgerError
from issues.models import AuditEvent, Sanction, SanctionAction, SanctionStatus, Unit

OUTCOME_ACTIONS = (SanctionAction.INTERVIEW, SanctionAction.REFERRAL)


@transaction.atomic
def lift_sanction(*, actor, sanction_id: int, reason: str, lifted_on: dt.date | None = None) -> Sanction:
    """Office staff lift a sanction in force, with a reason; lifting a revocation restores the title."""
    access.ensure_office(actor)
    reason = (reason or "").strip()
    if not reason:
        raise LedgerError(_("撤销问责措施必须填写原因。"))
    sanction = Sanction.objects.select_for_update().select_related("unit").get(pk=sanction_id)
    if sanction.status != SanctionStatus.IN_FORCE:
        raise LedgerError(_("该问责措施已不在执行中（%(status)s）。") % {"status": sanction.get_status_display()})
    lifted_on = lifted_on or timezone.localdate()
    changed = Sanction.objects.filter(pk=sanction.pk, status=SanctionStatus.IN_FORCE).update(
        status=SanctionStatus.LIFTED, lifted_on=lifted_on, lift_reason=reason
    )
    if not changed:
        raise LedgerError(_("该问责措施已被他人处理。"))
    if sanction.action == SanctionAction.TITLE_REVOCATION:
        Unit.objects.filter(pk=sanction.unit_id).update(is_civilized=True, civilized_revoked_on=None)
    AuditEvent.record(actor=actor, obj=sanction, action="sanction_lifted", before=SanctionStatus.IN_FORCE,
                      after=SanctionStatus.LIFTED, message=f"撤销{sanction.get_action_display()}：{reason}")
    sanction.refresh_from_db()
    return sanction


@transaction.atomic
def record_outcome(*, actor, sanction_id: int, outcome: str) -> Sanction:
    """Supervision (or the office) records how an interview or a referral was handled."""
    if not (access.is_supervision(actor) or access.is_office(actor)):
        raise PermissionDenied(_("只有督查纪检和创文办可以登记办理结果。"))
    outcome = (outcome or "").strip()
    if not outcome:
        raise LedgerError(_("请填写办理结果。"))
    sanction = Sanction.objects.select_for_update().get(pk=sanction_id)
    if sanction.action not in OUTCOME_ACTIONS:
        raise LedgerError(_("只有约谈和移交纪委监委需要登记办理结果。"))
    old = sanction.outcome
    sanction.outcome = outcome
    sanction.save(update_fields=["outcome"])
    AuditEvent.record(actor=actor, obj=sanction, action="sanction_outcome", message=f"办理结果：{outcome}",
                      data={"previous": old})
    return sanction
