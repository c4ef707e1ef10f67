"""The admin: where office staff configure units, the index, sites, rules, calendar and users.

Ledger records (findings, notices, submissions, sanctions) change only through the services,
so here they are read-only; the audit log can be read by all who may see it and changed by no one.
"""

from axes.admin import AccessAttemptAdmin as AxesAccessAttemptAdmin
from axes.models import AccessAttempt
from axes.utils import reset
from django import forms as djforms
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.models import User
from django.db import models as djmodels
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from issues import models as m


class NoDeleteAdmin(admin.ModelAdmin):
    """Nothing in the ledger is deleted; configuration rows are switched off instead."""

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class ReadOnlyAdmin(NoDeleteAdmin):
    """Rows written only by the services: readable in the admin, never edited there."""

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(m.Policy)
class PolicyAdmin(NoDeleteAdmin):
    list_display = [
        "__str__", "deadline_days_general", "deadline_days_major", "deadline_days_severe",
        "next_notice_days", "relapse_window_days", "bottom_k", "next_assessment_date",
    ]
    formfield_overrides = {djmodels.URLField: {"assume_scheme": "https"}}  # the office's robots, as units'

    def has_add_permission(self, request) -> bool:
        return not m.Policy.objects.exists() and super().has_add_permission(request)


@admin.register(m.WorkCalendarDay)
class WorkCalendarDayAdmin(admin.ModelAdmin):
    """The one table an office may delete rows from: a wrongly entered calendar exception."""

    list_display = ["date", "is_workday", "name", "source"]
    list_filter = ["is_workday", "source"]
    search_fields = ["name"]
    date_hierarchy = "date"


@admin.register(m.RankingGroup)
class RankingGroupAdmin(NoDeleteAdmin):
    list_display = ["name", "scheme", "min_units_factor", "order"]
    search_fields = ["name"]


class ProfileInline(admin.StackedInline):
    model = m.Profile
    can_delete = False
    autocomplete_fields = ["unit"]
    verbose_name_plural = _("用户资料")


@admin.register(m.Unit)
class UnitAdmin(NoDeleteAdmin):
    list_display = [
        "name", "kind", "parent", "ranking_group", "is_civilized", "civilized_since", "is_active",
    ]
    list_filter = ["kind", "ranking_group", "is_civilized", "is_active"]
    search_fields = ["name", "short_names", "admin_leader_name", "party_leader_name"]
    autocomplete_fields = ["parent"]
    list_select_related = ["parent", "ranking_group"]
    # the group robots' addresses are https: one typed without its scheme gets https, not http
    formfield_overrides = {djmodels.URLField: {"assume_scheme": "https"}}

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if "parent" in form.changed_data:  # its findings now belong to another district's ledger
            from issues.findings.services import refresh_lead_tops

            refresh_lead_tops()


@admin.register(m.SiteType)
class SiteTypeAdmin(NoDeleteAdmin):
    list_display = ["code", "name", "order"]
    search_fields = ["code", "name"]


@admin.register(m.IndexSystem)
class IndexSystemAdmin(NoDeleteAdmin):
    list_display = ["name", "year", "is_current", "is_reference"]


@admin.register(m.IndexCategory)
class IndexCategoryAdmin(NoDeleteAdmin):
    list_display = ["name", "system", "order"]
    list_filter = ["system"]
    search_fields = ["name"]


class ResponsibilityInline(admin.StackedInline):
    model = m.Responsibility
    can_delete = False
    autocomplete_fields = ["lead_unit", "co_units"]


@admin.register(m.IndexItem)
class IndexItemAdmin(NoDeleteAdmin):
    list_display = ["code", "name", "category", "points", "is_key", "system"]
    list_filter = ["system", "is_key", "category"]
    search_fields = ["code", "name", "standard"]
    filter_horizontal = ["site_types"]
    list_select_related = ["category", "system"]
    inlines = [ResponsibilityInline]


@admin.register(m.Responsibility)
class ResponsibilityAdmin(NoDeleteAdmin):
    list_display = ["item", "lead_unit", "responsible_leader"]
    search_fields = ["item__code", "item__name", "lead_unit__name", "responsible_leader"]
    autocomplete_fields = ["item", "lead_unit", "co_units"]
    list_select_related = ["item", "lead_unit"]


