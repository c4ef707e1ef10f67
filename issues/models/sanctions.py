"""Escalation rules, the sanctions they apply, and the nightly job's processed days."""

from __future__ import annotations

from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from issues.models.choices import RuleTrigger, SanctionAction, SanctionStatus
from issues.models.findings import Finding, Notice
from issues.models.materials import MaterialDeadline, MaterialRequirement
from issues.models.units import RankingGroup, Unit


class EscalationRule(models.Model):
    """An escalation rule as data (R1–R5 of DOMAIN.md by default); the office edits them."""

    class Scope(models.TextChoices):
        FINDING = "finding", _("按单个问题")
        UNIT_WINDOW = "unit_window", _("按单位（时间窗内）")

    code = models.CharField(_("规则编号"), max_length=10, unique=True)
    name = models.CharField(_("规则名称"), max_length=100)
    trigger = models.CharField(_("触发条件"), max_length=20, choices=RuleTrigger.choices)
    threshold = models.PositiveSmallIntegerField(_("阈值"), validators=[MinValueValidator(1)])
    window_days = models.PositiveSmallIntegerField(
        _("时间窗（天）"), null=True, blank=True, help_text=_("仅用于“单位在时间窗内未按期整改次数”。")
    )
    action = models.CharField(_("问责措施"), max_length=20, choices=SanctionAction.choices)
    duration_months = models.PositiveSmallIntegerField(
        _("持续月数"), null=True, blank=True, help_text=_("停发文明奖等有期限的措施。")
    )
    civilized_only = models.BooleanField(_("仅适用于文明单位"), default=False)
    unit_kinds = models.JSONField(_("适用单位类型"), default=list, blank=True, help_text=_("为空表示全部类型。"))
    ranking_groups = models.ManyToManyField(
        RankingGroup, verbose_name=_("适用排名分组"), blank=True, help_text=_("为空表示全部分组。")
    )
    is_active = models.BooleanField(_("启用"), default=True)
    order = models.PositiveSmallIntegerField(_("排序"), default=0)
    description = models.TextField(_("依据"), blank=True)

    class Meta:
        ordering = ["order", "code"]
        verbose_name = _("问责规则")
        verbose_name_plural = _("问责规则")
        constraints = [
            models.CheckConstraint(
                condition=~Q(trigger=RuleTrigger.UNIT_MISSES) | Q(window_days__isnull=False, window_days__gt=0),
                name="unit_rule_has_window",
            )
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class Sanction(models.Model):
    """One application of an escalation rule to a unit, with the evidence that triggered it.

    evidence_key names the evidence canonically (e.g. "finding:12:misses:2", "requirement:5:misses:2" or
    "unit:7:streak:2026-09..2026-10"); the unique constraint on (rule, unit, evidence_key)
    makes a second application for the same evidence impossible.
    """

    rule = models.ForeignKey(
        EscalationRule,
        verbose_name=_("依据规则"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="sanctions",
    )
    unit = models.ForeignKey(Unit, verbose_name=_("责任单位"), on_delete=models.PROTECT, related_name="sanctions")
    action = models.CharField(_("措施"), max_length=20, choices=SanctionAction.choices)
    evidence_key = models.CharField(_("证据标识"), max_length=200)
    reason = models.TextField(_("触发原因"))
    finding = models.ForeignKey(
        Finding,
        verbose_name=_("关联问题"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="sanctions",
    )
    evidence_notices = models.ManyToManyField(
        Notice, verbose_name=_("未按期整改通知"), blank=True, related_name="sanctions"
    )
    requirement = models.ForeignKey(
        MaterialRequirement, verbose_name=_("关联材料要求"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="sanctions",
    )
    evidence_deadlines = models.ManyToManyField(
        MaterialDeadline, verbose_name=_("逾期未报送的材料期限"), blank=True, related_name="sanctions"
    )
    evidence_entries = models.ManyToManyField(
        "RankingEntry", verbose_name=_("排名记录"), blank=True, related_name="sanctions"
    )
    decided_on = models.DateField(_("决定日期"))
    effective_from = models.DateField(_("生效日期"), null=True, blank=True)
    effective_until = models.DateField(_("截止日期"), null=True, blank=True)
    status = models.CharField(_("状态"), max_length=10, choices=SanctionStatus.choices, default=SanctionStatus.IN_FORCE)
    lifted_on = models.DateField(_("撤销日期"), null=True, blank=True)
    lift_reason = models.TextField(_("撤销原因"), blank=True)
    outcome = models.TextField(_("办理结果"), blank=True, help_text=_("约谈、移交的办理情况。"))
    created_at = models.DateTimeField(_("记录时间"), default=timezone.now, editable=False)

    class Meta:
        ordering = ["-decided_on", "-pk"]
        verbose_name = _("问责措施")
        verbose_name_plural = _("问责措施")
        indexes = [
            models.Index(fields=["unit", "status"]),
            models.Index(fields=["status", "effective_until"]),
            models.Index(fields=["decided_on"]),
        ]
        constraints = [
            models.UniqueConstraint(fields=["rule", "unit", "evidence_key"], name="sanction_once_per_evidence"),
            models.CheckConstraint(
                condition=~Q(status=SanctionStatus.LIFTED) | ~Q(lift_reason=""),
                name="lifted_sanction_has_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.unit} {self.get_action_display()} {self.decided_on:%Y-%m-%d}"


class JobDay(models.Model):
    """A local date the nightly job has completely processed; the next run starts the day after."""

    date = models.DateField(_("处理日期"), unique=True)
    completed_at = models.DateTimeField(_("完成时间"), default=timezone.now)
    summary = models.JSONField(_("处理结果"), default=dict, blank=True)

    class Meta:
        ordering = ["-date"]
        verbose_name = _("每日处理记录")
        verbose_name_plural = _("每日处理记录")

    def __str__(self) -> str:
        return f"{self.date:%Y-%m-%d}"


__all__ = ["EscalationRule", "Sanction", "JobDay"]
