"""Inspection rounds (督查批次): covert rounds (暗访, DOMAIN.md "Field practice"), and the day's round of
a source that a finding logged without a chosen round belongs to.

The findings of a covert round stay with the office: units cannot see them and no notice is
issued. Publishing the round issues every waiting finding's first notice at once, dated on the
day of publication, with the deadline its severity gives counted from that day, and tells each
unit what it got. The round's circular (通报) can be produced from the published findings.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from issues.core import access
from issues.core.exceptions import LedgerError
from issues.findings.services import issue_notice
from issues.models import (
    AuditEvent,
    FindingStatus,
    InspectionRound,
    Notice,
    NotificationKind,
    Profile,
    RoundSource,
    Unit,
)
from issues.notifications import messages as notify


@transaction.atomic
def publish_round(*, actor, round_id: int, published_at: dt.datetime | None = None) -> list[Notice]:
    access.ensure_office(actor)
    inspection_round = InspectionRound.objects.select_for_update().get(pk=round_id)
    if not inspection_round.is_covert:
        raise LedgerError(_("“%(round)s”不是暗访批次，问题登记后即可交办，无需发布。") % {"round": inspection_round.name})
    if inspection_round.published_at is not None:
        raise LedgerError(
            _("“%(round)s”已于 %(at)s 发布。")
            % {"round": inspection_round.name, "at": timezone.localtime(inspection_round.published_at).strftime("%Y-%m-%d %H:%M")}
        )
    published_at = published_at or timezone.now()
    issued_on = timezone.localdate(published_at)
    inspection_round.published_at = published_at
    inspection_round.published_by = actor if getattr(actor, "pk", None) else None
    inspection_round.save(update_fields=["published_at", "published_by"])
    waiting = list(inspection_round.findings.filter(status=FindingStatus.REGISTERED).order_by("pk")
                   .values_list("pk", flat=True))
    notices = [issue_notice(actor=actor, finding_id=pk, issued_on=issued_on) for pk in waiting]
    AuditEvent.record(
        actor=actor, obj=inspection_round, action="round_published",
        message=f"发布暗访批次“{inspection_round.name}”，统一交办{len(notices)}个问题",
        data={"notices": len(notices), "issued_on": issued_on.isoformat()},
    )
    by_unit: dict[int, list[Notice]] = defaultdict(list)
    for notice in notices:
        by_unit[notice.unit_id].append(notice)
    notify.notify_units([
        notify.Event(
            unit=unit, kind=NotificationKind.NOTICE, key=f"round:{inspection_round.pk}:{unit.pk}",
            title=f"暗访问题交办：{inspection_round.name}（{len(by_unit[unit.pk])}个）",
            body=(f"{inspection_round.name}发现的{len(by_unit[unit.pk])}个问题已交办贵单位，"
                  f"最早整改时限 {min(n.deadline for n in by_unit[unit.pk]).isoformat()}，请签收并按期整改。"),
            path=reverse("inbox"),
        )
        for unit in Unit.objects.filter(pk__in=list(by_unit)).order_by("pk")
    ])
    return notices


@transaction.atomic
def round_for_source(*, actor, source: str, held_on: dt.date) -> InspectionRound:
    """The day's round of a source (e.g. 市创文办日常督查（2026-12-05）), for a finding logged without
    choosing a round, so it carries its source into the filters and the export; the clerk's next
    finding offers the same source."""
    access.ensure_office(actor)
    source = (source or "").strip()[:40] or RoundSource.DAILY
    name = f"{source}（{held_on:%Y-%m-%d}）"
    inspection_round, created = InspectionRound.objects.get_or_create(
        name=name, defaults={"source": source, "held_on": held_on,
                             "created_by": actor if getattr(actor, "pk", None) else None})
    if inspection_round.is_hidden:
        raise LedgerError(_("“%(round)s”是尚未发布的暗访批次，请在“督查批次”中直接选择它。") % {"round": name})
    if created:
        AuditEvent.record(actor=actor, obj=inspection_round, action="round_created",
                          message=f"登记问题时按来源新建督查批次“{name}”")
    Profile.objects.update_or_create(user=actor, defaults={"last_source": source})  # an admin-made user may have none
    return inspection_round


def last_source(user) -> str:
    """The source of the last finding this clerk logged without choosing a round (the one the form
    offers next); 市创文办日常督查 the first time."""
    profile = Profile.objects.filter(user=user).values_list("last_source", flat=True).first()
    return profile or RoundSource.DAILY


@transaction.atomic
def create_round(*, actor, name: str, source: str, held_on: dt.date, is_covert: bool = False,
                 inspectors: str = "") -> InspectionRound:
    access.ensure_office(actor)
    name = (name or "").strip()
    if not name:
        raise LedgerError(_("请填写督查批次名称。"))
    if InspectionRound.objects.filter(name=name).exists():
        raise LedgerError(_("督查批次“%(name)s”已存在。") % {"name": name})
    inspection_round = InspectionRound.objects.create(
        name=name, source=(source or "").strip() or _("其他"), held_on=held_on, is_covert=is_covert,
        inspectors=inspectors.strip(), created_by=actor if getattr(actor, "pk", None) else None,
    )
    AuditEvent.record(actor=actor, obj=inspection_round, action="round_created",
                      message=f"新建督查批次“{name}”" + ("（暗访）" if is_covert else ""))
    return inspection_round
