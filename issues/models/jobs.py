"""Excel import and export jobs run by Celery."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


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
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("发起人"), on_delete=models.CASCADE, related_name="+"
    )
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


__all__ = ["ExcelJob"]
