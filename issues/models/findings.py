"""Findings, their rectification notices, fixes reported, photos, and transfer and extension requests."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from issues.models.choices import (
    OPEN_STATUSES,
    Decision,
    ExtensionStatus,
    FindingStatus,
    MissKind,
    NoticeOutcome,
    PhotoKind,
    Severity,
    TransferStatus,
)
from issues.models.index import IndexItem, Site
from issues.models.units import Unit


class InspectionRound(models.Model):
    """A batch of findings from one inspection (督查批次 / 交办批次)."""

    name = models.CharField(_("督查批次"), max_length=120)
    source = models.CharField(_("问题来源"), max_length=40, help_text=_("常用来源见下拉列表；其他来源按原文保存。"))
    held_on = models.DateField(_("督查日期"))
    inspectors = models.CharField(_("督查人员"), max_length=200, blank=True)
    is_covert = models.BooleanField(
        _("暗访批次"),
        default=False,
        help_text=_("暗访批次的问题在发布前对责任单位不可见；发布时统一交办，整改时限自发布之日起算。"),
    )
    published_at = models.DateTimeField(_("发布时间"), null=True, blank=True)
    draw_seed = models.PositiveIntegerField(_("抽样种子"), null=True, blank=True, editable=False,
                                            help_text=_("模拟测评抽取点位所用的随机种子；同一种子重抽结果相同。"))
    draw_per_type = models.PositiveSmallIntegerField(_("每类点位抽取数"), null=True, blank=True, editable=False)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("发布人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("创建人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
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
        _("问题编号"),
        max_length=60,
        null=True,
        blank=True,
        unique=True,
        help_text=_("外部编号；为空时系统自动编号。"),
    )
    inspection_round = models.ForeignKey(
        InspectionRound,
        verbose_name=_("督查批次"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="findings",
    )
    site = models.ForeignKey(
        Site,
        verbose_name=_("点位"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="findings",
        db_index=False,  # (site, index_item, closed_on) below serves it
    )
    address = models.CharField(_("具体地址"), max_length=200, blank=True)
    index_item = models.ForeignKey(
        IndexItem,
        verbose_name=_("测评指标"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="findings",
    )
    description = models.TextField(_("问题描述"))
    lead_unit = models.ForeignKey(
        Unit,
        verbose_name=_("责任单位"),
        on_delete=models.PROTECT,
        related_name="findings",
        db_index=False,  # (lead_unit, found_on, ...) below serves it
    )
    lead_top = models.ForeignKey(
        Unit,
        verbose_name=_("责任单位所属的最上级单位"),
        help_text=_("责任单位本身或它的最上级单位（区县、市直部门）：一个区县的台账按它读取。"),
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,  # (lead_top, found_on, ...) below serves it
    )
    co_units = models.ManyToManyField(Unit, verbose_name=_("配合单位"), blank=True, related_name="co_findings")
    deduction = models.DecimalField(
        _("扣分"),
        max_digits=6,
        decimal_places=2,
        default=Decimal("0"),
        validators=[MinValueValidator(Decimal("0"))],
    )
    severity = models.CharField(_("严重程度"), max_length=10, choices=Severity.choices, default=Severity.GENERAL)
    found_on = models.DateField(_("发现日期"))
    status = models.CharField(_("状态"), max_length=12, choices=FindingStatus.choices, default=FindingStatus.REGISTERED)
    miss_count = models.PositiveSmallIntegerField(_("未按期整改次数"), default=0)
    current_notice = models.ForeignKey(
        "Notice",
        verbose_name=_("当前整改通知"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    deadline = models.DateField(_("整改时限"), null=True, blank=True, editable=False)
    closed_on = models.DateField(_("销号日期"), null=True, blank=True)
    relapse_of = models.ForeignKey(
        "self",
        verbose_name=_("反弹自"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="relapses",
    )
    void_reason = models.TextField(_("作废原因"), blank=True)
    voided_at = models.DateTimeField(_("作废时间"), null=True, blank=True)
    remarks = models.TextField(_("备注"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("登记人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("登记时间"), default=timezone.now, editable=False)

    class Meta:
        ordering = ["-found_on", "-pk"]
        verbose_name = _("问题")
        verbose_name_plural = _("问题")
        indexes = [
            # the ledger's default order and its deadline order, page 1 as page 500. Each index of an
            # order ends with the row id, the tie-break: SQLite keeps it in every index anyway, and on
            # PostgreSQL a page's ids then come from the index alone (a deep page read 25,000 rows)
            models.Index(fields=["found_on", "id"], name="finding_found_on"),
            models.Index(fields=["deadline", "id"], name="finding_deadline"),
            # a status in date order, deep pages too: the unit and the closing date come from the index
            models.Index(fields=["status", "found_on", "id", "lead_unit", "closed_on"], name="finding_status_found"),
            # a status by deadline: the open work, soonest first (the overdue box in deadline order too)
            models.Index(fields=["status", "deadline", "id"], name="finding_status_deadline"),
            # covering indexes for a month's figures (rankings.figures.figures_for)
            models.Index(
                fields=["found_on", "lead_unit", "status", "deduction", "relapse_of"], name="finding_month_figures"
            ),
            models.Index(fields=["closed_on", "lead_unit"], name="finding_closed_month"),
            # a unit's (or a district's) findings by date, covering the status and closing date the
            # ledger's filters and status tabs count with, and the notice that makes a finding a unit's
            models.Index(
                fields=["lead_unit", "found_on", "status", "closed_on", "current_notice", "id"], name="finding_unit_found"
            ),
            # a district's (or a city department's) ledger, its whole subtree by one key: by date,
            # covering what the filters and tabs read, and by deadline
            models.Index(
                fields=["lead_top", "found_on", "status", "closed_on", "current_notice", "id"], name="finding_top_found"
            ),
            models.Index(fields=["lead_top", "deadline", "id"], name="finding_top_deadline"),
            # a district's status tab or overdue box (超期未整改): its rows of one status in date order,
            # with what the date filters, the overdue test and the tab counts read
            models.Index(fields=["lead_top", "status", "found_on", "closed_on", "deadline", "miss_count", "current_notice",
                                 "id"], name="finding_top_status"),
            # the open findings per unit and status, and how many are overdue (figures.stock_by_unit)
            models.Index(fields=["status", "lead_unit", "miss_count", "deadline", "current_notice"],
                         name="finding_open_stock"),
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


class StoredPhoto(models.Model):
    """What a kept photo knows of itself, a finding's or a citizen's (findings/photos.keep fills it): its
    type, size and name as uploaded, and what its EXIF says. The files and the hash are the subclasses'."""

    content_type = models.CharField(_("文件类型"), max_length=40, blank=True)
    width = models.PositiveIntegerField(_("宽度"), null=True, blank=True)
    height = models.PositiveIntegerField(_("高度"), null=True, blank=True)
    size_bytes = models.PositiveIntegerField(_("文件大小"), default=0)
    original_name = models.CharField(_("原文件名"), max_length=200, blank=True)
    uploaded_at = models.DateTimeField(_("上传时间"), default=timezone.now)
    # From the photo's EXIF, when the camera wrote them (phones do; screenshots and edited copies often not).
    taken_at = models.DateTimeField(_("拍摄时间"), null=True, blank=True)
    gps_latitude = models.DecimalField(_("拍摄纬度"), max_digits=9, decimal_places=6, null=True, blank=True)
    gps_longitude = models.DecimalField(_("拍摄经度"), max_digits=9, decimal_places=6, null=True, blank=True)

    class Meta:
        abstract = True