@admin.register(m.Site)
class SiteAdmin(NoDeleteAdmin):
    list_display = ["name", "site_type", "address", "default_unit", "is_active"]
    list_filter = ["site_type", "is_active"]
    search_fields = ["name", "address"]
    autocomplete_fields = ["default_unit"]
    list_select_related = ["site_type", "default_unit"]


@admin.register(m.InspectionRound)
class InspectionRoundAdmin(NoDeleteAdmin):
    list_display = ["name", "source", "held_on", "is_covert", "published_at"]
    list_filter = ["source", "is_covert"]
    search_fields = ["name", "inspectors"]
    date_hierarchy = "held_on"
    # a covert round is published on its page (/rounds/N/), which issues its notices
    readonly_fields = ["created_by", "created_at", "published_at", "published_by"]

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        return [*fields, "is_covert"] if obj is not None and obj.published_at else fields


class NoticeInline(admin.TabularInline):
    model = m.Notice
    fk_name = "finding"
    extra = 0
    can_delete = False
    fields = ["seq", "unit", "issued_on", "deadline", "outcome", "outcome_on", "miss_kind"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(m.Finding)
class FindingAdmin(ReadOnlyAdmin):
    list_display = [
        "display_number", "description_short", "lead_unit", "site", "status", "found_on", "deadline",
        "miss_count", "deduction",
    ]
    list_filter = ["status", "severity", "inspection_round__source", "lead_unit__kind", "site__site_type"]
    list_per_page = 50  # as the ledger
    search_fields = ["number", "description", "address", "lead_unit__name", "site__name"]
    date_hierarchy = "found_on"
    list_select_related = ["lead_unit", "site"]
    inlines = [NoticeInline]

    @admin.display(description=_("问题编号"), ordering="number")
    def display_number(self, obj) -> str:
        return obj.display_number

    @admin.display(description=_("问题描述"))
    def description_short(self, obj) -> str:
        return obj.description[:40]


@admin.register(m.Photo)
class PhotoAdmin(ReadOnlyAdmin):
    list_display = ["finding", "kind", "original_name", "sha256", "uploaded_at"]
    list_filter = ["kind"]
    search_fields = ["sha256", "original_name"]
    list_select_related = ["finding"]


@admin.register(m.Notice)
class NoticeAdmin(ReadOnlyAdmin):
    list_display = ["__str__", "unit", "issued_on", "deadline", "outcome", "outcome_on", "miss_kind"]
    list_filter = ["outcome", "miss_kind"]
    search_fields = ["finding__number", "unit__name"]
    date_hierarchy = "deadline"
    list_select_related = ["finding", "unit"]


@admin.register(m.Submission)
class SubmissionAdmin(ReadOnlyAdmin):
    list_display = ["notice", "submitted_by", "submitted_at", "decision", "decided_by", "decided_on"]
    list_filter = ["decision"]
    list_select_related = ["notice__finding", "submitted_by", "decided_by"]


@admin.register(m.TransferRequest)
class TransferRequestAdmin(ReadOnlyAdmin):
    list_display = ["finding", "from_unit", "to_unit", "status", "requested_at"]
    list_filter = ["status"]
    list_select_related = ["finding", "from_unit", "to_unit"]


@admin.register(m.ExtensionRequest)
class ExtensionRequestAdmin(ReadOnlyAdmin):
    list_display = ["notice", "old_deadline", "requested_deadline", "status", "granted_deadline", "requested_at"]
    list_filter = ["status"]
    list_select_related = ["notice__finding"]


class InspectionResultInline(admin.TabularInline):
    model = m.InspectionResult
    fields = ["index_item", "verdict", "note", "finding"]
    readonly_fields = fields
    extra = 0

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(m.Inspection)
class InspectionAdmin(ReadOnlyAdmin):
    list_display = ["site", "site_type", "held_at", "inspector", "passed", "failed", "not_applicable"]
    list_filter = ["site_type"]
    list_select_related = ["site", "site_type", "inspector"]
    search_fields = ["site__name"]
    inlines = [InspectionResultInline]


@admin.register(m.EscalationRule)
class EscalationRuleAdmin(NoDeleteAdmin):
    list_display = ["code", "name", "trigger", "threshold", "action", "duration_months", "is_active"]
    list_filter = ["trigger", "action", "is_active"]
    filter_horizontal = ["ranking_groups"]


@admin.register(m.Sanction)
class SanctionAdmin(ReadOnlyAdmin):
    list_display = ["unit", "action", "rule", "decided_on", "effective_until", "status"]
    list_filter = ["action", "status", "rule"]
    search_fields = ["unit__name", "reason", "evidence_key"]
    date_hierarchy = "decided_on"
    list_select_related = ["unit", "rule"]


@admin.register(m.RankingPeriod)
class RankingPeriodAdmin(NoDeleteAdmin):
    list_display = ["name", "kind", "start", "end", "status", "closed_on"]
    list_filter = ["kind", "status"]
    readonly_fields = ["status", "closed_on"]


@admin.register(m.RankingEntry)
class RankingEntryAdmin(ReadOnlyAdmin):
    list_display = ["period", "group", "rank", "unit", "score", "in_bottom", "source"]
    list_filter = ["period", "group", "in_bottom", "source"]
    list_select_related = ["period", "group", "unit"]


@admin.register(m.AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    list_display = ["at", "actor", "action", "object_type", "object_id", "from_state", "to_state", "message"]
    list_filter = ["action", "object_type"]
    search_fields = ["object_id", "message"]
    date_hierarchy = "at"
    list_select_related = ["actor"]


admin.site.unregister(User)


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    inlines = [ProfileInline]
    list_display = ["username", "first_name", "email", "is_active", "is_staff", "unit_name"]
    list_select_related = ["profile__unit"]

    def has_delete_permission(self, request, obj=None) -> bool:
        # Users have acted in the ledger; deactivate them instead.
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        # Office staff manage their colleagues' and the units' accounts, never a superuser's: changing its
        # password or its roles would hand them the superuser's powers.
        if obj is not None and obj.is_superuser and not request.user.is_superuser:
            return False
        return super().has_change_permission(request, obj)

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        if not request.user.is_superuser:  # nor can they make one, or grant permissions past the roles
            fields += ["is_superuser", "user_permissions"]
        return fields

    @admin.display(description=_("所属单位"))
    def unit_name(self, obj) -> str:
        profile = getattr(obj, "profile", None)
        return profile.unit.name if profile and profile.unit else "—"


@admin.register(m.JobDay)
class JobDayAdmin(ReadOnlyAdmin):
    list_display = ["date", "completed_at"]
    date_hierarchy = "date"


@admin.register(m.Notification)
class NotificationAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "recipient", "kind", "title", "read_at"]
    list_filter = ["kind"]
    search_fields = ["title", "recipient__username"]
    list_select_related = ["recipient"]


@admin.register(m.OutboundMessage)
class OutboundMessageAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "channel", "subject", "status", "attempts", "sent_at", "last_error"]
    list_filter = ["channel", "status"]
    search_fields = ["subject", "target"]


