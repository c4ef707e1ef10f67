"""Citizen reports (文明随手拍), their photos and public steps, the office's reply templates and
blocked numbers, the public exposure board, and the keys other systems post reports with."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from issues.models.findings import Finding, Photo, StoredPhoto
from issues.models.index import IndexCategory, Site, SiteType


class ReportStatus(models.TextChoices):
    RECEIVED = "received", _("待受理")
    ACCEPTED = "accepted", _("已受理")
    MERGED = "merged", _("已合并")
    DECLINED = "declined", _("不予受理")
    REOPENED = "reopened", _("市民反馈未整改")


AWAITING_TRIAGE = (ReportStatus.RECEIVED, ReportStatus.REOPENED)


class ReportChannel(models.TextChoices):
    WEB = "web", _("随手拍页面")
    OPEN311 = "open311", _("Open311 接口")


class ReportFeedback(models.TextChoices):
    FIXED = "fixed", _("已整改")
    NOT_FIXED = "not_fixed", _("未整改")


class ApiClient(models.Model):
    """Another system that posts to the ledger with a key (Open311's api_key). The key is shown once
    when issued and kept only as its SHA-256."""

    class Scope(models.TextChoices):
        OPEN311 = "open311", _("Open311 市民问题上报")

    name = models.CharField(_("名称"), max_length=100, unique=True)
    scope = models.CharField(_("权限范围"), max_length=20, choices=Scope.choices, default=Scope.OPEN311)
    key_prefix = models.CharField(_("密钥前缀"), max_length=8, editable=False,
                                  help_text=_("密钥的前 8 位，用于辨认；完整密钥只在签发时显示一次。"))
    key_hash = models.CharField(_("密钥摘要"), max_length=64, unique=True, editable=False)
    is_active = models.BooleanField(_("启用"), default=True, help_text=_("取消勾选即吊销密钥。"))
    expires_on = models.DateField(_("有效期至"), null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("签发人"), null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("签发时间"), default=timezone.now, editable=False)
    last_used_at = models.DateTimeField(_("最近使用"), null=True, blank=True, editable=False)

    class Meta:
        ordering = ["name"]
        verbose_name = _("接口客户端")
        verbose_name_plural = _("接口客户端")

    def __str__(self) -> str:
        return self.name


class CitizenReport(models.Model):
    """A problem a citizen reported (随手拍), until the office accepts, merges or declines it.

    `finding` is the finding it became (accepted) or joined (merged). The phone number and the
    address it came from are the office's alone: no public or unit page shows them.
    """

    code = models.CharField(_("查询码"), max_length=12, unique=True)
    description = models.TextField(_("问题描述"))
    site = models.ForeignKey(Site, verbose_name=_("点位"), null=True, blank=True, on_delete=models.PROTECT,
                             related_name="citizen_reports")
    site_type = models.ForeignKey(SiteType, verbose_name=_("点位类型"), null=True, blank=True,
                                  on_delete=models.PROTECT, related_name="+")
    category = models.ForeignKey(IndexCategory, verbose_name=_("测评项目"), null=True, blank=True,
                                 on_delete=models.PROTECT, related_name="+")
    address = models.CharField(_("地点"), max_length=200, blank=True)
    latitude = models.DecimalField(_("纬度"), max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField(_("经度"), max_digits=9, decimal_places=6, null=True, blank=True)
    phone = models.CharField(_("联系电话"), max_length=20, blank=True)
    channel = models.CharField(_("渠道"), max_length=10, choices=ReportChannel.choices, default=ReportChannel.WEB)
    api_client = models.ForeignKey(ApiClient, verbose_name=_("接口客户端"), null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="reports")
    client_ip = models.GenericIPAddressField(_("来源地址"), null=True, blank=True)
    received_at = models.DateTimeField(_("上报时间"), default=timezone.now)
    status = models.CharField(_("状态"), max_length=10, choices=ReportStatus.choices, default=ReportStatus.RECEIVED)
    triage_due = models.DateField(_("受理时限"))
    finding = models.ForeignKey(Finding, verbose_name=_("对应问题"), null=True, blank=True, on_delete=models.PROTECT,
                                related_name="citizen_reports")
    reply = models.TextField(_("答复"), blank=True, help_text=_("市民在查询页看到的答复。"))
    note = models.TextField(_("内部备注"), blank=True)
    triaged_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("受理人"), null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="+")
    triaged_at = models.DateTimeField(_("受理时间"), null=True, blank=True)
    feedback = models.CharField(_("市民评价"), max_length=10, choices=ReportFeedback.choices, blank=True)
    feedback_at = models.DateTimeField(_("评价时间"), null=True, blank=True)
    feedback_comment = models.CharField(_("评价说明"), max_length=300, blank=True)

    class Meta:
        ordering = ["received_at", "pk"]
        verbose_name = _("市民随手拍")
        verbose_name_plural = _("市民随手拍")
        indexes = [
            # the triage queue, oldest first; the reports past their triage time
            models.Index(fields=["status", "received_at"], name="report_status_received"),
            models.Index(fields=["status", "triage_due"], name="report_status_due"),
            # how many reports one address or one number sent in the last hour
            models.Index(fields=["client_ip", "received_at"], name="report_ip_received"),
            models.Index(fields=["phone", "received_at"], name="report_phone_received"),
            models.Index(fields=["received_at"], name="report_received"),
        ]

    def __str__(self) -> str:
        return self.code


class ReportPhoto(StoredPhoto):
    """A citizen's photo, kept as uploaded with a display copy and a thumbnail, like a finding's."""

    report = models.ForeignKey(CitizenReport, verbose_name=_("随手拍"), on_delete=models.PROTECT,
                               related_name="photos")
    image = models.FileField(_("原始照片"), upload_to="reports/original/%Y/%m/")
    display = models.ImageField(_("显示用照片"), upload_to="reports/display/%Y/%m/", blank=True)
    thumbnail = models.ImageField(_("缩略图"), upload_to="reports/thumb/%Y/%m/", blank=True)
    sha256 = models.CharField(_("SHA-256"), max_length=64)

    class Meta:
        ordering = ["pk"]
        verbose_name = _("随手拍照片")
        verbose_name_plural = _("随手拍照片")

    def __str__(self) -> str:
        return self.original_name or self.image.name


class ReportStep(models.Model):
    """One step the reporter sees on the tracking page, in public words (no names, no phone)."""

    report = models.ForeignKey(CitizenReport, verbose_name=_("随手拍"), on_delete=models.PROTECT,
                               related_name="steps", db_index=False)
    at = models.DateTimeField(_("时间"), default=timezone.now)
    status = models.CharField(_("状态"), max_length=10, choices=ReportStatus.choices)
    text = models.TextField(_("说明"), blank=True)

    class Meta:
        ordering = ["report", "at", "pk"]
        verbose_name = _("随手拍进度")
        verbose_name_plural = _("随手拍进度")
        indexes = [models.Index(fields=["report", "at"], name="report_step_at")]

    def __str__(self) -> str:
        return f"{self.report_id} {self.get_status_display()}"


class ReplyTemplate(models.Model):
    """A reply the office picks when declining or merging a report, and may edit before sending."""

    class Use(models.TextChoices):
        DECLINE = "decline", _("不予受理")
        MERGE = "merge", _("合并")

    use = models.CharField(_("用于"), max_length=10, choices=Use.choices)
    title = models.CharField(_("标题"), max_length=60)
    text = models.TextField(_("答复内容"))
    order = models.PositiveSmallIntegerField(_("排序"), default=0)
    is_active = models.BooleanField(_("启用"), default=True)

    class Meta:
        ordering = ["use", "order", "pk"]
        verbose_name = _("答复模板")
        verbose_name_plural = _("答复模板")

    def __str__(self) -> str:
        return self.title


class BlockedPhone(models.Model):
    """A number whose reports the public form refuses (repeated spam or abuse)."""

    phone = models.CharField(_("电话号码"), max_length=20, unique=True)
    reason = models.CharField(_("原因"), max_length=200, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("操作人"), null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("加入时间"), default=timezone.now, editable=False)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("屏蔽号码")
        verbose_name_plural = _("屏蔽号码")

    def __str__(self) -> str:
        return self.phone


class Exposure(models.Model):
    """A finding the office put on the public exposure board (曝光台), with the photos it chose."""

    finding = models.ForeignKey(Finding, verbose_name=_("问题"), on_delete=models.PROTECT, related_name="exposures",
                                db_index=False)
    photos = models.ManyToManyField(Photo, verbose_name=_("公开的照片"), blank=True, related_name="+")
    exposed_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("曝光人"), null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="+")
    exposed_at = models.DateTimeField(_("曝光时间"), default=timezone.now)
    withdrawn_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("撤回人"), null=True, blank=True,
                                     on_delete=models.PROTECT, related_name="+")
    withdrawn_at = models.DateTimeField(_("撤回时间"), null=True, blank=True)

    class Meta:
        ordering = ["-exposed_at", "-pk"]
        verbose_name = _("曝光")
        verbose_name_plural = _("曝光")
        indexes = [models.Index(fields=["finding", "withdrawn_at"], name="exposure_finding")]
        constraints = [models.UniqueConstraint(fields=["finding"], condition=Q(withdrawn_at__isnull=True),
                                               name="one_exposure_per_finding")]

    def __str__(self) -> str:
        return f"{self.finding_id} {self.exposed_at:%Y-%m-%d}"


__all__ = [
    "ReportStatus",
    "AWAITING_TRIAGE",
    "ReportChannel",
    "ReportFeedback",
    "ApiClient",
    "CitizenReport",
    "ReportPhoto",
    "ReportStep",
    "ReplyTemplate",
    "BlockedPhone",
    "Exposure",
]
