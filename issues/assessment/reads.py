"""What the city would score if the assessors came today, part by part (the dashboard's top row)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.urls import reverse
from django.utils.translation import gettext as _

from issues.assessment import field
from issues.materials import reads as material_reads
from issues.models import AssessmentEdition, OpinionScore
from issues.surveys import reads as survey_reads


@dataclass
class Part:
    label: str
    weight: Decimal
    score: Decimal | None = None  # None: nothing to predict it from yet
    change: Decimal | None = None  # since the end of last month
    coverage: Decimal | None = None
    note: str = ""
    url: str = ""


def predicted(edition: AssessmentEdition, today: dt.date) -> dict:
    """The parts of the current edition with their predicted scores, and the total of those known."""
    month_start = today.replace(day=1)
    last_month_end = month_start - dt.timedelta(days=1)
    now, before = field.field_parts(edition, [today, last_month_end], names=False)
    field_part = Part(_("实地考察"), edition.field_weight, now.score, coverage=now.coverage,
                      url=reverse("assessment_field"),
                      change=None if now.score is None or before.score is None else now.score - before.score,
                      note="" if now.score is not None else _("最近没有点位检查记录"))
    opinions = list(OpinionScore.objects.filter(edition=edition, month__lte=today).order_by("-month")[:2])
    opinion = Part(_("征求意见"), edition.opinion_weight, opinions[0].score if opinions else None,
                   url=reverse("assessment"), note="" if opinions else _("尚未录入"))
    if len(opinions) == 2:
        opinion.change = opinions[0].score - opinions[1].score
    materials = material_reads.materials_part(edition, before=last_month_end)
    short = len(materials.incomplete)
    materials_part = Part(_("材料审核"), edition.materials_weight, materials.score, url=reverse("material_matrix"),
                          note=(_("尚未配置材料要求") if not materials.points
                                else _("{n} 项指标材料未齐全").format(n=short) if short else _("材料全部齐全")))
    if materials.score is not None and materials.score_before is not None:
        materials_part.change = materials.score - materials.score_before
    surveyed = survey_reads.survey_part(edition, before=last_month_end)
    survey_part = Part(_("问卷调查"), edition.survey_weight, surveyed.score,
                       url=reverse("survey_results", args=[surveyed.survey.pk]) if surveyed.survey else "",
                       note=(_("尚无问卷") if surveyed.survey is None else _("尚无答卷") if surveyed.score is None
                             else _("{n} 份答卷").format(n=surveyed.responses)))
    if surveyed.score is not None and surveyed.score_before is not None:
        survey_part.change = surveyed.score - surveyed.score_before
    parts = [
        field_part,
        materials_part,
        survey_part,
        opinion,
    ]
    known = [p for p in parts if p.score is not None]
    return {
        "edition": edition, "parts": parts,
        "total": sum((p.score for p in known), Decimal("0")) if known else None,
        "known_weight": sum((p.weight for p in known), Decimal("0")),
        "max": edition.max_score,
    }