# --- failed logins (django-axes) ------------------------------------------------------------------


admin.site.unregister(AccessAttempt)


@admin.register(AccessAttempt)
class LockoutAdmin(AxesAccessAttemptAdmin):
    """A username that failed too often from one address waits AXES_COOLOFF_MINUTES; the office can
    lift that at once for the rows it selects."""

    actions = ["unlock"]

    @admin.action(description=_("解锁所选账号（清除失败次数，可立即重新登录）"), permissions=["delete"])
    def unlock(self, request, queryset):
        unlocked = []
        for attempt in queryset.order_by("username", "ip_address"):
            m.AuditEvent.record(actor=request.user, obj=attempt, action="login_unlocked",
                              message=f"解锁账号“{attempt.username}”（{attempt.ip_address}）")
            reset(ip=attempt.ip_address, username=attempt.username)
            unlocked.append(attempt.username)
        self.message_user(request, _("已解锁：%(names)s。") % {"names": "、".join(unlocked)}, messages.SUCCESS)


# --- citizen reports (随手拍) ----------------------------------------------------------------------


@admin.register(m.CitizenReport)
class CitizenReportAdmin(ReadOnlyAdmin):
    """Reports change through the triage pages (/reports/); here they are searched, by code or number."""

    list_display = ["code", "received_at", "status", "channel", "triage_due", "finding"]
    list_filter = ["status", "channel", "feedback"]
    search_fields = ["code", "phone", "description"]
    date_hierarchy = "received_at"
    list_select_related = ["finding"]