class Photo(StoredPhoto):
    """A photo of a finding: before (at the inspection) or after (with a fix)."""

    finding = models.ForeignKey(Finding, verbose_name=_("问题"), on_delete=models.PROTECT, related_name="photos")
    submission = models.ForeignKey(
        "Submission",
        verbose_name=_("整改反馈"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="photos",
    )
    kind = models.CharField(_("类型"), max_length=10, choices=PhotoKind.choices)
    image = models.FileField(_("原始照片"), upload_to="photos/original/%Y/%m/")
    display = models.ImageField(_("显示用照片"), upload_to="photos/display/%Y/%m/", blank=True)
    thumbnail = models.ImageField(_("缩略图"), upload_to="photos/thumb/%Y/%m/", blank=True)
    sha256 = models.CharField(_("SHA-256"), max_length=64, db_index=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("上传人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

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
    unit = models.ForeignKey(  # (unit, deadline, ...) serves it
        Unit, verbose_name=_("责任单位"), on_delete=models.PROTECT, related_name="notices", db_index=False
    )
    issued_on = models.DateField(_("交办日期"))
    deadline = models.DateField(_("整改时限"))
    requirement = models.TextField(_("整改要求"), blank=True)
    outcome = models.CharField(_("结果"), max_length=12, choices=NoticeOutcome.choices, default=NoticeOutcome.OPEN)
    outcome_on = models.DateField(_("结果日期"), null=True, blank=True)
    miss_kind = models.CharField(_("未按期类型"), max_length=10, choices=MissKind.choices, blank=True)
    acknowledged_at = models.DateTimeField(_("签收时间"), null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("签收人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    receipt_reminded_at = models.DateTimeField(_("签收提醒时间"), null=True, blank=True)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("交办人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now, editable=False)

    class Meta:
        ordering = ["finding", "seq"]
        verbose_name = _("整改通知")
        verbose_name_plural = _("整改通知")
        indexes = [
            models.Index(fields=["outcome", "deadline"]),
            # a unit's notices by deadline (its figures over a period, the dashboard's month so far),
            # and its open ones (the inbox) from a small index of the open notices alone
            models.Index(fields=["unit", "deadline", "outcome", "miss_kind"], name="notice_unit_deadline"),
            models.Index(fields=["unit", "deadline"], condition=Q(outcome="open"), name="notice_unit_open"),
            models.Index(fields=["miss_kind", "outcome_on"]),
            models.Index(fields=["deadline", "unit", "outcome", "miss_kind"], name="notice_month_figures"),
            models.Index(fields=["outcome", "outcome_on"]),
            models.Index(
                fields=["outcome", "created_at"],
                condition=Q(acknowledged_at__isnull=True),
                name="notice_unacknowledged",
            ),
        ]
        constraints = [
            models.UniqueConstraint(fields=["finding", "seq"], name="notice_seq_unique"),
            models.UniqueConstraint(
                fields=["finding"],
                condition=Q(outcome=NoticeOutcome.OPEN),
                name="one_open_notice_per_finding",
            ),
            models.CheckConstraint(condition=Q(deadline__gte=models.F("issued_on")), name="deadline_not_before_issue"),
            models.CheckConstraint(
                condition=Q(outcome=NoticeOutcome.MISSED, outcome_on__isnull=False) & ~Q(miss_kind="")
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
    decision = models.CharField(_("复核结果"), max_length=10, choices=Decision.choices, default=Decision.PENDING)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("复核人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
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
                fields=["notice"],
                condition=Q(decision=Decision.PENDING),
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
        settings.AUTH_USER_MODEL,
        verbose_name=_("审批人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("审批时间"), null=True, blank=True)
    decision_reason = models.TextField(_("审批意见"), blank=True)

    class Meta:
        abstract = True


class TransferRequest(OfficeDecision):
    """A unit's request that a finding belongs to another unit (转办申请)."""

    finding = models.ForeignKey(Finding, verbose_name=_("问题"), on_delete=models.PROTECT, related_name="transfers")
    notice = models.ForeignKey(Notice, verbose_name=_("整改通知"), on_delete=models.PROTECT, related_name="transfers")
    from_unit = models.ForeignKey(Unit, verbose_name=_("原责任单位"), on_delete=models.PROTECT, related_name="+")
    to_unit = models.ForeignKey(
        Unit,
        verbose_name=_("建议责任单位"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    reason = models.TextField(_("申请理由"))
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("申请人"), on_delete=models.PROTECT, related_name="+"
    )
    requested_at = models.DateTimeField(_("申请时间"), default=timezone.now)
    status = models.CharField(_("状态"), max_length=10, choices=TransferStatus.choices, default=TransferStatus.PENDING)

    class Meta:
        ordering = ["requested_at", "pk"]
        verbose_name = _("转办申请")
        verbose_name_plural = _("转办申请")
        constraints = [
            models.UniqueConstraint(
                fields=["finding"],
                condition=Q(status=TransferStatus.PENDING),
                name="one_pending_transfer_per_finding",
            )
        ]

    def __str__(self) -> str:
        return f"{self.finding.display_number} {self.from_unit} → {self.to_unit or '?'}"


class ExtensionRequest(OfficeDecision):
    """A unit's request, before the deadline, for a later one (延期申请), and the office's decision."""

    notice = models.ForeignKey(Notice, verbose_name=_("整改通知"), on_delete=models.PROTECT, related_name="extensions")
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
                fields=["notice"],
                condition=Q(status=ExtensionStatus.PENDING),
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


__all__ = [
    "InspectionRound",
    "Finding",
    "overdue_q",
    "Photo",
    "Notice",
    "Submission",
    "OfficeDecision",
    "TransferRequest",
    "ExtensionRequest",
]
