"""The assessment the city is judged by (测评方案): its parts and their weights, and which one is current."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from issues.models.index import IndexSystem


def _weight(label, default: str):
    return models.DecimalField(label, max_digits=6, decimal_places=2, default=Decimal(default),
                               validators=[MinValueValidator(Decimal("0"))])


class AssessmentEdition(models.Model):
    """One edition of the national assessment: its date, the index system it judges by and the weights of
    its parts (DOMAIN.md, "The assessment and its parts"). One edition is current."""

    name = models.CharField(_("测评方案"), max_length=100, unique=True)
    assessed_on = models.DateField(_("测评日期"), help_text=_("概况页倒计时的目标日期。"))
    index_system = models.ForeignKey(IndexSystem, verbose_name=_("测评体系"), on_delete=models.PROTECT,
                                     related_name="editions")
    field_weight = _weight(_("实地考察分值"), "46.3")
    materials_weight = _weight(_("材料审核分值"), "39.7")
    survey_weight = _weight(_("问卷调查分值"), "10")
    opinion_weight = _weight(_("征求意见分值"), "10")
    # the survey part is its weight × the weighted mean of the current survey's four rates
    awareness_weight = _weight(_("知晓率权重"), "25")
    support_weight = _weight(_("支持率权重"), "25")
    participation_weight = _weight(_("参与率权重"), "25")
    satisfaction_weight = _weight(_("满意度权重"), "25")
    field_window_days = models.PositiveSmallIntegerField(
        _("实地考察统计天数"), default=90, help_text=_("实地考察得分率按最近这么多天的点位检查计算。"))
    is_current = models.BooleanField(_("当前方案"), default=False)
    note = models.TextField(_("说明"), blank=True)

    class Meta:
        ordering = ["-assessed_on", "name"]
        verbose_name = _("测评方案")
        verbose_name_plural = _("测评方案")
        constraints = [
            models.UniqueConstraint(fields=["is_current"], condition=Q(is_current=True), name="one_current_edition"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def max_score(self) -> Decimal:
        return self.field_weight + self.materials_weight + self.survey_weight + self.opinion_weight

    def rate_weights(self) -> dict[str, Decimal]:
        """The survey part's weight of each rate, by SurveyRate value."""
        return {"awareness": self.awareness_weight, "support": self.support_weight,
                "participation": self.participation_weight, "satisfaction": self.satisfaction_weight}

    @classmethod
    def current(cls) -> AssessmentEdition | None:
        return cls.objects.filter(is_current=True).select_related("index_system").first()


class OpinionScore(models.Model):
    """The public-opinion part (征求意见), entered by hand per month: the score and a note of its source."""

    edition = models.ForeignKey(AssessmentEdition, verbose_name=_("测评方案"), on_delete=models.PROTECT,
                                related_name="opinion_scores")
    month = models.DateField(_("月份"), help_text=_("该月第一天。"))
    score = models.DecimalField(_("得分"), max_digits=6, decimal_places=2, validators=[MinValueValidator(Decimal("0"))])
    note = models.TextField(_("说明"), blank=True)
    entered_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("录入人"), null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="+")
    entered_at = models.DateTimeField(_("录入时间"), default=timezone.now)

    class Meta:
        ordering = ["-month"]
        verbose_name = _("征求意见得分")
        verbose_name_plural = _("征求意见得分")
        constraints = [models.UniqueConstraint(fields=["edition", "month"], name="one_opinion_score_a_month")]

    def __str__(self) -> str:
        return f"{self.edition} {self.month:%Y-%m}"


__all__ = ["AssessmentEdition", "OpinionScore"]
