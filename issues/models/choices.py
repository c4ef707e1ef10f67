"""The choices the models share: statuses, kinds, outcomes (their labels are the domain words)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


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


# The lifecycle (docs/rules.md) as a table: from-state -> states a service may move to.
# ASSIGNED -> ASSIGNED is a miss or a transfer (a new notice on the same finding).
ALLOWED_TRANSITIONS: dict[str, frozenset[str]] = {
    FindingStatus.REGISTERED: frozenset({FindingStatus.ASSIGNED, FindingStatus.VOID}),
    FindingStatus.ASSIGNED: frozenset({FindingStatus.ASSIGNED, FindingStatus.SUBMITTED, FindingStatus.VOID}),
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


class NotificationKind(models.TextChoices):
    DUE_SOON = "due_soon", _("即将到期")
    DUE_TODAY = "due_today", _("今天到期")
    MISS = "miss", _("未按期整改")
    SANCTION = "sanction", _("问责")
    NOTICE = "notice", _("新交办")
    RECEIPT = "receipt", _("未签收")
    EXTENSION = "extension", _("延期申请")
    REPORT = "report", _("市民随手拍")
    MATERIAL = "material", _("材料申报")


__all__ = [
    "UnitKind",
    "Severity",
    "FindingStatus",
    "ALLOWED_TRANSITIONS",
    "OPEN_STATUSES",
    "NoticeOutcome",
    "MissKind",
    "Decision",
    "TransferStatus",
    "ExtensionStatus",
    "Verdict",
    "PhotoKind",
    "RoundSource",
    "RuleTrigger",
    "SanctionAction",
    "SanctionStatus",
    "RankingScheme",
    "PeriodKind",
    "PeriodStatus",
    "EntrySource",
    "NotificationKind",
]
