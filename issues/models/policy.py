"""The office's settings (one row) and the working-day calendar."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from issues.models.choices import Severity


class Policy(models.Model):
    """The office's tunable numbers, one row (pk=1), edited in the admin."""

    deadline_days_general = models.PositiveSmallIntegerField(_("一般问题整改时限（工作日）"), default=5)
    deadline_days_major = models.PositiveSmallIntegerField(_("较重问题整改时限（工作日）"), default=3)
    deadline_days_severe = models.PositiveSmallIntegerField(_("严重问题整改时限（工作日）"), default=1)
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
        _("未签收提醒（工作小时）"),
        default=4,
        help_text=_("整改通知下发后，超过这么多个工作小时仍未签收的，提醒责任单位并列入创文办的未签收清单。"),
    )
    bottom_k = models.PositiveSmallIntegerField(_("后K位的K"), default=3)
    next_assessment_date = models.DateField(_("下次测评日期"), null=True, blank=True)
    max_import_rows = models.PositiveIntegerField(_("导入行数上限"), default=20000)
    office_name = models.CharField(
        _("发文机关"),
        max_length=100,
        default="市创建全国文明城市工作指挥部办公室",
        help_text=_("通报和约谈通知书落款的机关名称。"),
    )
    document_prefix = models.CharField(_("发文字号前缀"), max_length=30, default="创文办")
    report_triage_days = models.PositiveSmallIntegerField(
        _("随手拍受理时限（工作日）"), default=2,
        help_text=_("市民随手拍须在此工作日数内受理、合并或答复；逾期的每晚提醒创文办。"),
    )
    office_wecom_webhook = models.URLField(_("创文办企业微信群机器人地址"), max_length=300, blank=True)
    office_dingtalk_webhook = models.URLField(_("创文办钉钉群机器人地址"), max_length=300, blank=True)
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


__all__ = ["Policy", "WorkCalendarDay"]
