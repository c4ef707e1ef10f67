"""The domain model of the rectification ledger (see ../shared/DOMAIN.md).

Rules for the code here: no business logic in save(), signals or managers; every write that
changes a state goes through issues/services and records an AuditEvent in the same
transaction. Nothing a user created is deleted: findings are voided, sanctions lifted.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

# ---------------------------------------------------------------------------
# Choices
# ---------------------------------------------------------------------------


class UnitKind(models.TextChoices):
    CITY_DEPT = "city_dept", _("市直部门")
    DISTRICT = "district", _("区县")
    STREET = "street", _("街道")
    TOWN = "town", _("镇")
    COMMUNITY = "community", _("社区")
    VILLAGE = "village", _("行政村")
    ENTERPRISE = "enterprise", _("企业")
    SCHOOL = "school", _("学校")
    OTHER = "other", _("其他")


class Severity(models.TextChoices):
    GENERAL = "general", _("一般")
    MAJOR = "major", _("较重")
    SEVERE = "severe", _("严重")


class FindingStatus(models.TextChoices):
    REGISTERED = "registered", _("待交办")
    ASSIGNED = "assigned", _("整改中")
    SUBMITTED = "submitted", _("待复核")
    CLOSED = "closed", _("已销号")
    VOID = "void", _("已作废")


# The lifecycle of DOMAIN.md as a table: from-state -> states a service may move to.
# ASSIGNED -> ASSIGNED is a miss or a transfer (a new notice on the same finding).
ALLOWED_TRANSITIONS: dict[str, frozenset[str]] = {
    FindingStatus.REGISTERED: frozenset({FindingStatus.ASSIGNED, FindingStatus.VOID}),
    FindingStatus.ASSIGNED: frozenset(
        {FindingStatus.ASSIGNED, FindingStatus.SUBMITTED, FindingStatus.VOID}
    ),
    FindingStatus.SUBMITTED: frozenset(
        {FindingStatus.ASSIGNED, FindingStatus.SUBMITTED, FindingStatus.CLOSED, FindingStatus.VOID}
    ),
    FindingStatus.CLOSED: frozenset(),
    FindingStatus.VOID: frozenset(),
}
OPEN_STATUSES = (FindingStatus.REGISTERED, FindingStatus.ASSIGNED, FindingStatus.SUBMITTED)


class NoticeOutcome(models.TextChoices):
    OPEN = "open", _("整改中")
    MET = "met", _("已整改销号")
    MISSED = "missed", _("未按期整改")
    SUPERSEDED = "superseded", _("已转办")
    VOID = "void", _("已作废")


class MissKind(models.TextChoices):
    DEADLINE = "deadline", _("逾期未整改")
    REJECTED = "rejected", _("复核未通过")


class Decision(models.TextChoices):
    PENDING = "pending", _("待复核")
    APPROVED = "approved", _("复核通过")
    REJECTED = "rejected", _("复核不通过")


class TransferStatus(models.TextChoices):
    PENDING = "pending", _("待审批")
    APPROVED = "approved", _("已同意")
    REFUSED = "refused", _("不同意")


class ExtensionStatus(models.TextChoices):
    PENDING = "pending", _("待审批")
    APPROVED = "approved", _("已批准")
    REFUSED = "refused", _("不批准")
    LAPSED = "lapsed", _("已失效")


class Verdict(models.TextChoices):
    PASS = "pass", _("合格")
    FAIL = "fail", _("不合格")
    NOT_APPLICABLE = "na", _("不适用")


class PhotoKind(models.TextChoices):
    BEFORE = "before", _("整改前")
    AFTER = "after", _("整改后")


class RoundSource(models.TextChoices):
    PROVINCIAL_COVERT = "省文明办暗访", _("省文明办暗访")
    DAILY = "市创文办日常督查", _("市创文办日常督查")
    PARTY_SUPERVISION = "市委督查室重点督查", _("市委督查室重点督查")
    SPECIAL = "专项督查", _("专项督查")
    RANDOM = "随机督查", _("随机督查")
    MOCK = "模拟测评", _("模拟测评")
    NPC_CPPCC = "人大政协视察", _("人大政协视察")
    CITIZEN = "市民随手拍", _("市民随手拍")
    MEDIA = "媒体曝光", _("媒体曝光")
    HOTLINE = "12345转办", _("12345转办")


class RuleTrigger(models.TextChoices):
    FINDING_MISSES = "finding_misses", _("单个问题未按期整改次数")
    UNIT_MISSES = "unit_misses", _("单位在时间窗内未按期整改次数")
    BOTTOM_STREAK = "bottom_streak", _("连续排名后K位的周期数")


class SanctionAction(models.TextChoices):
    CIRCULAR = "circular", _("通报批评")
    INTERVIEW = "interview", _("约谈")
    REFERRAL = "referral", _("移交纪委监委")
    BONUS_SUSPENSION = "bonus_suspension", _("停发文明奖")
    TITLE_REVOCATION = "title_revocation", _("撤销文明单位称号")


class SanctionStatus(models.TextChoices):
    IN_FORCE = "in_force", _("执行中")
    EXPIRED = "expired", _("已到期")
    LIFTED = "lifted", _("已撤销")


class RankingScheme(models.TextChoices):
    DEFAULT = "default", _("默认扣分制（100分减扣分、未按期、反弹）")
    COMPOSITE = "composite", _("数字城管综合指标（处置率、按期率、返工率、超期率、延期率）")


class PeriodKind(models.TextChoices):
    MONTH = "month", _("月度")
    QUARTER = "quarter", _("季度")
    CUSTOM = "custom", _("自定义")


class PeriodStatus(models.TextChoices):
    OPEN = "open", _("进行中")
    CLOSED = "closed", _("已关闭")


class EntrySource(models.TextChoices):
    COMPUTED = "computed", _("系统计算")
    IMPORTED = "imported", _("外部测评导入")


# ---------------------------------------------------------------------------
# Configuration
# ---------------------------------------------------------------------------


class Policy(models.Model):
    """The office's tunable numbers, one row (pk=1), edited in the admin."""

    deadline_days_general = models.PositiveSmallIntegerField(
        _("一般问题整改时限（工作日）"), default=5
    )
    deadline_days_major = models.PositiveSmallIntegerField(_("较重问题整改时限（工作日）"), default=3)
    deadline_days_severe = models.PositiveSmallIntegerField(
        _("严重问题整改时限（工作日）"), default=1
    )
    next_notice_days = models.PositiveSmallIntegerField(
        _("再次交办整改时限（工作日）"),
        default=3,
        help_text=_("未按期整改后，下一次整改通知的期限，自未按期之日起算。"),
    )
    relapse_window_days = models.PositiveSmallIntegerField(
        _("反弹认定期（天）"),
        default=90,
        help_text=_("销号后在此天数内同一点位、同一测评指标再次发现的问题记为反弹。"),
    )
    reminder_days_before = models.PositiveSmallIntegerField(_("到期前提醒（工作日）"), default=2)
    receipt_reminder_hours = models.PositiveSmallIntegerField(
        _("未签收提醒（工作小时）"), default=4,
        help_text=_("整改通知下发后，超过这么多个工作小时仍未签收的，提醒责任单位并列入创文办的未签收清单。"),
    )
    bottom_k = models.PositiveSmallIntegerField(_("后K位的K"), default=3)
    next_assessment_date = models.DateField(_("下次测评日期"), null=True, blank=True)
    max_import_rows = models.PositiveIntegerField(_("导入行数上限"), default=20000)
    office_name = models.CharField(
        _("发文机关"), max_length=100, default="市创建全国文明城市工作指挥部办公室",
        help_text=_("通报和约谈通知书落款的机关名称。"),
    )
    document_prefix = models.CharField(_("发文字号前缀"), max_length=30, default="创文办")
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("业务参数")
        verbose_name_plural = _("业务参数")
        constraints = [models.CheckConstraint(condition=Q(pk=1), name="policy_singleton")]

    def __str__(self) -> str:
        return str(_("业务参数"))

    @classmethod
    def current(cls) -> Policy:
        obj, _created = cls.objects.get_or_create(pk=1)
        return obj

    def deadline_days_for(self, severity: str) -> int:
        return {
            Severity.GENERAL: self.deadline_days_general,
            Severity.MAJOR: self.deadline_days_major,
            Severity.SEVERE: self.deadline_days_severe,
        }[severity]


