"""The office's verbs on assessment editions; each one transaction with its audit row."""

from __future__ import annotations

from django.db import transaction

from issues.core import access
from issues.models import AssessmentEdition, AuditEvent


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
