"""Materials (材料申报): what each index item asks the units to document, the due dates the nightly job
judges like a notice's, what the units upload and the office's review of it."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from issues.models.choices import MissKind, NoticeOutcome
from issues.models.index import IndexItem
from issues.models.units import Unit


class MaterialKind(models.TextChoices):
    REGULATION = "regulation", _("规范文件")
    STATEMENT = "statement", _("情况说明")
    PHOTOS = "photos", _("实景图片")
    TABLE = "table", _("统计表格")
    RECORDS = "records", _("工作台账")
    OTHER = "other", _("其他材料")


class MaterialState(models.TextChoices):
    """A requirement's state as the matrix shows it; OVERDUE is read from the misses, never stored."""

    MISSING = "missing", _("未报送")
    PENDING = "pending", _("待审核")
    RETURNED = "returned", _("已退回")
    APPROVED = "approved", _("已通过")
    OVERDUE = "overdue", _("逾期未报")


class MaterialDecision(models.TextChoices):
    PENDING = "pending", _("待审核")
    APPROVED = "approved", _("审核通过")
    RETURNED = "returned", _("已退回")


class MaterialRequirement(models.Model):
    """One document an index item asks for (材料要求), and who answers for it.

    status, due_on (the open deadline's date) and miss_count summarise the deadlines and the
    submissions; the services keep them in the same transaction, so the matrix reads one table."""

    item = models.ForeignKey(IndexItem, verbose_name=_("测评指标"), on_delete=models.PROTECT,
                             related_name="material_requirements")
    title = models.CharField(_("材料名称"), max_length=200)
    kind = models.CharField(_("材料类型"), max_length=12, choices=MaterialKind.choices, default=MaterialKind.OTHER)
    lead_unit = models.ForeignKey(Unit, verbose_name=_("牵头单位"), on_delete=models.PROTECT,
                                  related_name="material_requirements")
    co_units = models.ManyToManyField(Unit, verbose_name=_("配合单位"), blank=True, related_name="supported_materials")
    due_on = models.DateField(_("报送截止日期"), help_text=_("当前一轮的截止日期；逾期后按“再次交办整改时限”顺延。"))
    window_start = models.DateField(_("材料时间范围起"), null=True, blank=True,
                                    help_text=_("留空：当前测评方案测评日期前12个月。"))
    window_end = models.DateField(_("材料时间范围止"), null=True, blank=True, help_text=_("留空：当前测评方案的测评日期。"))
    status = models.CharField(_("状态"), max_length=10, choices=MaterialState.choices, default=MaterialState.MISSING,
                              editable=False)
    approved_on = models.DateField(_("通过日期"), null=True, blank=True, editable=False)
    miss_count = models.PositiveSmallIntegerField(_("逾期次数"), default=0, editable=False)
    order = models.PositiveSmallIntegerField(_("排序"), default=0)
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now, editable=False)

    class Meta:
        ordering = ["item__category__order", "item__code", "order", "pk"]
        verbose_name = _("材料要求")
        verbose_name_plural = _("材料要求")
        indexes = [models.Index(fields=["status", "due_on"]), models.Index(fields=["lead_unit", "status"])]
        constraints = [models.UniqueConstraint(fields=["item", "title"], name="material_title_per_item")]

    def __str__(self) -> str:
        return f"{self.item.code} {self.title}"

    def unit_ids(self) -> set[int]:
        return {self.lead_unit_id, *(u.pk for u in self.co_units.all())}