class WorkCalendarDay(models.Model):
    """An exception to the Monday-to-Friday rule: a holiday on a weekday or a working weekend.

    Days without a row follow the rule. Rows come from the chinese-calendar package for the
    years it knows (source=package) and from the office for later years (source=manual).
    """

    class Source(models.TextChoices):
        PACKAGE = "package", _("国务院办公厅通知（chinese-calendar）")
        MANUAL = "manual", _("手工维护")

    date = models.DateField(_("日期"), unique=True)
    is_workday = models.BooleanField(_("是否工作日"))
    name = models.CharField(_("说明"), max_length=60, blank=True)
    source = models.CharField(_("来源"), max_length=10, choices=Source.choices, default=Source.MANUAL)

    class Meta:
        ordering = ["date"]
        verbose_name = _("工作日历")
        verbose_name_plural = _("工作日历")

    def __str__(self) -> str:
        kind = _("调休上班") if self.is_workday else _("放假")
        return f"{self.date:%Y-%m-%d} {kind} {self.name}".strip()


# ---------------------------------------------------------------------------
# Units and people
# ---------------------------------------------------------------------------


class RankingGroup(models.Model):
    name = models.CharField(_("分组名称"), max_length=60, unique=True)
    scheme = models.CharField(
        _("排名方法"), max_length=20, choices=RankingScheme.choices, default=RankingScheme.DEFAULT
    )
    min_units_factor = models.PositiveSmallIntegerField(
        _("参与后K位判定的最少单位数（K的倍数）"), default=2
    )
    miss_weight = models.DecimalField(_("每次未按期整改扣分"), max_digits=5, decimal_places=2, default=Decimal("2"))
    relapse_weight = models.DecimalField(_("每个反弹问题扣分"), max_digits=5, decimal_places=2, default=Decimal("5"))
    composite_weights = models.JSONField(
        _("综合指标权重"), default=dict, blank=True,
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

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="profile"
    )
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

    class Meta:
        verbose_name = _("用户资料")
        verbose_name_plural = _("用户资料")

    def __str__(self) -> str:
        return f"{self.user} @ {self.unit or '-'}"


