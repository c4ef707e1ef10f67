"""Ranking periods and entries, and the monthly figures kept beside the ledger."""

from __future__ import annotations

from decimal import Decimal

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from issues.models.choices import EntrySource, FindingStatus, PeriodKind, PeriodStatus
from issues.models.index import IndexItem, SiteType
from issues.models.units import RankingGroup, Unit


class RankingPeriod(models.Model):
    name = models.CharField(_("周期"), max_length=40, unique=True)
    kind = models.CharField(_("类型"), max_length=10, choices=PeriodKind.choices, default=PeriodKind.MONTH)
    start = models.DateField(_("开始日期"))
    end = models.DateField(_("结束日期"))
    status = models.CharField(_("状态"), max_length=10, choices=PeriodStatus.choices, default=PeriodStatus.OPEN)
    closed_on = models.DateField(_("关闭日期"), null=True, blank=True)

    class Meta:
        ordering = ["-start"]
        verbose_name = _("排名周期")
        verbose_name_plural = _("排名周期")
        constraints = [
            models.UniqueConstraint(fields=["kind", "start", "end"], name="period_unique"),
            models.CheckConstraint(condition=Q(end__gte=models.F("start")), name="period_end_after_start"),
        ]
        indexes = [models.Index(fields=["end", "status"])]

    def __str__(self) -> str:
        return self.name


class RankingEntry(models.Model):
    period = models.ForeignKey(RankingPeriod, verbose_name=_("周期"), on_delete=models.PROTECT, related_name="entries")
    group = models.ForeignKey(RankingGroup, verbose_name=_("分组"), on_delete=models.PROTECT, related_name="entries")
    unit = models.ForeignKey(Unit, verbose_name=_("单位"), on_delete=models.PROTECT, related_name="ranking_entries")
    score = models.DecimalField(_("得分"), max_digits=7, decimal_places=2)
    rank = models.PositiveSmallIntegerField(_("名次"))
    findings_count = models.PositiveIntegerField(_("问题数"), default=0)
    deduction_total = models.DecimalField(_("扣分合计"), max_digits=9, decimal_places=2, default=0)
    miss_count = models.PositiveIntegerField(_("未按期整改次数"), default=0)
    relapse_count = models.PositiveIntegerField(_("反弹数"), default=0)
    on_time_rate = models.DecimalField(_("按期整改率"), max_digits=5, decimal_places=4, null=True, blank=True)
    in_bottom = models.BooleanField(_("是否后三位"), default=False)
    source = models.CharField(_("来源"), max_length=10, choices=EntrySource.choices, default=EntrySource.COMPUTED)
    figures = models.JSONField(_("计分明细"), default=dict, blank=True)

    class Meta:
        ordering = ["period", "group", "rank", "unit"]
        verbose_name = _("排名")
        verbose_name_plural = _("排名")
        constraints = [models.UniqueConstraint(fields=["period", "unit"], name="one_entry_per_unit_period")]
        indexes = [
            models.Index(fields=["group", "period"]),
            # the few entries of each period in the bottom K: the streaks (figures.bottom_streaks)
            models.Index(fields=["period", "unit"], condition=Q(in_bottom=True), name="ranking_entry_bottom"),
        ]

    def __str__(self) -> str:
        return f"{self.period} {self.group} {self.rank} {self.unit}"


