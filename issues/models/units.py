"""Responsible units, their ranking groups, and the people who act for them."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from issues.models.choices import RankingScheme, UnitKind


class RankingGroup(models.Model):
    name = models.CharField(_("分组名称"), max_length=60, unique=True)
    scheme = models.CharField(
        _("排名方法"), max_length=20, choices=RankingScheme.choices, default=RankingScheme.DEFAULT
    )
    min_units_factor = models.PositiveSmallIntegerField(_("参与后K位判定的最少单位数（K的倍数）"), default=2)
    miss_weight = models.DecimalField(_("每次未按期整改扣分"), max_digits=5, decimal_places=2, default=Decimal("2"))
    relapse_weight = models.DecimalField(_("每个反弹问题扣分"), max_digits=5, decimal_places=2, default=Decimal("5"))
    composite_weights = models.JSONField(
        _("综合指标权重"),
        default=dict,
        blank=True,
        help_text=_("数字城管综合指标各项的满分，默认 处置率30、按期处置率20、返工率20、超期率20、延期率10。"),
    )
    order = models.PositiveSmallIntegerField(_("排序"), default=0)
    description = models.TextField(_("说明"), blank=True)

    class Meta:
        ordering = ["order", "name"]
        verbose_name = _("排名分组")
        verbose_name_plural = _("排名分组")

    def __str__(self) -> str:
        return self.name


class Unit(models.Model):
    """A responsible unit (责任单位), in a tree: district > street > community."""

    name = models.CharField(_("单位名称"), max_length=100, unique=True)
    short_names = models.CharField(
        _("简称"), max_length=200, blank=True, help_text=_("多个简称用“、”分隔，导入时用于匹配。")
    )
    kind = models.CharField(_("单位类型"), max_length=20, choices=UnitKind.choices)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("上级单位"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    ranking_group = models.ForeignKey(
        RankingGroup,
        verbose_name=_("排名分组"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="units",
    )
    party_leader_name = models.CharField(_("党组织主要负责人"), max_length=40, blank=True)
    party_leader_post = models.CharField(_("党组织主要负责人职务"), max_length=60, blank=True)
    admin_leader_name = models.CharField(_("行政主要负责人"), max_length=40, blank=True)
    admin_leader_post = models.CharField(_("行政主要负责人职务"), max_length=60, blank=True)
    contact_name = models.CharField(_("联系人"), max_length=40, blank=True)
    contact_phone = models.CharField(_("联系电话"), max_length=40, blank=True)
    is_civilized = models.BooleanField(_("文明单位"), default=False)
    civilized_since = models.DateField(_("获评日期"), null=True, blank=True)
    civilized_revoked_on = models.DateField(_("称号撤销日期"), null=True, blank=True)
    is_active = models.BooleanField(_("启用"), default=True)
    wecom_webhook = models.URLField(_("企业微信群机器人地址"), max_length=300, blank=True)
    dingtalk_webhook = models.URLField(_("钉钉群机器人地址"), max_length=300, blank=True)
    dingtalk_secret = models.CharField(_("钉钉加签密钥"), max_length=100, blank=True)
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now, editable=False)

    class Meta:
        ordering = ["kind", "name"]
        verbose_name = _("责任单位")
        verbose_name_plural = _("责任单位")
        indexes = [models.Index(fields=["parent"]), models.Index(fields=["ranking_group"])]
        constraints = [
            models.CheckConstraint(condition=~Q(parent=models.F("pk")), name="unit_not_own_parent"),
        ]

    def __str__(self) -> str:
        return self.name

    def short_name_list(self) -> list[str]:
        return [s.strip() for s in self.short_names.replace(",", "、").split("、") if s.strip()]

    def clean(self) -> None:
        node, seen = self.parent, set()
        while node is not None:
            if node.pk == self.pk or node.pk in seen:
                raise ValidationError({"parent": _("上级单位不能是本单位或其下级单位。")})
            seen.add(node.pk)
            node = node.parent


class Profile(models.Model):
    """What the ledger knows of a user beyond Django's auth: the unit a unit user belongs to."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="profile")
    unit = models.ForeignKey(
        Unit,
        verbose_name=_("所属单位"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="members",
    )
    phone = models.CharField(_("手机号"), max_length=20, blank=True)
    post = models.CharField(_("职务"), max_length=60, blank=True)
    # offered again on the next finding this clerk logs
    last_source = models.CharField(_("上次的问题来源"), max_length=40, blank=True)

    class Meta:
        verbose_name = _("用户资料")
        verbose_name_plural = _("用户资料")

    def __str__(self) -> str:
        return f"{self.user} @ {self.unit or '-'}"


__all__ = ["RankingGroup", "Unit", "Profile"]