# ---------------------------------------------------------------------------
# The measurement index and the responsibility matrix
# ---------------------------------------------------------------------------


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
        constraints = [
            models.UniqueConstraint(fields=["system", "name"], name="category_unique_in_system")
        ]

    def __str__(self) -> str:
        return self.name


class IndexItem(models.Model):
    system = models.ForeignKey(
        IndexSystem, verbose_name=_("测评体系"), on_delete=models.PROTECT, related_name="items"
    )
    category = models.ForeignKey(
        IndexCategory, verbose_name=_("测评项目"), on_delete=models.PROTECT, related_name="items"
    )
    code = models.CharField(_("指标编码"), max_length=30)
    name = models.CharField(_("测评内容"), max_length=200)
    standard = models.TextField(_("测评标准"), blank=True)
    points = models.DecimalField(
        _("分值"), max_digits=6, decimal_places=2, null=True, blank=True,
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
        constraints = [
            models.UniqueConstraint(fields=["system", "code"], name="item_code_unique_in_system")
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class Responsibility(models.Model):
    """The responsibility matrix (责任分解): who answers for one index item."""

    item = models.OneToOneField(
        IndexItem, verbose_name=_("测评内容"), on_delete=models.PROTECT, related_name="responsibility"
    )
    lead_unit = models.ForeignKey(
        Unit, verbose_name=_("牵头单位"), on_delete=models.PROTECT, related_name="led_items"
    )
    co_units = models.ManyToManyField(
        Unit, verbose_name=_("配合单位"), blank=True, related_name="supported_items"
    )
    responsible_leader = models.CharField(_("责任领导"), max_length=60, blank=True)

    class Meta:
        verbose_name = _("责任分解")
        verbose_name_plural = _("责任分解")

    def __str__(self) -> str:
        return f"{self.item} → {self.lead_unit}"


class Site(models.Model):
    name = models.CharField(_("点位名称"), max_length=120, unique=True)
    site_type = models.ForeignKey(
        SiteType, verbose_name=_("点位类型"), on_delete=models.PROTECT, related_name="sites"
    )
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


# ---------------------------------------------------------------------------
# Inspections, findings, notices
# ---------------------------------------------------------------------------


class InspectionRound(models.Model):
    """A batch of findings from one inspection (督查批次 / 交办批次)."""

    name = models.CharField(_("督查批次"), max_length=120)
    source = models.CharField(
        _("问题来源"), max_length=40, help_text=_("常用来源见下拉列表；其他来源按原文保存。")
    )
    held_on = models.DateField(_("督查日期"))
    inspectors = models.CharField(_("督查人员"), max_length=200, blank=True)
    is_covert = models.BooleanField(
        _("暗访批次"), default=False,
        help_text=_("暗访批次的问题在发布前对责任单位不可见；发布时统一交办，整改时限自发布之日起算。"),
    )
    published_at = models.DateTimeField(_("发布时间"), null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("发布人"), null=True, blank=True,
        on_delete=models.PROTECT, related_name="+",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("创建人"), null=True, blank=True,
        on_delete=models.PROTECT, related_name="+",
    )
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now, editable=False)

    class Meta:
        ordering = ["-held_on", "-pk"]
        verbose_name = _("督查批次")
        verbose_name_plural = _("督查批次")
        constraints = [models.UniqueConstraint(fields=["name"], name="round_name_unique")]

    def __str__(self) -> str:
        return self.name

    @property
    def is_hidden(self) -> bool:
        """A covert round not yet published: its findings are the office's alone."""
        return self.is_covert and self.published_at is None


class Finding(models.Model):
    """A problem found (问题). Never deleted: voided with a reason.

    miss_count, current_notice and deadline (the current notice's deadline) are kept by the
    services in the same transaction as the notices they summarise, so the ledger can filter and
    sort on them without a join or a subquery.
    """

    number = models.CharField(
        _("问题编号"), max_length=60, null=True, blank=True, unique=True,
        help_text=_("外部编号；为空时系统自动编号。"),
    )
    inspection_round = models.ForeignKey(
        InspectionRound, verbose_name=_("督查批次"), null=True, blank=True,
        on_delete=models.PROTECT, related_name="findings",
    )
    site = models.ForeignKey(
        Site, verbose_name=_("点位"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="findings", db_index=False,  # (site, index_item, closed_on) below serves it
    )
    address = models.CharField(_("具体地址"), max_length=200, blank=True)
    index_item = models.ForeignKey(
        IndexItem, verbose_name=_("测评指标"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="findings",
    )
    description = models.TextField(_("问题描述"))
    lead_unit = models.ForeignKey(
        Unit, verbose_name=_("责任单位"), on_delete=models.PROTECT, related_name="findings",
        db_index=False,  # (lead_unit, status) and (lead_unit, found_on) below serve it
    )
    co_units = models.ManyToManyField(
        Unit, verbose_name=_("配合单位"), blank=True, related_name="co_findings"
    )
    deduction = models.DecimalField(
        _("扣分"), max_digits=6, decimal_places=2, default=Decimal("0"),
        validators=[MinValueValidator(Decimal("0"))],
    )
    severity = models.CharField(
        _("严重程度"), max_length=10, choices=Severity.choices, default=Severity.GENERAL
    )
    found_on = models.DateField(_("发现日期"))
    status = models.CharField(
        _("状态"), max_length=12, choices=FindingStatus.choices, default=FindingStatus.REGISTERED
    )
    miss_count = models.PositiveSmallIntegerField(_("未按期整改次数"), default=0)
    current_notice = models.ForeignKey(
        "Notice", verbose_name=_("当前整改通知"), null=True, blank=True,
        on_delete=models.PROTECT, related_name="+",
    )
    deadline = models.DateField(_("整改时限"), null=True, blank=True, editable=False)
    closed_on = models.DateField(_("销号日期"), null=True, blank=True)
    relapse_of = models.ForeignKey(
        "self", verbose_name=_("反弹自"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="relapses",
    )
    void_reason = models.TextField(_("作废原因"), blank=True)
    voided_at = models.DateTimeField(_("作废时间"), null=True, blank=True)
    remarks = models.TextField(_("备注"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("登记人"), null=True, blank=True,
        on_delete=models.PROTECT, related_name="+",
    )
    created_at = models.DateTimeField(_("登记时间"), default=timezone.now, editable=False)

    class Meta:
        ordering = ["-found_on", "-pk"]
        verbose_name = _("问题")
        verbose_name_plural = _("问题")
        indexes = [
            # the ledger's default order and its deadline order, page 1 as page 500 (each index
            # ends with the row id, the tie-break)
            models.Index(fields=["found_on"], name="finding_found_on"),
            models.Index(fields=["deadline"], name="finding_deadline"),
            models.Index(fields=["status", "found_on"]),
            models.Index(fields=["lead_unit", "status"]),
            # covering indexes for a month's figures (services/rankings.figures_for)
            models.Index(fields=["found_on", "lead_unit", "status", "deduction", "relapse_of"],
                         name="finding_month_figures"),
            models.Index(fields=["closed_on", "lead_unit"], name="finding_closed_month"),
            # a unit's (or a district's) findings by date, covering the status and closing date the
            # ledger's filters and status tabs count with
            models.Index(fields=["lead_unit", "found_on", "status", "closed_on"], name="finding_unit_found"),
            models.Index(fields=["status", "lead_unit", "miss_count", "current_notice"], name="finding_open_stock"),
            models.Index(fields=["site", "index_item", "closed_on"]),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(deduction__gte=0), name="finding_deduction_not_negative"),
            models.CheckConstraint(
                condition=~Q(status=FindingStatus.VOID) | ~Q(void_reason=""),
                name="void_finding_has_reason",
            ),
            models.CheckConstraint(
                condition=~Q(status=FindingStatus.CLOSED) | Q(closed_on__isnull=False),
                name="closed_finding_has_date",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.display_number} {self.description[:30]}"

    @property
    def display_number(self) -> str:
        return self.number_of(self.number, self.pk)

    @staticmethod
    def number_of(number: str, pk: int) -> str:
        """The number a finding is shown by: the office's, else one made from its id."""
        return number or f"WT{pk:06d}"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES


def overdue_q(today) -> Q:
    """超期未整改: the unit still has to act (assigned) and a deadline has passed, whether or not
    the nightly job has recorded the miss yet. A fix waiting for review is not overdue."""
    return Q(status=FindingStatus.ASSIGNED) & (Q(miss_count__gte=1) | Q(deadline__lt=today))


class Photo(models.Model):
    """A photo of a finding: before (at the inspection) or after (with a fix)."""

    finding = models.ForeignKey(
        Finding, verbose_name=_("问题"), on_delete=models.PROTECT, related_name="photos"
    )
    submission = models.ForeignKey(
        "Submission", verbose_name=_("整改反馈"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="photos",
    )
    kind = models.CharField(_("类型"), max_length=10, choices=PhotoKind.choices)
    image = models.FileField(_("原始照片"), upload_to="photos/original/%Y/%m/")
    display = models.ImageField(_("显示用照片"), upload_to="photos/display/%Y/%m/", blank=True)
    thumbnail = models.ImageField(_("缩略图"), upload_to="photos/thumb/%Y/%m/", blank=True)
    content_type = models.CharField(_("文件类型"), max_length=40, blank=True)
    width = models.PositiveIntegerField(_("宽度"), null=True, blank=True)
    height = models.PositiveIntegerField(_("高度"), null=True, blank=True)
    size_bytes = models.PositiveIntegerField(_("文件大小"), default=0)
    sha256 = models.CharField(_("SHA-256"), max_length=64, db_index=True)
    original_name = models.CharField(_("原文件名"), max_length=200, blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("上传人"), null=True, blank=True,
        on_delete=models.PROTECT, related_name="+",
    )
    uploaded_at = models.DateTimeField(_("上传时间"), default=timezone.now)
    # From the photo's EXIF, when the camera wrote them (phones do; screenshots and edited copies often not).
    taken_at = models.DateTimeField(_("拍摄时间"), null=True, blank=True)
    gps_latitude = models.DecimalField(_("拍摄纬度"), max_digits=9, decimal_places=6, null=True, blank=True)
    gps_longitude = models.DecimalField(_("拍摄经度"), max_digits=9, decimal_places=6, null=True, blank=True)

    class Meta:
        ordering = ["uploaded_at", "pk"]
        verbose_name = _("照片")
        verbose_name_plural = _("照片")
        constraints = [
            models.CheckConstraint(
                condition=Q(kind=PhotoKind.BEFORE, submission__isnull=True)
                | Q(kind=PhotoKind.AFTER, submission__isnull=False),
                name="after_photo_belongs_to_submission",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.original_name or self.image.name}"


class Notice(models.Model):
    """One rectification notice (整改通知) in a finding's chain, numbered 1, 2, 3 …"""

    finding = models.ForeignKey(  # the unique (finding, seq) serves it
        Finding, verbose_name=_("问题"), on_delete=models.PROTECT, related_name="notices", db_index=False
    )
    seq = models.PositiveSmallIntegerField(_("通知次序"))
    unit = models.ForeignKey(  # (unit, outcome, deadline) serves it
        Unit, verbose_name=_("责任单位"), on_delete=models.PROTECT, related_name="notices", db_index=False
    )
    issued_on = models.DateField(_("交办日期"))
    deadline = models.DateField(_("整改时限"))
    requirement = models.TextField(_("整改要求"), blank=True)
    outcome = models.CharField(
        _("结果"), max_length=12, choices=NoticeOutcome.choices, default=NoticeOutcome.OPEN
    )
    outcome_on = models.DateField(_("结果日期"), null=True, blank=True)
    miss_kind = models.CharField(
        _("未按期类型"), max_length=10, choices=MissKind.choices, blank=True
    )
    acknowledged_at = models.DateTimeField(_("签收时间"), null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("签收人"), null=True, blank=True,
        on_delete=models.PROTECT, related_name="+",
    )
    receipt_reminded_at = models.DateTimeField(_("签收提醒时间"), null=True, blank=True)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("交办人"), null=True, blank=True,
        on_delete=models.PROTECT, related_name="+",
    )
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now, editable=False)

    class Meta:
        ordering = ["finding", "seq"]
        verbose_name = _("整改通知")
        verbose_name_plural = _("整改通知")
        indexes = [
            models.Index(fields=["outcome", "deadline"]),
            models.Index(fields=["unit", "outcome", "deadline"]),
            models.Index(fields=["miss_kind", "outcome_on"]),
            models.Index(fields=["deadline", "unit", "outcome", "miss_kind"], name="notice_month_figures"),
            models.Index(fields=["outcome", "outcome_on"]),
            models.Index(fields=["outcome", "created_at"], condition=Q(acknowledged_at__isnull=True),
                         name="notice_unacknowledged"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["finding", "seq"], name="notice_seq_unique"),
            models.UniqueConstraint(
                fields=["finding"], condition=Q(outcome=NoticeOutcome.OPEN),
                name="one_open_notice_per_finding",
            ),
            models.CheckConstraint(
                condition=Q(deadline__gte=models.F("issued_on")), name="deadline_not_before_issue"
            ),
            models.CheckConstraint(
                condition=Q(outcome=NoticeOutcome.MISSED, outcome_on__isnull=False)
                & ~Q(miss_kind="")
                | ~Q(outcome=NoticeOutcome.MISSED) & Q(miss_kind=""),
                name="missed_notice_has_kind_and_date",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.finding.display_number} 第{self.seq}次通知"


class Submission(models.Model):
    """A unit's fix (整改反馈) and the office's review of it (复核)."""

    notice = models.ForeignKey(  # (notice, decision, submitted_on) serves it
        Notice, verbose_name=_("整改通知"), on_delete=models.PROTECT, related_name="submissions", db_index=False
    )
    note = models.TextField(_("整改情况"))
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("提交人"), on_delete=models.PROTECT, related_name="+"
    )
    submitted_at = models.DateTimeField(_("提交时间"))
    submitted_on = models.DateField(_("提交日期"), help_text=_("提交时间的本地日期，用于判断是否按期。"))
    decision = models.CharField(
        _("复核结果"), max_length=10, choices=Decision.choices, default=Decision.PENDING
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("复核人"), null=True, blank=True,
        on_delete=models.PROTECT, related_name="+",
    )
    decided_at = models.DateTimeField(_("复核时间"), null=True, blank=True)
    decided_on = models.DateField(_("复核日期"), null=True, blank=True)
    reason = models.TextField(_("复核意见"), blank=True)

    class Meta:
        ordering = ["submitted_at", "pk"]
        verbose_name = _("整改反馈")
        verbose_name_plural = _("整改反馈")
        indexes = [
            models.Index(fields=["decision", "submitted_at"]),
            models.Index(fields=["decided_on", "decision", "notice"], name="submission_reviews_month"),
            models.Index(fields=["notice", "decision", "submitted_on"], name="submission_on_time"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["notice"], condition=Q(decision=Decision.PENDING),
                name="one_pending_submission_per_notice",
            ),
            models.CheckConstraint(
                condition=~Q(decision=Decision.REJECTED) | ~Q(reason=""),
                name="rejection_has_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.notice} 反馈 {self.submitted_at:%Y-%m-%d}"


class OfficeDecision(models.Model):
    """Who in the office decided a unit's request, when, and why."""

    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("审批人"), null=True, blank=True,
        on_delete=models.PROTECT, related_name="+",
    )
    decided_at = models.DateTimeField(_("审批时间"), null=True, blank=True)
    decision_reason = models.TextField(_("审批意见"), blank=True)

    class Meta:
        abstract = True


class TransferRequest(OfficeDecision):
    """A unit's request that a finding belongs to another unit (转办申请)."""

    finding = models.ForeignKey(
        Finding, verbose_name=_("问题"), on_delete=models.PROTECT, related_name="transfers"
    )
    notice = models.ForeignKey(
        Notice, verbose_name=_("整改通知"), on_delete=models.PROTECT, related_name="transfers"
    )
    from_unit = models.ForeignKey(
        Unit, verbose_name=_("原责任单位"), on_delete=models.PROTECT, related_name="+"
    )
    to_unit = models.ForeignKey(
        Unit, verbose_name=_("建议责任单位"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="+",
    )
    reason = models.TextField(_("申请理由"))
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("申请人"), on_delete=models.PROTECT, related_name="+"
    )
    requested_at = models.DateTimeField(_("申请时间"), default=timezone.now)
    status = models.CharField(
        _("状态"), max_length=10, choices=TransferStatus.choices, default=TransferStatus.PENDING
    )

    class Meta:
        ordering = ["requested_at", "pk"]
        verbose_name = _("转办申请")
        verbose_name_plural = _("转办申请")
        constraints = [
            models.UniqueConstraint(
                fields=["finding"], condition=Q(status=TransferStatus.PENDING),
                name="one_pending_transfer_per_finding",
            )
        ]

    def __str__(self) -> str:
        return f"{self.finding.display_number} {self.from_unit} → {self.to_unit or '?'}"


class ExtensionRequest(OfficeDecision):
    """A unit's request, before the deadline, for a later one (延期申请), and the office's decision."""

    notice = models.ForeignKey(
        Notice, verbose_name=_("整改通知"), on_delete=models.PROTECT, related_name="extensions"
    )
    old_deadline = models.DateField(_("原整改时限"))
    requested_deadline = models.DateField(_("申请延至"))
    reason = models.TextField(_("申请理由"))
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("申请人"), on_delete=models.PROTECT, related_name="+"
    )
    requested_at = models.DateTimeField(_("申请时间"), default=timezone.now)
    status = models.CharField(
        _("状态"), max_length=10, choices=ExtensionStatus.choices, default=ExtensionStatus.PENDING
    )
    granted_deadline = models.DateField(_("批准延至"), null=True, blank=True)

    class Meta:
        ordering = ["requested_at", "pk"]
        verbose_name = _("延期申请")
        verbose_name_plural = _("延期申请")
        indexes = [models.Index(fields=["status", "requested_at"])]
        constraints = [
            models.UniqueConstraint(
                fields=["notice"], condition=Q(status=ExtensionStatus.PENDING),
                name="one_pending_extension_per_notice",
            ),
            models.CheckConstraint(
                condition=Q(requested_deadline__gt=models.F("old_deadline")), name="extension_is_later"
            ),
            models.CheckConstraint(
                condition=~Q(status=ExtensionStatus.APPROVED) | Q(granted_deadline__isnull=False),
                name="approved_extension_has_deadline",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.notice} 延期至 {self.requested_deadline}"


# ---------------------------------------------------------------------------
# Inspections (督查清单)
# ---------------------------------------------------------------------------


class Inspection(models.Model):
    """One walk of a site's checklist: every applicable index item marked 合格 / 不合格 / 不适用."""

    site = models.ForeignKey(Site, verbose_name=_("点位"), on_delete=models.PROTECT, related_name="inspections")
    site_type = models.ForeignKey(
        SiteType, verbose_name=_("点位类型"), on_delete=models.PROTECT, related_name="+",
        help_text=_("检查时点位的类型，点位日后改类型也不影响历史通过率。"),
    )
    inspection_round = models.ForeignKey(
        InspectionRound, verbose_name=_("督查批次"), null=True, blank=True, on_delete=models.PROTECT,
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
    index_item = models.ForeignKey(
        IndexItem, verbose_name=_("检查项目"), on_delete=models.PROTECT, related_name="+"
    )
    verdict = models.CharField(_("检查结果"), max_length=4, choices=Verdict.choices)
    note = models.TextField(_("说明"), blank=True)
    finding = models.OneToOneField(
        Finding, verbose_name=_("生成的问题"), null=True, blank=True, on_delete=models.PROTECT,
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


# ---------------------------------------------------------------------------
# Escalation
# ---------------------------------------------------------------------------


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
    unit_kinds = models.JSONField(
        _("适用单位类型"), default=list, blank=True, help_text=_("为空表示全部类型。")
    )
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

    evidence_key names the evidence canonically (e.g. "finding:12:misses:2" or
    "unit:7:streak:2026-09..2026-10"); the unique constraint on (rule, unit, evidence_key)
    makes a second application for the same evidence impossible.
    """

    rule = models.ForeignKey(
        EscalationRule, verbose_name=_("依据规则"), null=True, blank=True,
        on_delete=models.PROTECT, related_name="sanctions",
    )
    unit = models.ForeignKey(
        Unit, verbose_name=_("责任单位"), on_delete=models.PROTECT, related_name="sanctions"
    )
    action = models.CharField(_("措施"), max_length=20, choices=SanctionAction.choices)
    evidence_key = models.CharField(_("证据标识"), max_length=200)
    reason = models.TextField(_("触发原因"))
    finding = models.ForeignKey(
        Finding, verbose_name=_("关联问题"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="sanctions",
    )
    evidence_notices = models.ManyToManyField(
        Notice, verbose_name=_("未按期整改通知"), blank=True, related_name="sanctions"
    )
    evidence_entries = models.ManyToManyField(
        "RankingEntry", verbose_name=_("排名记录"), blank=True, related_name="sanctions"
    )
    decided_on = models.DateField(_("决定日期"))
    effective_from = models.DateField(_("生效日期"), null=True, blank=True)
    effective_until = models.DateField(_("截止日期"), null=True, blank=True)
    status = models.CharField(
        _("状态"), max_length=10, choices=SanctionStatus.choices, default=SanctionStatus.IN_FORCE
    )
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
            models.UniqueConstraint(
                fields=["rule", "unit", "evidence_key"], name="sanction_once_per_evidence"
            ),
            models.CheckConstraint(
                condition=~Q(status=SanctionStatus.LIFTED) | ~Q(lift_reason=""),
                name="lifted_sanction_has_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.unit} {self.get_action_display()} {self.decided_on:%Y-%m-%d}"


class NotificationKind(models.TextChoices):
    DUE_SOON = "due_soon", _("即将到期")
    DUE_TODAY = "due_today", _("今天到期")
    MISS = "miss", _("未按期整改")
    SANCTION = "sanction", _("问责")
    NOTICE = "notice", _("新交办")
    RECEIPT = "receipt", _("未签收")
    EXTENSION = "extension", _("延期申请")


class Notification(models.Model):
    """An in-app notification (the bell); one per recipient and event."""

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("接收人"), on_delete=models.CASCADE, related_name="notifications"
    )
    kind = models.CharField(_("类型"), max_length=12, choices=NotificationKind.choices)
    key = models.CharField(_("事件标识"), max_length=120)
    title = models.CharField(_("标题"), max_length=200)
    body = models.TextField(_("内容"), blank=True)
    url = models.CharField(_("链接"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("时间"), default=timezone.now)
    read_at = models.DateTimeField(_("已读时间"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("站内通知")
        verbose_name_plural = _("站内通知")
        constraints = [models.UniqueConstraint(fields=["recipient", "key"], name="notification_once_per_event")]
        indexes = [models.Index(fields=["recipient", "read_at"])]

    def __str__(self) -> str:
        return self.title


class OutboundMessage(models.Model):
    """A message to send outside (email, WeCom or DingTalk robot), retried until it goes or gives up."""

    class Channel(models.TextChoices):
        EMAIL = "email", _("邮件")
        WECOM = "wecom", _("企业微信")
        DINGTALK = "dingtalk", _("钉钉")

    class Status(models.TextChoices):
        PENDING = "pending", _("待发送")
        SENT = "sent", _("已发送")
        FAILED = "failed", _("发送失败")

    channel = models.CharField(_("渠道"), max_length=10, choices=Channel.choices)
    target = models.CharField(_("发送目标"), max_length=300)
    key = models.CharField(_("事件标识"), max_length=160, unique=True)
    subject = models.CharField(_("标题"), max_length=200, blank=True)
    payload = models.JSONField(_("内容"), default=dict)
    status = models.CharField(_("状态"), max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(_("尝试次数"), default=0)
    last_error = models.TextField(_("最近错误"), blank=True)
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)
    sent_at = models.DateTimeField(_("发送时间"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("外发消息")
        verbose_name_plural = _("外发消息")
        indexes = [models.Index(fields=["status", "created_at"])]

    def __str__(self) -> str:
        return f"{self.get_channel_display()} {self.subject}"


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


# ---------------------------------------------------------------------------
# Rankings
# ---------------------------------------------------------------------------


class RankingPeriod(models.Model):
    name = models.CharField(_("周期"), max_length=40, unique=True)
    kind = models.CharField(_("类型"), max_length=10, choices=PeriodKind.choices, default=PeriodKind.MONTH)
    start = models.DateField(_("开始日期"))
    end = models.DateField(_("结束日期"))
    status = models.CharField(
        _("状态"), max_length=10, choices=PeriodStatus.choices, default=PeriodStatus.OPEN
    )
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
    period = models.ForeignKey(
        RankingPeriod, verbose_name=_("周期"), on_delete=models.PROTECT, related_name="entries"
    )
    group = models.ForeignKey(
        RankingGroup, verbose_name=_("分组"), on_delete=models.PROTECT, related_name="entries"
    )
    unit = models.ForeignKey(
        Unit, verbose_name=_("单位"), on_delete=models.PROTECT, related_name="ranking_entries"
    )
    score = models.DecimalField(_("得分"), max_digits=7, decimal_places=2)
    rank = models.PositiveSmallIntegerField(_("名次"))
    findings_count = models.PositiveIntegerField(_("问题数"), default=0)
    deduction_total = models.DecimalField(_("扣分合计"), max_digits=9, decimal_places=2, default=0)
    miss_count = models.PositiveIntegerField(_("未按期整改次数"), default=0)
    relapse_count = models.PositiveIntegerField(_("反弹数"), default=0)
    on_time_rate = models.DecimalField(
        _("按期整改率"), max_digits=5, decimal_places=4, null=True, blank=True
    )
    in_bottom = models.BooleanField(_("是否后三位"), default=False)
    source = models.CharField(
        _("来源"), max_length=10, choices=EntrySource.choices, default=EntrySource.COMPUTED
    )
    figures = models.JSONField(_("计分明细"), default=dict, blank=True)

    class Meta:
        ordering = ["period", "group", "rank", "unit"]
        verbose_name = _("排名")
        verbose_name_plural = _("排名")
        constraints = [
            models.UniqueConstraint(fields=["period", "unit"], name="one_entry_per_unit_period")
        ]
        indexes = [models.Index(fields=["group", "period"])]

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

    def __str__(self) -> str:
        return f"{self.unit_id} {self.month:%Y-%m}"


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
        indexes = [models.Index(fields=["month", "index_item", "site_type", "found", "open", "deductions"],
                                name="area_month_covering")]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} {self.index_item_id} {self.site_type_id}"


class ExcelJob(models.Model):
    """An import or export that runs as a Celery task, with its progress and its result."""

    class Kind(models.TextChoices):
        IMPORT_LEDGER = "import_ledger", _("导入交办问题清单")
        IMPORT_UNITS = "import_units", _("导入责任单位名册")
        IMPORT_INDEX = "import_index", _("导入测评指标")
        EXPORT_LEDGER = "export_ledger", _("导出台账")

    class Status(models.TextChoices):
        QUEUED = "queued", _("排队中")
        RUNNING = "running", _("处理中")
        DONE = "done", _("已完成")
        FAILED = "failed", _("失败")

    kind = models.CharField(_("类型"), max_length=20, choices=Kind.choices)
    status = models.CharField(_("状态"), max_length=10, choices=Status.choices, default=Status.QUEUED)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("发起人"), on_delete=models.CASCADE,
                                   related_name="+")
    created_at = models.DateTimeField(_("发起时间"), default=timezone.now, editable=False)
    finished_at = models.DateTimeField(_("完成时间"), null=True, blank=True)
    filename = models.CharField(_("文件名"), max_length=200, blank=True)
    source = models.CharField(_("上传文件"), max_length=300, blank=True)
    result = models.CharField(_("结果文件"), max_length=300, blank=True)
    options = models.JSONField(_("选项"), default=dict, blank=True)
    done = models.PositiveIntegerField(_("已处理"), default=0)
    total = models.PositiveIntegerField(_("总数"), default=0)
    report = models.JSONField(_("报告"), default=dict, blank=True)
    error = models.TextField(_("错误"), blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("导入导出任务")
        verbose_name_plural = _("导入导出任务")

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.filename}"

    @property
    def percent(self) -> int:
        if self.status == self.Status.DONE:
            return 100
        return int(100 * self.done / self.total) if self.total else 0


# ---------------------------------------------------------------------------
# Audit log
# ---------------------------------------------------------------------------


class AuditEventQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise PermissionError("操作日志只能追加，不能修改。")

    def delete(self):
        raise PermissionError("操作日志只能追加，不能删除。")


class AuditEvent(models.Model):
    """Who did what, when, from which state to which. Append-only."""

    at = models.DateTimeField(_("时间"), default=timezone.now, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("操作人"), null=True, blank=True,
        on_delete=models.PROTECT, related_name="+",
    )
    action = models.CharField(_("操作"), max_length=40)
    object_type = models.CharField(_("对象类型"), max_length=40)
    object_id = models.CharField(_("对象编号"), max_length=40)
    finding = models.ForeignKey(
        Finding, verbose_name=_("问题"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="audit_events",
    )
    from_state = models.CharField(_("原状态"), max_length=20, blank=True)
    to_state = models.CharField(_("新状态"), max_length=20, blank=True)
    message = models.TextField(_("说明"), blank=True)
    data = models.JSONField(_("数据"), default=dict, blank=True)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        ordering = ["at", "pk"]
        verbose_name = _("操作日志")
        verbose_name_plural = _("操作日志")
        indexes = [models.Index(fields=["object_type", "object_id"])]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.action} {self.object_type}#{self.object_id}"

    def save(self, *args, **kwargs):
        # Integrity guard, not business logic: an existing row is never rewritten.
        if self.pk is not None and not kwargs.get("force_insert"):
            raise PermissionError("操作日志只能追加，不能修改。")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionError("操作日志只能追加，不能删除。")

    @classmethod
    def record(
        cls,
        *,
        actor,
        obj: models.Model,
        action: str,
        before: str = "",
        after: str = "",
        message: str = "",
        data: dict | None = None,
        at=None,
    ) -> AuditEvent:
        finding_id = obj.pk if isinstance(obj, Finding) else getattr(obj, "finding_id", None)
        return cls.objects.create(
            at=at or timezone.now(),
            actor=actor if getattr(actor, "pk", None) else None,
            action=action,
            object_type=obj._meta.model_name,
            object_id=str(obj.pk),
            finding_id=finding_id,
            from_state=before,
            to_state=after,
            message=message,
            data=data or {},
        )
