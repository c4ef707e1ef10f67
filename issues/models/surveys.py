"""Questionnaire surveys (问卷调查): the question bank, surveys with a version per population group, the
links the public answers by, quotas per district, the answers (online or entered from paper) and the
tallies the results page reads (DOMAIN.md, "Questionnaire surveys").

No answer carries a name, a phone number or an address: a response keeps its district (and street) for
the quotas, its version, its source and, for answers from a shared link, a keyed hash of the device's
network address that the per-address limit counts and that cannot be turned back into the address."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from issues.models.assessment import AssessmentEdition
from issues.models.index import IndexItem
from issues.models.units import Unit


class SurveyRate(models.TextChoices):
    """The four rates of the survey part; a question may count toward one of them."""

    AWARENESS = "awareness", _("知晓率")
    SUPPORT = "support", _("支持率")
    PARTICIPATION = "participation", _("参与率")
    SATISFACTION = "satisfaction", _("满意度")


class QuestionKind(models.TextChoices):
    SINGLE = "single", _("单选")
    MULTIPLE = "multiple", _("多选")
    TEXT = "text", _("填空")


class AnswerSource(models.TextChoices):
    ONLINE = "online", _("网上作答")
    PAPER = "paper", _("纸质录入")


class Question(models.Model):
    """A question of the bank, reused by surveys. A question that counts toward a rate names the options
    that count as yes (their numbers, from 1); among the answers to it, the share of those is the rate."""

    text = models.CharField(_("题目"), max_length=300)
    kind = models.CharField(_("题型"), max_length=10, choices=QuestionKind.choices, default=QuestionKind.SINGLE)
    options = models.JSONField(_("选项"), default=list, blank=True, help_text=_("每个选项一行。"))
    rate = models.CharField(_("计入"), max_length=15, choices=SurveyRate.choices, blank=True)
    yes_options = models.JSONField(_("计为“是”的选项"), default=list, blank=True,
                                   help_text=_("选项序号，从 1 开始，如 [1, 2]。"))
    index_item = models.ForeignKey(IndexItem, verbose_name=_("对应指标"), null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="survey_questions")
    is_active = models.BooleanField(_("可选用"), default=True)

    class Meta:
        ordering = ["pk"]
        verbose_name = _("题库题目")
        verbose_name_plural = _("题库")
        constraints = [
            models.UniqueConstraint(fields=["text", "kind"], name="one_bank_question_per_text"),
            models.CheckConstraint(condition=Q(rate="") | ~Q(kind=QuestionKind.TEXT), name="text_question_counts_no_rate"),
        ]

    def __str__(self) -> str:
        return self.text


class Survey(models.Model):
    """One survey: its period, its versions and quotas. The current one feeds the dashboard's survey part."""

    name = models.CharField(_("问卷名称"), max_length=100, unique=True)
    edition = models.ForeignKey(AssessmentEdition, verbose_name=_("测评方案"), null=True, blank=True,
                                on_delete=models.PROTECT, related_name="surveys")
    starts_on = models.DateField(_("开始日期"))
    ends_on = models.DateField(_("结束日期"))
    is_current = models.BooleanField(_("当前问卷"), default=False,
                                     help_text=_("概况页的问卷调查得分读当前问卷的结果。"))
    note = models.TextField(_("说明"), blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("创建人"), null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)

    class Meta:
        ordering = ["-starts_on", "name"]
        verbose_name = _("问卷调查")
        verbose_name_plural = _("问卷调查")
        constraints = [
            models.UniqueConstraint(fields=["is_current"], condition=Q(is_current=True), name="one_current_survey"),
            models.CheckConstraint(condition=Q(ends_on__gte=models.F("starts_on")), name="survey_ends_after_start"),
        ]

    def __str__(self) -> str:
        return self.name

    @classmethod
    def current(cls) -> Survey | None:
        return cls.objects.filter(is_current=True).first()

    def is_open(self, day) -> bool:
        return self.starts_on <= day <= self.ends_on


class SurveyVersion(models.Model):
    """A version for one population group (A 居民, B 学生 ...): its own questions in its own order."""

    survey = models.ForeignKey(Survey, verbose_name=_("问卷"), on_delete=models.CASCADE, related_name="versions")
    code = models.CharField(_("版本"), max_length=10)
    group = models.CharField(_("调查对象"), max_length=50)

    class Meta:
        ordering = ["survey", "code"]
        verbose_name = _("问卷版本")
        verbose_name_plural = _("问卷版本")
        constraints = [models.UniqueConstraint(fields=["survey", "code"], name="one_version_code_per_survey")]

    def __str__(self) -> str:
        return f"{self.code} {self.group}"