class MaterialDeadline(models.Model):
    """One round of a requirement's due date, numbered like a finding's notices: missed with nothing
    approved, it is closed as missed and the next one is opened (DOMAIN.md, "Materials")."""

    requirement = models.ForeignKey(MaterialRequirement, verbose_name=_("材料要求"), on_delete=models.PROTECT,
                                    related_name="deadlines", db_index=False)
    seq = models.PositiveSmallIntegerField(_("次序"))
    unit = models.ForeignKey(Unit, verbose_name=_("牵头单位"), on_delete=models.PROTECT, related_name="+")
    issued_on = models.DateField(_("下达日期"))
    due_on = models.DateField(_("截止日期"))
    outcome = models.CharField(_("结果"), max_length=12, choices=NoticeOutcome.choices, default=NoticeOutcome.OPEN)
    outcome_on = models.DateField(_("结果日期"), null=True, blank=True)
    miss_kind = models.CharField(_("未按期类型"), max_length=10, choices=MissKind.choices, blank=True)

    class Meta:
        ordering = ["requirement", "seq"]
        verbose_name = _("材料报送期限")
        verbose_name_plural = _("材料报送期限")
        indexes = [models.Index(fields=["outcome", "due_on"]), models.Index(fields=["outcome", "outcome_on"])]
        constraints = [
            models.UniqueConstraint(fields=["requirement", "seq"], name="material_deadline_seq"),
            models.UniqueConstraint(fields=["requirement"], condition=Q(outcome=NoticeOutcome.OPEN),
                                    name="one_open_material_deadline"),
        ]

    def __str__(self) -> str:
        return f"{self.requirement_id} #{self.seq} {self.due_on:%Y-%m-%d}"


class MaterialSubmission(models.Model):
    """What a unit uploaded for a requirement (one or more files under one title) and its review."""

    requirement = models.ForeignKey(MaterialRequirement, verbose_name=_("材料要求"), on_delete=models.PROTECT,
                                    related_name="submissions")
    deadline = models.ForeignKey(MaterialDeadline, verbose_name=_("报送期限"), on_delete=models.PROTECT,
                                 related_name="submissions")
    unit = models.ForeignKey(Unit, verbose_name=_("报送单位"), on_delete=models.PROTECT, related_name="+")
    title = models.CharField(_("材料标题"), max_length=200)
    effective_on = models.DateField(_("材料日期"), help_text=_("文件生效或照片拍摄的日期，须在材料时间范围内。"))
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("报送人"), on_delete=models.PROTECT,
                                     related_name="+")
    submitted_at = models.DateTimeField(_("上传时间"))
    submitted_on = models.DateField(_("上传日期"))
    decision = models.CharField(_("审核结果"), max_length=10, choices=MaterialDecision.choices,
                                default=MaterialDecision.PENDING)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("审核人"), null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="+")
    decided_at = models.DateTimeField(_("审核时间"), null=True, blank=True)
    reason = models.TextField(_("退回原因"), blank=True)

    class Meta:
        ordering = ["submitted_at", "pk"]
        verbose_name = _("材料报送")
        verbose_name_plural = _("材料报送")
        indexes = [models.Index(fields=["decision", "submitted_at"]),
                   models.Index(fields=["requirement", "decision"])]
        constraints = [
            models.CheckConstraint(condition=~Q(decision=MaterialDecision.RETURNED) | ~Q(reason=""),
                                   name="returned_material_has_reason"),
        ]

    def __str__(self) -> str:
        return self.title


def material_path(instance: MaterialFile, filename: str) -> str:
    # the uploaded name is kept for display only; the stored name is generated by the service
    return f"materials/{timezone.localdate():%Y/%m}/{filename}"


class MaterialFile(models.Model):
    submission = models.ForeignKey(MaterialSubmission, verbose_name=_("材料报送"), on_delete=models.PROTECT,
                                   related_name="files")
    file = models.FileField(_("文件"), upload_to=material_path, max_length=200)
    original_name = models.CharField(_("原文件名"), max_length=200)
    content_type = models.CharField(_("文件类型"), max_length=100)
    size = models.PositiveIntegerField(_("大小（字节）"))

    class Meta:
        ordering = ["submission", "pk"]
        verbose_name = _("材料文件")
        verbose_name_plural = _("材料文件")

    def __str__(self) -> str:
        return self.original_name


__all__ = [
    "MaterialKind",
    "MaterialState",
    "MaterialDecision",
    "MaterialRequirement",
    "MaterialDeadline",
    "MaterialSubmission",
    "MaterialFile",
]
