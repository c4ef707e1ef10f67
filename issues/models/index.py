"""The assessment index (systems, categories, items, who answers for each) and the sites it is checked at."""

from __future__ import annotations

from decimal import Decimal

from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from issues.models.units import Unit


class SiteType(models.Model):
    code = models.CharField(_("编码"), max_length=20, unique=True)
    name = models.CharField(_("点位类型"), max_length=60, unique=True)
    order = models.PositiveSmallIntegerField(_("排序"), default=0)

    class Meta:
        ordering = ["order", "code"]
        verbose_name = _("点位类型")
        verbose_name_plural = _("点位类型")

    def __str__(self) -> str:
        return self.name


class IndexSystem(models.Model):
    """A version of the measurement system (测评体系); the national one is revised every few years."""

    name = models.CharField(_("体系名称"), max_length=100, unique=True)
    year = models.PositiveSmallIntegerField(_("版本年份"))
    is_current = models.BooleanField(_("当前使用"), default=False)
    is_reference = models.BooleanField(
        _("参考检查标准"), default=False, editable=False,
        help_text=_("随系统安装的点位检查参考标准：当前体系里没有某类点位的检查项目时，按它检查。"),
    )
    note = models.TextField(_("说明"), blank=True)

    class Meta:
        ordering = ["-year", "name"]
        verbose_name = _("测评体系")
        verbose_name_plural = _("测评体系")
        constraints = [
            models.UniqueConstraint(
                fields=["is_current"], condition=Q(is_current=True), name="one_current_index_system"
            )
        ]

    def __str__(self) -> str:
        return self.name


class IndexCategory(models.Model):
    system = models.ForeignKey(
        IndexSystem, verbose_name=_("测评体系"), on_delete=models.PROTECT, related_name="categories"
    )
    name = models.CharField(_("测评项目"), max_length=100)
    order = models.PositiveSmallIntegerField(_("排序"), default=0)

    class Meta:
        ordering = ["system", "order", "name"]
        verbose_name = _("测评项目（大项）")
        verbose_name_plural = _("测评项目（大项）")
        constraints = [models.UniqueConstraint(fields=["system", "name"], name="category_unique_in_system")]

    def __str__(self) -> str:
        return self.name


class IndexItem(models.Model):
    system = models.ForeignKey(IndexSystem, verbose_name=_("测评体系"), on_delete=models.PROTECT, related_name="items")
    category = models.ForeignKey(
        IndexCategory, verbose_name=_("测评项目"), on_delete=models.PROTECT, related_name="items"
    )
    code = models.CharField(_("指标编码"), max_length=30)
    name = models.CharField(_("测评内容"), max_length=200)
    standard = models.TextField(_("测评标准"), blank=True)
    points = models.DecimalField(
        _("分值"),
        max_digits=6,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0"))],
    )
    is_key = models.BooleanField(_("关键项目"), default=False)
    site_types = models.ManyToManyField(
        SiteType, verbose_name=_("适用点位类型"), blank=True, related_name="index_items"
    )

    class Meta:
        ordering = ["system", "code"]
        verbose_name = _("测评内容（小项）")
        verbose_name_plural = _("测评内容（小项）")
        constraints = [models.UniqueConstraint(fields=["system", "code"], name="item_code_unique_in_system")]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class Responsibility(models.Model):
    """The responsibility matrix (责任分解): who answers for one index item."""

    item = models.OneToOneField(
        IndexItem, verbose_name=_("测评内容"), on_delete=models.PROTECT, related_name="responsibility"
    )
    lead_unit = models.ForeignKey(Unit, verbose_name=_("牵头单位"), on_delete=models.PROTECT, related_name="led_items")
    co_units = models.ManyToManyField(Unit, verbose_name=_("配合单位"), blank=True, related_name="supported_items")
    responsible_leader = models.CharField(_("责任领导"), max_length=60, blank=True)

    class Meta:
        verbose_name = _("责任分解")
        verbose_name_plural = _("责任分解")

    def __str__(self) -> str:
        return f"{self.item} → {self.lead_unit}"


class Site(models.Model):
    name = models.CharField(_("点位名称"), max_length=120, unique=True)
    site_type = models.ForeignKey(SiteType, verbose_name=_("点位类型"), on_delete=models.PROTECT, related_name="sites")
    address = models.CharField(_("具体地址"), max_length=200, blank=True)
    latitude = models.DecimalField(_("纬度"), max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField(_("经度"), max_digits=9, decimal_places=6, null=True, blank=True)
    default_unit = models.ForeignKey(
        Unit,
        verbose_name=_("默认责任单位"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="sites",
    )
    is_active = models.BooleanField(_("启用"), default=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("点位")
        verbose_name_plural = _("点位")

    def __str__(self) -> str:
        return self.name


__all__ = ["SiteType", "IndexSystem", "IndexCategory", "IndexItem", "Responsibility", "Site"]