class SurveyQuestion(models.Model):
    """A bank question placed in a version, with its number there."""

    version = models.ForeignKey(SurveyVersion, verbose_name=_("版本"), on_delete=models.CASCADE,
                                related_name="questions")
    question = models.ForeignKey(Question, verbose_name=_("题目"), on_delete=models.PROTECT, related_name="uses")
    order = models.PositiveSmallIntegerField(_("序号"))

    class Meta:
        ordering = ["version", "order"]
        verbose_name = _("问卷题目")
        verbose_name_plural = _("问卷题目")
        constraints = [
            models.UniqueConstraint(fields=["version", "order"], name="one_question_per_number"),
            models.UniqueConstraint(fields=["version", "question"], name="question_once_per_version"),
        ]

    def __str__(self) -> str:
        return f"{self.order}. {self.question}"


class SurveyQuota(models.Model):
    """How many answers a district (or one of its streets) should give."""

    survey = models.ForeignKey(Survey, verbose_name=_("问卷"), on_delete=models.CASCADE, related_name="quotas")
    district = models.ForeignKey(Unit, verbose_name=_("区县"), on_delete=models.PROTECT, related_name="+")
    street = models.ForeignKey(Unit, verbose_name=_("街道"), null=True, blank=True, on_delete=models.PROTECT,
                               related_name="+")
    target = models.PositiveIntegerField(_("样本量"), validators=[MinValueValidator(1)])

    class Meta:
        ordering = ["survey", "district", "street"]
        verbose_name = _("样本配额")
        verbose_name_plural = _("样本配额")
        constraints = [
            models.UniqueConstraint(fields=["survey", "district"], condition=Q(street__isnull=True),
                                    name="one_quota_per_district"),
            models.UniqueConstraint(fields=["survey", "district", "street"], condition=Q(street__isnull=False),
                                    name="one_quota_per_street"),
        ]

    def __str__(self) -> str:
        return f"{self.survey} {self.street or self.district} {self.target}"


class SurveyLink(models.Model):
    """A public link (and its QR code). A shared link (a poster) takes one answer per device; a
    single-use link (an invitation) one answer in all. The version and the district may be fixed by it."""

    survey = models.ForeignKey(Survey, verbose_name=_("问卷"), on_delete=models.CASCADE, related_name="links")
    token = models.CharField(_("链接码"), max_length=32, unique=True, editable=False)
    label = models.CharField(_("名称"), max_length=100, help_text=_("如：海报·人民公园，便于区分来源。"))
    version = models.ForeignKey(SurveyVersion, verbose_name=_("版本"), null=True, blank=True,
                                on_delete=models.CASCADE, related_name="links",
                                help_text=_("不填时由答卷人选择调查对象。"))
    district = models.ForeignKey(Unit, verbose_name=_("区县"), null=True, blank=True, on_delete=models.PROTECT,
                                 related_name="+", help_text=_("不填时由答卷人选择所在区县。"))
    single_use = models.BooleanField(_("一次性链接"), default=False, help_text=_("只能提交一份答卷。"))
    is_active = models.BooleanField(_("启用"), default=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("创建人"), null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)

    class Meta:
        ordering = ["survey", "pk"]
        verbose_name = _("答卷链接")
        verbose_name_plural = _("答卷链接")

    def __str__(self) -> str:
        return self.label