@admin.register(m.ReplyTemplate)
class ReplyTemplateAdmin(NoDeleteAdmin):
    list_display = ["title", "use", "order", "is_active"]
    list_filter = ["use", "is_active"]
    list_editable = ["order", "is_active"]


@admin.register(m.BlockedPhone)
class BlockedPhoneAdmin(admin.ModelAdmin):
    """Numbers the public form refuses; deleting a row lets the number report again."""

    list_display = ["phone", "reason", "created_at", "created_by"]
    search_fields = ["phone", "reason"]
    readonly_fields = ["created_by"]

    def save_model(self, request, obj, form, change):
        from issues.reports.services import normal_phone

        obj.phone = normal_phone(obj.phone) or obj.phone
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)


@admin.register(m.Exposure)
class ExposureAdmin(ReadOnlyAdmin):
    list_display = ["finding", "exposed_at", "exposed_by", "withdrawn_at"]
    list_select_related = ["finding", "exposed_by"]


@admin.register(m.ApiClient)
class ApiClientAdmin(NoDeleteAdmin):
    """Keys for other systems (Open311): issued here or by `manage.py create_api_client`; the key is
    shown once, when issued; unticking 启用 revokes it."""

    list_display = ["name", "scope", "key_prefix", "is_active", "expires_on", "created_at", "last_used_at"]
    list_filter = ["scope", "is_active"]
    search_fields = ["name"]
    readonly_fields = ["key_prefix", "created_by", "created_at", "last_used_at"]

    def get_readonly_fields(self, request, obj=None):
        return [*self.readonly_fields, "name", "scope"] if obj else self.readonly_fields

    def save_model(self, request, obj, form, change):
        if change:
            super().save_model(request, obj, form, change)
            m.AuditEvent.record(actor=request.user, obj=obj, action="api_client_changed",
                                message=f"接口客户端 {obj.name}：{'启用' if obj.is_active else '已吊销'}，有效期至 {obj.expires_on or '长期'}")
            return
        from issues.reports.services import assign_key, record_issued

        key = assign_key(obj)
        obj.created_by = request.user
        super().save_model(request, obj, form, change)
        record_issued(request.user, obj)
        self.message_user(request, _("接口密钥（只显示这一次，请立即复制保存）：%(key)s") % {"key": key}, messages.WARNING)


@admin.register(m.AssessmentEdition)
class AssessmentEditionAdmin(NoDeleteAdmin):
    """Editions are added on /assessment/ too; which one is current is chosen there (one at a time)."""

    list_display = ["name", "assessed_on", "index_system", "field_weight", "materials_weight", "survey_weight",
                    "opinion_weight", "is_current"]
    readonly_fields = ["is_current"]


@admin.register(m.OpinionScore)
class OpinionScoreAdmin(NoDeleteAdmin):
    list_display = ["edition", "month", "score", "entered_by", "entered_at"]
    list_filter = ["edition"]
    readonly_fields = ["entered_by", "entered_at"]


