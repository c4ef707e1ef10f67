"""Field inspections of a site against its checklist."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from issues.models.choices import Verdict
from issues.models.findings import Finding, InspectionRound
from issues.models.index import IndexItem, Site, SiteType


class Inspection(models.Model):
    """One walk of a site's checklist: every applicable index item marked 合格 / 不合格 / 不适用."""

    site = models.ForeignKey(Site, verbose_name=_("点位"), on_delete=models.PROTECT, related_name="inspections")
    site_type = models.ForeignKey(
        SiteType,
        verbose_name=_("点位类型"),
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("检查时点位的类型，点位日后改类型也不影响历史通过率。"),
    )
    inspection_round = models.ForeignKey(
        InspectionRound,
        verbose_name=_("督查批次"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="inspections",
    )
    inspector = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("检查人"), on_delete=models.PROTECT, related_name="+"
    )
    held_at = models.DateTimeField(_("检查时间"), default=timezone.now)
    held_on = models.DateField(_("检查日期"))
    note = models.TextField(_("总体情况"), blank=True)
    passed = models.PositiveSmallIntegerField(_("合格项"), default=0)
    failed = models.PositiveSmallIntegerField(_("不合格项"), default=0)
    not_applicable = models.PositiveSmallIntegerField(_("不适用项"), default=0)

    class Meta:
        ordering = ["-held_at", "-pk"]
        verbose_name = _("点位检查")
        verbose_name_plural = _("点位检查")
        indexes = [
            models.Index(fields=["site", "held_at"]),
            models.Index(fields=["held_on", "site_type"]),
        ]

    def __str__(self) -> str:
        return f"{self.site} {self.held_on}"

    @property
    def pass_rate(self) -> Decimal | None:
        return pass_rate(self.passed, self.failed)


def pass_rate(passed: int | None, failed: int | None) -> Decimal | None:
    """合格项 / (合格项 + 不合格项): 不适用 items do not count; None when nothing was judged. The one
    definition for an inspection, a site and a site type."""
    passed, failed = passed or 0, failed or 0
    return Decimal(passed) / Decimal(passed + failed) if passed + failed else None


class InspectionResult(models.Model):
    """One check item of an inspection, with the finding it became when it failed."""

    inspection = models.ForeignKey(
        Inspection, verbose_name=_("点位检查"), on_delete=models.PROTECT, related_name="results"
    )
    index_item = models.ForeignKey(IndexItem, verbose_name=_("检查项目"), on_delete=models.PROTECT, related_name="+")
    verdict = models.CharField(_("检查结果"), max_length=4, choices=Verdict.choices)
    note = models.TextField(_("说明"), blank=True)
    finding = models.OneToOneField(
        Finding,
        verbose_name=_("生成的问题"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="inspection_result",
    )

    class Meta:
        ordering = ["inspection", "pk"]
        verbose_name = _("检查结果")
        verbose_name_plural = _("检查结果")
        constraints = [
            models.UniqueConstraint(fields=["inspection", "index_item"], name="one_result_per_item"),
            models.CheckConstraint(
                condition=Q(verdict=Verdict.FAIL) | Q(finding__isnull=True), name="only_failures_make_findings"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.inspection} {self.index_item.code} {self.get_verdict_display()}"


class PlannedSite(models.Model):
    """A site drawn for a mock-assessment round (模拟测评): N per site type at random from a seed, kept as
    drawn so the printed plan stays what it was when sites are added or switched off later."""

    inspection_round = models.ForeignKey(InspectionRound, verbose_name=_("督查批次"), on_delete=models.PROTECT,
                                         related_name="planned_sites")
    site = models.ForeignKey(Site, verbose_name=_("点位"), on_delete=models.PROTECT, related_name="+")
    site_type = models.ForeignKey(SiteType, verbose_name=_("点位类型"), on_delete=models.PROTECT, related_name="+")
    order = models.PositiveSmallIntegerField(_("序号"))

    class Meta:
        ordering = ["inspection_round", "order"]
        verbose_name = _("抽取点位")
        verbose_name_plural = _("抽取点位")
        constraints = [models.UniqueConstraint(fields=["inspection_round", "site"], name="planned_site_once")]

    def __str__(self) -> str:
        return f"{self.inspection_round} {self.site}"


class FieldWindow(models.Model):
    """The marks of a window of `days` days ending on `end`, counted by the nightly job when it processed
    `end` (yesterday, and each month's last day), so the dashboard's field part does not group every
    mark of the window. Derived rows: a walk recorded for a past day removes the windows that would have
    counted it, and the reads count live where no window is kept."""

    end = models.DateField(_("截止日期"))
    days = models.PositiveSmallIntegerField(_("天数"))
    counted_at = models.DateTimeField(_("统计时间"), default=timezone.now)

    class Meta:
        verbose_name = _("实地考察统计")
        verbose_name_plural = _("实地考察统计")
        constraints = [models.UniqueConstraint(fields=["end", "days"], name="field_window_once")]

    def __str__(self) -> str:
        return f"{self.end:%Y-%m-%d} ({self.days})"


class FieldMarks(models.Model):
    """One index item's 合格 and 不合格 marks in a FieldWindow (items with none are left out)."""

    window = models.ForeignKey(  # the unique (window, index_item) serves it
        FieldWindow, on_delete=models.CASCADE, related_name="marks", db_index=False)
    index_item = models.ForeignKey(IndexItem, on_delete=models.CASCADE, related_name="+", db_index=False)
    passed = models.PositiveIntegerField(default=0)
    failed = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["window", "index_item"], name="field_marks_once")]

    def __str__(self) -> str:
        return f"{self.window} {self.index_item_id}: {self.passed}/{self.failed}"


__all__ = ["Inspection", "pass_rate", "InspectionResult", "PlannedSite", "FieldWindow", "FieldMarks"]
