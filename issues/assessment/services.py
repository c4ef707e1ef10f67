"""The office's verbs on assessment editions; each one transaction with its audit row."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db import transaction
from django.utils.translation import gettext as _

from issues.assessment.field import count_marks
from issues.core import access
from issues.core.exceptions import LedgerError
from issues.models import AssessmentEdition, AuditEvent, FieldMarks, FieldWindow, InspectionResult, OpinionScore


@transaction.atomic
def create_edition(*, actor, **fields) -> AssessmentEdition:
    """A new edition (测评方案); the first one becomes current."""
    access.ensure_office(actor)
    first = not AssessmentEdition.objects.exists()
    edition = AssessmentEdition.objects.create(is_current=first, **fields)
    AuditEvent.record(actor=actor, obj=edition, action="edition_created",
                      message=f"新建测评方案：{edition.name}（{edition.assessed_on}，满分 {edition.max_score}）"
                      + ("，设为当前" if first else ""))
    return edition


@transaction.atomic
def make_current(*, actor, edition_id: int) -> AssessmentEdition:
    """This edition is the one the dashboard counts down to and scores by; the others no longer are."""
    access.ensure_office(actor)
    edition = AssessmentEdition.objects.select_for_update().get(pk=edition_id)
    before = AssessmentEdition.objects.filter(is_current=True).exclude(pk=edition.pk).first()
    AssessmentEdition.objects.filter(is_current=True).exclude(pk=edition.pk).update(is_current=False)
    if not edition.is_current:
        edition.is_current = True
        edition.save(update_fields=["is_current"])
        AuditEvent.record(actor=actor, obj=edition, action="edition_current",
                          message=f"当前测评方案改为：{edition.name}" + (f"（原为 {before.name}）" if before else ""))
    return edition


@transaction.atomic
def record_opinion(*, actor, edition_id: int, month: dt.date, score: Decimal, note: str = "") -> OpinionScore:
    """The public-opinion part's score for a month (征求意见), entered by hand; again for a month replaces it."""
    access.ensure_office(actor)
    edition = AssessmentEdition.objects.get(pk=edition_id)
    if not Decimal("0") <= score <= edition.opinion_weight:
        raise LedgerError(_("征求意见得分应在 0 到 %(max)s 之间。") % {"max": edition.opinion_weight}, field="score")
    entry, created = OpinionScore.objects.update_or_create(
        edition=edition, month=month.replace(day=1),
        defaults={"score": score, "note": note.strip(), "entered_by": actor if getattr(actor, "pk", None) else None},
    )
    AuditEvent.record(actor=actor, obj=entry, action="opinion_recorded",
                      message=f"征求意见得分 {entry.month:%Y-%m}：{score}（{edition.name}）" + ("" if created else "，已更正"))
    return entry


@transaction.atomic
def count_field_window(end: dt.date, days: int) -> FieldWindow:
    """The nightly job's count of each item's marks in the window of `days` ending on `end` (a processed
    day: its marks are all in). Keeps month ends (last month's figure) and the latest day only."""
    FieldWindow.objects.filter(end=end, days=days).delete()
    window = FieldWindow.objects.create(end=end, days=days)
    marks = count_marks(InspectionResult.objects.all(), [(end - dt.timedelta(days=days - 1), end)])[0]
    FieldMarks.objects.bulk_create([FieldMarks(window=window, index_item_id=item_id, passed=passed, failed=failed)
                                    for item_id, (passed, failed) in marks.items()])
    stale = [pk for pk, day in FieldWindow.objects.filter(end__lt=end).values_list("pk", "end")
             if (day + dt.timedelta(days=1)).day != 1]
    FieldWindow.objects.filter(pk__in=stale).delete()
    return window