@admin.register(m.MaterialRequirement)
class MaterialRequirementAdmin(NoDeleteAdmin):
    """Requirements come from the index workbook (材料要求, 材料截止日期) or are added here. Saving a new
    one opens its first due date; changing the date moves the open one. The state, the misses and the
    uploads are the services' (on /materials/)."""

    list_display = ["item", "title", "kind", "lead_unit", "due_on", "status", "miss_count"]
    list_filter = ["kind", "status", "item__category"]
    search_fields = ["title", "item__code", "item__name", "lead_unit__name"]
    autocomplete_fields = ["item", "lead_unit", "co_units"]
    readonly_fields = ["status", "approved_on", "miss_count"]

    def get_readonly_fields(self, request, obj=None):
        return [*self.readonly_fields, "item"] if obj else self.readonly_fields

    def save_model(self, request, obj, form, change):
        from issues.materials import services as materials

        if not change:
            super().save_model(request, obj, form, change)
            materials.open_first_deadline(obj, issued_on=timezone.localdate())
            m.AuditEvent.record(actor=request.user, obj=obj, action="material_required",
                                message=f"材料要求：{obj.item.code} {obj.title}（配置后台）")
            return
        due_on = obj.due_on
        obj.due_on = m.MaterialRequirement.objects.get(pk=obj.pk).due_on  # moved by the service below
        super().save_model(request, obj, form, change)
        materials.change_due_date(actor=request.user, requirement_id=obj.pk, due_on=due_on)


@admin.register(m.MaterialSubmission)
class MaterialSubmissionAdmin(ReadOnlyAdmin):
    list_display = ["requirement", "title", "unit", "effective_on", "submitted_at", "decision"]
    list_filter = ["decision"]


class QuestionAdminForm(djforms.ModelForm):
    """The bank's options one a line and the yes-options as numbers, checked as the surveys check them."""

    options_text = djforms.CharField(label=_("选项"), required=False, widget=djforms.Textarea(attrs={"rows": 4}),
                                     help_text=_("每个选项一行；填空题不填。"))
    yes_text = djforms.CharField(label=_("计为“是”的选项"), required=False,
                                 help_text=_("选项序号，从 1 开始，多个用逗号分开，如“1,2”。"))

    class Meta:
        model = m.Question
        fields = ["text", "kind", "rate", "index_item", "is_active"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["options_text"].initial = "\n".join(self.instance.options)
            self.fields["yes_text"].initial = ",".join(map(str, self.instance.yes_options))

    def clean(self):
        from issues.core.exceptions import LedgerError
        from issues.surveys.services import check_question

        data = super().clean()
        self.instance.options = [line.strip() for line in data.get("options_text", "").splitlines() if line.strip()]
        try:
            self.instance.yes_options = sorted({int(n) for n in data.get("yes_text", "").replace("，", ",").split(",")
                                                if n.strip()})
        except ValueError:
            raise djforms.ValidationError({"yes_text": _("请填写选项序号，如“1,2”。")}) from None
        self.instance.kind, self.instance.rate = data.get("kind"), data.get("rate") or ""
        if self.instance.pk and m.SurveyAnswer.objects.filter(question__question=self.instance).exists():
            stored = m.Question.objects.get(pk=self.instance.pk)
            if (stored.options, stored.yes_options, stored.rate) != (self.instance.options, self.instance.yes_options,
                                                                    self.instance.rate):
                raise djforms.ValidationError(_("这道题已有答卷，选项和计入方式不能再改；请新建一道题。"))
        try:
            check_question(self.instance)
        except LedgerError as exc:
            raise djforms.ValidationError(exc.message) from None
        return data


@admin.register(m.Question)
class QuestionAdmin(NoDeleteAdmin):
    """The question bank: surveys pick from it on /surveys/<id>/ or import questions into it from Excel."""

    form = QuestionAdminForm
    list_display = ["text", "kind", "rate", "index_item", "is_active"]
    list_filter = ["kind", "rate", "is_active"]
    search_fields = ["text"]
    autocomplete_fields = ["index_item"]


@admin.register(m.Survey)
class SurveyAdmin(ReadOnlyAdmin):
    """Surveys are set up on /surveys/ (versions, questions, quotas, links)."""

    list_display = ["name", "starts_on", "ends_on", "edition", "is_current"]


@admin.register(m.SurveyResponse)
class SurveyResponseAdmin(ReadOnlyAdmin):
    list_display = ["pk", "survey", "version", "district", "street", "source", "answered_at"]
    list_filter = ["survey", "source"]
    exclude = ["address_key"]