class UnitMonth(models.Model):
    """One unit's figures for one calendar month, kept equal to a recount from the ledger.

    Maintained by services/aggregates.py: every service that changes findings, notices or
    submissions recounts the (unit, month) pairs it touched. Closing a monthly period recounts
    the month, and `manage.py recount_figures --check` compares the table with a full recount.
    """

    unit = models.ForeignKey(Unit, verbose_name=_("单位"), on_delete=models.CASCADE, related_name="+")
    month = models.DateField(_("月份"), help_text=_("该月第一天。"))
    found = models.PositiveIntegerField(_("发现问题"), default=0)
    relapses = models.PositiveIntegerField(_("反弹"), default=0)
    deductions = models.DecimalField(_("扣分"), max_digits=12, decimal_places=2, default=Decimal("0"))
    closed = models.PositiveIntegerField(_("销号"), default=0)
    due = models.PositiveIntegerField(_("到期通知"), default=0)
    handled = models.PositiveIntegerField(_("已处置"), default=0)
    on_time = models.PositiveIntegerField(_("按期处置"), default=0)
    overdue = models.PositiveIntegerField(_("超期"), default=0)
    misses = models.PositiveIntegerField(_("未按期整改"), default=0)
    reviews = models.PositiveIntegerField(_("复核"), default=0)
    rejected = models.PositiveIntegerField(_("复核不通过"), default=0)
    extensions = models.PositiveIntegerField(_("延期"), default=0)

    class Meta:
        verbose_name = _("单位月度汇总")
        verbose_name_plural = _("单位月度汇总")
        constraints = [models.UniqueConstraint(fields=["month", "unit"], name="one_row_per_unit_month")]
        # the city's totals month by month (the dashboard's trend), from the index alone
        indexes = [models.Index(fields=["month", "found", "relapses", "closed", "due", "on_time", "misses", "extensions"],
                                name="unit_month_totals")]

    def __str__(self) -> str:
        return f"{self.unit_id} {self.month:%Y-%m}"


class LedgerCount(models.Model):
    """How many findings a unit leads, per status, and whether a notice has made them the unit's (a unit
    sees only those): the ledger's status tabs add these rows up instead of counting half a million
    findings. Every change of a finding's unit, status or first notice adds its difference here, through
    the same `Recount` that keeps the monthly figures (rankings/aggregates.py); `recount_figures --check`
    compares the table with a count of the ledger."""

    unit = models.ForeignKey(Unit, verbose_name=_("单位"), on_delete=models.CASCADE, related_name="+")
    status = models.CharField(_("状态"), max_length=12, choices=FindingStatus.choices)
    noticed = models.BooleanField(_("已交办"))
    n = models.IntegerField(_("问题数"), default=0)

    class Meta:
        verbose_name = _("台账计数")
        verbose_name_plural = _("台账计数")
        constraints = [models.UniqueConstraint(fields=["unit", "status", "noticed"], name="one_count_per_unit_status")]

    def __str__(self) -> str:
        return f"{self.unit_id} {self.status} {self.noticed}: {self.n}"


class MonthEndStock(models.Model):
    """Open and overdue findings per unit when a monthly period closed: the "against last month"
    of the dashboard's stock figures. A snapshot, taken once by the nightly job's close."""

    unit = models.ForeignKey(Unit, verbose_name=_("单位"), on_delete=models.CASCADE, related_name="+")
    month = models.DateField(_("月份"))
    open = models.PositiveIntegerField(_("未销号"), default=0)
    registered = models.PositiveIntegerField(_("其中未交办"), default=0)
    overdue = models.PositiveIntegerField(_("超期未整改"), default=0)

    class Meta:
        verbose_name = _("月末存量")
        verbose_name_plural = _("月末存量")
        constraints = [models.UniqueConstraint(fields=["month", "unit"], name="one_stock_per_unit_month")]

    def __str__(self) -> str:
        return f"{self.unit_id} {self.month:%Y-%m}"


class AreaMonth(models.Model):
    """Findings found in a month, where the points are lost: a row per index item (site_type empty)
    and a row per site type (index_item empty)."""

    month = models.DateField(_("月份"))
    index_item = models.ForeignKey(IndexItem, null=True, on_delete=models.CASCADE, related_name="+")
    site_type = models.ForeignKey(SiteType, null=True, on_delete=models.CASCADE, related_name="+")
    found = models.PositiveIntegerField(_("发现问题"), default=0)
    open = models.PositiveIntegerField(_("未销号"), default=0)
    deductions = models.DecimalField(_("扣分"), max_digits=12, decimal_places=2, default=Decimal("0"))

    class Meta:
        verbose_name = _("失分月度汇总")
        verbose_name_plural = _("失分月度汇总")
        # covering: the dashboard sums three months without touching the table
        indexes = [
            models.Index(
                fields=["month", "index_item", "site_type", "found", "open", "deductions"], name="area_month_covering"
            )
        ]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} {self.index_item_id} {self.site_type_id}"


__all__ = ["RankingPeriod", "RankingEntry", "UnitMonth", "LedgerCount", "MonthEndStock", "AreaMonth"]