class SurveyResponse(models.Model):
    """One respondent's answers: where from (district, street), which version, online or from paper."""

    survey = models.ForeignKey(Survey, verbose_name=_("问卷"), on_delete=models.CASCADE, related_name="responses")
    version = models.ForeignKey(SurveyVersion, verbose_name=_("版本"), on_delete=models.PROTECT,
                                related_name="responses")
    district = models.ForeignKey(Unit, verbose_name=_("区县"), on_delete=models.PROTECT, related_name="+")
    street = models.ForeignKey(Unit, verbose_name=_("街道"), null=True, blank=True, on_delete=models.PROTECT,
                               related_name="+")
    source = models.CharField(_("来源"), max_length=10, choices=AnswerSource.choices)
    link = models.ForeignKey(SurveyLink, verbose_name=_("链接"), null=True, blank=True, on_delete=models.SET_NULL,
                             related_name="responses")
    entered_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("录入人"), null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="+")
    answered_at = models.DateTimeField(_("答卷时间"), default=timezone.now)
    # set only for a single-use link: one to one, so the database holds "once" even for two posts at a time
    used_link = models.OneToOneField(SurveyLink, null=True, blank=True, on_delete=models.SET_NULL,
                                     related_name="used_by", editable=False)
    # a keyed hash of the network address (not the address): what the per-address limit counts
    address_key = models.CharField(max_length=16, blank=True, editable=False)

    class Meta:
        ordering = ["-answered_at", "-pk"]
        verbose_name = _("答卷")
        verbose_name_plural = _("答卷")
        indexes = [
            models.Index(fields=["survey", "district", "street"]),
            models.Index(fields=["survey", "answered_at"]),
            models.Index(fields=["address_key", "answered_at"], condition=~Q(address_key=""),
                         name="response_address_recent"),
        ]

    def __str__(self) -> str:
        return f"{self.survey} #{self.pk}"


class SurveyAnswer(models.Model):
    """The answer to one question: the options chosen (numbers from 1) or the text (kept without digits
    that could be a phone or ID number)."""

    response = models.ForeignKey(SurveyResponse, verbose_name=_("答卷"), on_delete=models.CASCADE,
                                 related_name="answers")
    question = models.ForeignKey(SurveyQuestion, verbose_name=_("题目"), on_delete=models.PROTECT,
                                 related_name="answers")
    choices = models.JSONField(_("所选"), default=list, blank=True)
    text = models.TextField(_("填写"), blank=True)

    class Meta:
        ordering = ["response", "question__order"]
        verbose_name = _("答案")
        verbose_name_plural = _("答案")
        constraints = [models.UniqueConstraint(fields=["response", "question"], name="one_answer_per_question")]

    def __str__(self) -> str:
        return f"{self.response_id}/{self.question_id}"


class SurveyTally(models.Model):
    """The answers counted as they come, per version, district, street and month: the number of
    responses and, per rate, the answers to its questions (n) and those counting as yes. Written in the
    same transaction as the response; the results page adds these up instead of reading every answer."""

    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="tallies")
    version = models.ForeignKey(SurveyVersion, on_delete=models.CASCADE, related_name="+")
    district = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="+")
    street = models.ForeignKey(Unit, null=True, on_delete=models.PROTECT, related_name="+")
    month = models.DateField()
    source = models.CharField(max_length=10, choices=AnswerSource.choices)
    responses = models.PositiveIntegerField(default=0)
    awareness_yes = models.PositiveIntegerField(default=0)
    awareness_n = models.PositiveIntegerField(default=0)
    support_yes = models.PositiveIntegerField(default=0)
    support_n = models.PositiveIntegerField(default=0)
    participation_yes = models.PositiveIntegerField(default=0)
    participation_n = models.PositiveIntegerField(default=0)
    satisfaction_yes = models.PositiveIntegerField(default=0)
    satisfaction_n = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["survey", "version", "district", "month", "source"],
                                    condition=Q(street__isnull=True), name="one_tally_per_district"),
            models.UniqueConstraint(fields=["survey", "version", "district", "street", "month", "source"],
                                    condition=Q(street__isnull=False), name="one_tally_per_street"),
        ]

    def __str__(self) -> str:
        return f"{self.survey_id} {self.version_id} {self.district_id} {self.month:%Y-%m}"


class OptionTally(models.Model):
    """How many answers chose each option of a question (the distribution the results page shows)."""

    question = models.ForeignKey(SurveyQuestion, on_delete=models.CASCADE, related_name="tallies")
    option = models.PositiveSmallIntegerField()
    count = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["question", "option"], name="one_tally_per_option")]

    def __str__(self) -> str:
        return f"{self.question_id}: {self.option}"


__all__ = [
    "SurveyRate", "QuestionKind", "AnswerSource", "Question", "Survey", "SurveyVersion", "SurveyQuestion",
    "SurveyQuota", "SurveyLink", "SurveyResponse", "SurveyAnswer", "SurveyTally", "OptionTally",
]
