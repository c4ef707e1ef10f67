"""Forms of the browser workflows. They validate input; the services decide and write."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from html import escape

from django import forms
from django.conf import settings
from django.forms.utils import flatatt
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _

from issues.core.names import AmbiguousName, CellError, UnitMatcher, unit_labels
from issues.models import (
    AssessmentEdition,
    Finding,
    IndexItem,
    IndexSystem,
    InspectionRound,
    Question,
    QuestionKind,
    RankingGroup,
    ReplyTemplate,
    RoundSource,
    Severity,
    Site,
    SiteType,
    Unit,
    UnitKind,
    Verdict,
)


class QuickSelect(forms.Select):
    """A <select> written in one pass: Django renders every <option> through a template, which for a
    city's 1,000 units is most of a page's time. `options`, a callable giving (value, label) pairs, replaces the field's choices when drawing,
    so a model field's options are read as plain rows instead of model instances. `blank`: the
    label of the empty choice drawn first with `options` (None: no empty choice)."""

    def __init__(self, attrs=None, choices=(), options=None, blank="---------"):
        super().__init__(attrs, choices)
        self.options = options
        self.blank = blank

    def use_required_attribute(self, initial):
        # Django looks at the first choice, which for a model field means a query; an optional
        # field never gets the attribute anyway
        return self.is_required and super().use_required_attribute(initial)

    def render(self, name, value, attrs=None, renderer=None):
        attrs = self.build_attrs(self.attrs, attrs)
        if self.allow_multiple_selected:
            attrs["multiple"] = True
        if self.options is None:
            choices = tuple(self.choices)
        else:
            blank = [] if self.blank is None or self.allow_multiple_selected else [("", self.blank)]
            choices = (*blank, *self.options())
        html = _options_html(_plain(choices))
        for chosen in {str(v) for v in self.format_value(value)}:
            html = html.replace(f'<option value="{escape(chosen)}">', f'<option value="{escape(chosen)}" selected>', 1)
        return format_html('<select name="{}"{}>{}</select>', name, flatatt(attrs), mark_safe(html))  # nosec B308 B703  # noqa: S308 - escaped in _options_html


def _plain(choices) -> tuple:
    """(value, label) pairs as hashable text, groups as (group label, pairs)."""
    return tuple(
        (str(value), _plain(label)) if isinstance(label, list | tuple)
        else ("" if value is None else str(value), str(label))
        for value, label in choices
    )


def _options_html(choices: tuple) -> str:
    """The <option> list of these (value, label) pairs, nothing selected."""

    def options(pairs):
        for option_value, label in pairs:
            if isinstance(label, tuple):
                yield f'<optgroup label="{escape(option_value)}">{"".join(options(label))}</optgroup>'
            else:
                yield f'<option value="{escape(option_value)}">{escape(label)}</option>'

    # html.escape: Django's escape, without its lazy-string wrapper around each of 1,000 calls
    return "".join(options(choices))


class QuickSelectMultiple(QuickSelect, forms.SelectMultiple):
    """QuickSelect's writing, SelectMultiple's reading of the submitted values."""


class OnePassInput:
    """An <input> written in one pass, as Django's template writes it (type, name, value, then the
    other attributes): a ledger page draws twenty of them in its filter form, and through the template
    language they were a fifth of drawing the page."""

    def render(self, name, value, attrs=None, renderer=None):
        widget = self.get_context(name, value, attrs)["widget"]
        shown = "" if widget["value"] is None else format_html(' value="{}"', str(widget["value"]))
        # the attributes in their order, a true one bare and a false one left out (attrs.html); every
        # name and value escaped by format_html
        rest = format_html_join("", "{}", (
            (format_html(" {}", key) if item is True else format_html(' {}="{}"', key, str(item)),)
            for key, item in widget["attrs"].items() if item is not False))
        return format_html('<input type="{}" name="{}"{}{}>', widget["type"], widget["name"], shown, rest)


class TextInput(OnePassInput, forms.TextInput):
    pass


class NumberInput(OnePassInput, forms.NumberInput):
    pass


class CheckboxInput(OnePassInput, forms.CheckboxInput):
    pass


class DateInput(OnePassInput, forms.DateInput):
    """A date picker (type="date"), its value written as the browser reads it (YYYY-MM-DD)."""

    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%Y-%m-%d")


class Picker(TextInput):
    """A search box over a long list (a city's 1,000 units, its 300 index items) instead of a <select>:
    the labels come from the `source` URL into a <datalist> when the box is first used, so a ledger page
    does not carry the whole list. The value is an id (from a link) or a label; `label_of(pk)` shows
    an id as its label."""

    input_type = "search"

    def __init__(self, source: str, label_of, attrs=None):
        super().__init__({"autocomplete": "off", **(attrs or {})})
        self.source, self.label_of = source, label_of

    def format_value(self, value):
        if value not in (None, "") and str(value).isdigit():
            return self.label_of(int(value)) or str(value)
        return super().format_value(value)

    def render(self, name, value, attrs=None, renderer=None):
        listed = f"{name}-options"
        attrs = {**(attrs or {}), "list": listed, "data-options": reverse("filter_options", args=[self.source])}
        return format_html("{}<datalist id=\"{}\"></datalist>", super().render(name, value, attrs, renderer), listed)


class PickField(forms.CharField):
    """The value of a Picker: `resolve(text)` turns an id or a label into the id, or says what is wrong."""

    def __init__(self, *, resolve=None, **kwargs):
        super().__init__(**kwargs)
        self.resolve = resolve

    def clean(self, value):
        value = super().clean(value)
        if value in self.empty_values:
            return None
        return int(value) if value.isdigit() else self.resolve(value)


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class PhotosField(forms.FileField):
    """Several photos in one field; each is decoded and checked by the photo service."""

    widget = MultipleFileInput

    def __init__(self, *args, max_files: int | None = None, **kwargs):
        kwargs.setdefault("required", False)
        super().__init__(*args, **kwargs)
        self.max_files = max_files
        self.widget.attrs.update({"accept": "image/*,.heic,.heif", "multiple": True})

    def clean(self, data, initial=None):
        files = data if isinstance(data, list | tuple) else ([data] if data else [])
        files = [f for f in files if f]
        if self.required and not files:
            raise forms.ValidationError(_("请至少上传一张照片。"))
        most = self.max_files or settings.PHOTO_MAX_FILES
        if len(files) > most:
            raise forms.ValidationError(_("一次最多上传 %(n)d 张照片。") % {"n": most})
        too_big = [f.name for f in files if f.size > settings.PHOTO_MAX_BYTES]
        if too_big:
            raise forms.ValidationError(
                _("照片 %(names)s 超过 %(limit)d MB 的上限。")
                % {"names": "、".join(too_big), "limit": settings.PHOTO_MAX_BYTES // 1048576}
            )
        return files


def unit_choices():
    return Unit.objects.filter(is_active=True).order_by("kind", "name")


def choose_unit(field) -> None:
    """The field chooses among the active units; its select is drawn from plain (id, name) rows, not
    from a thousand unit instances (40 ms of a unit's finding page, for the transfer form)."""
    field.queryset = unit_choices()
    field.widget.options = lambda: unit_choices().values_list("pk", "name")
    field.widget.blank = getattr(field, "empty_label", None)  # as Django would draw it


def choose_round(field) -> None:
    """The field chooses among the inspection rounds, newest first, drawn from plain rows."""
    field.queryset = InspectionRound.objects.order_by("-held_on", "-pk")
    field.widget.options = lambda: field.queryset.values_list("pk", "name")
    field.widget.blank = field.empty_label


class FindingForm(forms.Form):
    """Log a finding on the spot: the labels are the words the office uses on its forms."""

    description = forms.CharField(label=_("问题描述"), widget=forms.Textarea(attrs={"rows": 3}))
    site_name = forms.CharField(
        label=_("点位"), required=False,
        widget=forms.TextInput(attrs={"list": "site-options", "autocomplete": "off", "placeholder": _("输入点位名称搜索")}),
    )
    new_site_type = forms.ModelChoiceField(
        label=_("新点位的类型"), queryset=SiteType.objects.all(), required=False, widget=QuickSelect,
        help_text=_("点位不在列表中时，选择类型即可当场新建。"),
    )
    address = forms.CharField(label=_("具体地址"), required=False, max_length=200)
    item_code = forms.CharField(
        label=_("测评指标"), required=False,
        widget=forms.TextInput(attrs={"list": "item-options", "autocomplete": "off", "placeholder": _("输入编码或名称搜索")}),
    )
    lead_unit = forms.ModelChoiceField(label=_("责任单位"), queryset=Unit.objects.none(), widget=QuickSelect)
    co_units = forms.ModelMultipleChoiceField(
        label=_("配合单位"), queryset=Unit.objects.none(), required=False,
        widget=QuickSelectMultiple(attrs={"size": 4}),
    )
    deduction = forms.DecimalField(label=_("扣分"), min_value=Decimal("0"), max_digits=6, decimal_places=2,
                                   initial=Decimal("0"))
    severity = forms.ChoiceField(label=_("严重程度"), choices=Severity.choices, initial=Severity.GENERAL,
                                 widget=forms.RadioSelect)
    found_on = forms.DateField(label=_("发现日期"), widget=DateInput)
    source = forms.CharField(
        label=_("问题来源"), max_length=40, required=False,
        widget=forms.TextInput(attrs={"list": "source-options", "autocomplete": "off"}),
        help_text=_("不选督查批次时，问题归入该来源当天的批次；选了批次则以批次的来源为准。"),
    )
    inspection_round = forms.ModelChoiceField(
        label=_("督查批次"), queryset=InspectionRound.objects.all(), required=False, widget=QuickSelect,
    )
    issue_now = forms.BooleanField(label=_("立即交办（同时下发整改通知）"), required=False, initial=True)
    deadline = forms.DateField(label=_("整改时限"), required=False, widget=DateInput,
                               help_text=_("留空则按严重程度自动计算（工作日）。"))
    requirement = forms.CharField(label=_("整改要求"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    photos = PhotosField(label=_("现场照片"))

    def __init__(self, *args, source: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        choose_unit(self.fields["lead_unit"])
        choose_unit(self.fields["co_units"])
        choose_round(self.fields["inspection_round"])
        self.fields["found_on"].initial = timezone.localdate()
        self.fields["source"].initial = source or RoundSource.DAILY

    def clean_site_name(self):
        name = self.cleaned_data["site_name"].strip()
        self.site = None
        if name:
            self.site = Site.objects.filter(name=name).first()
        return name

    def clean_item_code(self):
        text = self.cleaned_data["item_code"].strip()
        self.item = None
        if not text:
            return text
        code = text.split()[0]
        system = IndexSystem.objects.filter(is_current=True).first()
        items = IndexItem.objects.filter(system=system) if system else IndexItem.objects.all()
        self.item = items.filter(code=code).first() or items.filter(name=text).first()
        if self.item is None:
            raise forms.ValidationError(_("没有编码或名称为“%(text)s”的测评指标。") % {"text": text})
        return text

    def clean(self):
        data = super().clean()
        name = data.get("site_name")
        if name and self.site is None and not data.get("new_site_type"):
            self.add_error("site_name", _("没有名为“%(name)s”的点位；如需新建，请选择新点位的类型。") % {"name": name})
        found_on, deadline = data.get("found_on"), data.get("deadline")
        if found_on and found_on > timezone.localdate():
            self.add_error("found_on", _("发现日期不能晚于今天。"))
        if deadline and found_on and deadline < found_on:
            self.add_error("deadline", _("整改时限不能早于发现日期。"))
        lead, co = data.get("lead_unit"), data.get("co_units")
        if lead and co and lead in co:
            data["co_units"] = [u for u in co if u != lead]
        return data


class IssueNoticeForm(forms.Form):
    deadline = forms.DateField(label=_("整改时限"), required=False, widget=DateInput,
                               help_text=_("留空则按严重程度自动计算（工作日）。"))
    requirement = forms.CharField(label=_("整改要求"), required=False, widget=forms.Textarea(attrs={"rows": 2}))


class BatchAssignForm(forms.Form):
    ids = forms.CharField(widget=forms.HiddenInput, required=False)
    deadline = forms.DateField(label=_("整改时限"), required=False, widget=DateInput)
    working_days = forms.IntegerField(label=_("或按工作日"), required=False, min_value=0, max_value=120)


class DeadlineForm(forms.Form):
    deadline = forms.DateField(label=_("新的整改时限"), widget=DateInput)
    reason = forms.CharField(label=_("调整原因"), required=False, max_length=200)


class SubmitFixForm(forms.Form):
    note = forms.CharField(label=_("整改情况"), widget=forms.Textarea(attrs={"rows": 3}))
    photos = PhotosField(label=_("整改后照片"), required=True)


class RejectForm(forms.Form):
    reason = forms.CharField(label=_("退回原因"), widget=forms.Textarea(attrs={"rows": 2}))


class TransferRequestForm(forms.Form):
    to_unit = forms.ModelChoiceField(label=_("建议责任单位"), queryset=Unit.objects.none(), required=False,
                                     widget=QuickSelect)
    reason = forms.CharField(label=_("申请理由"), widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        choose_unit(self.fields["to_unit"])


class RefusalNeedsReason:
    """A decision form whose refusal (approve = False) must say why in `reason`."""

    refusal_message = ""

    def clean(self):
        data = super().clean()
        if data.get("approve") is False and not (data.get("reason") or "").strip():
            self.add_error("reason", self.refusal_message)
        return data


class TransferDecisionForm(RefusalNeedsReason, forms.Form):
    refusal_message = _("不同意转办必须填写理由。")
    approve = forms.TypedChoiceField(
        label=_("审批"), choices=[("1", _("同意转办")), ("0", _("不同意"))], coerce=lambda v: v == "1",
        widget=forms.RadioSelect,
    )
    to_unit = forms.ModelChoiceField(label=_("新的责任单位"), queryset=Unit.objects.none(), required=False,
                                     widget=QuickSelect)
    deadline = forms.DateField(label=_("新通知的整改时限"), required=False, widget=DateInput)
    reason = forms.CharField(label=_("审批意见"), required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        choose_unit(self.fields["to_unit"])


class ExtensionRequestForm(forms.Form):
    deadline = forms.DateField(label=_("申请延至"), widget=DateInput)
    reason = forms.CharField(label=_("延期理由"), widget=forms.Textarea(attrs={"rows": 2}))


class ExtensionDecisionForm(RefusalNeedsReason, forms.Form):
    refusal_message = _("不批准延期必须填写理由。")
    approve = forms.TypedChoiceField(
        label=_("审批"), choices=[("1", _("批准延期")), ("0", _("不批准"))], coerce=lambda v: v == "1",
        widget=forms.RadioSelect,
    )
    deadline = forms.DateField(label=_("批准延至"), required=False, widget=DateInput,
                               help_text=_("留空则按申请的日期。"))
    reason = forms.CharField(label=_("审批意见"), required=False, widget=forms.Textarea(attrs={"rows": 2}))


class RoundForm(forms.Form):
    name = forms.CharField(label=_("督查批次"), max_length=120,
                           widget=forms.TextInput(attrs={"placeholder": _("如：12月第一轮暗访")}))
    source = forms.CharField(label=_("问题来源"), max_length=40, initial=RoundSource.PROVINCIAL_COVERT,
                             widget=forms.TextInput(attrs={"list": "source-options"}))
    held_on = forms.DateField(label=_("督查日期"), widget=DateInput, initial=timezone.localdate)
    inspectors = forms.CharField(label=_("督查人员"), max_length=200, required=False)
    is_covert = forms.BooleanField(label=_("暗访批次（发布前责任单位看不到，发布时统一交办）"), required=False,
                                   initial=True)


class MockDrawForm(forms.Form):
    name = forms.CharField(label=_("批次名称"), max_length=120,
                           widget=forms.TextInput(attrs={"placeholder": _("如：12月模拟测评")}))
    held_on = forms.DateField(label=_("测评日期"), widget=DateInput, initial=timezone.localdate)
    per_type = forms.IntegerField(label=_("每类点位抽取数"), min_value=1, max_value=50, initial=3)
    seed = forms.IntegerField(label=_("抽样种子"), required=False, min_value=0, max_value=2_000_000_000,
                              help_text=_("留空则随机生成；填写以前的种子可重现同一抽样。"))
    inspectors = forms.CharField(label=_("测评人员"), max_length=200, required=False)


class InspectionForm(forms.Form):
    """A site's checklist: for each item a verdict, a note and (for 不合格) photos."""

    note = forms.CharField(label=_("总体情况"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    inspection_round = forms.ModelChoiceField(
        label=_("督查批次"), queryset=InspectionRound.objects.none(), required=False, widget=QuickSelect,
        help_text=_("属于暗访批次且尚未发布的，问题在发布时统一交办。"),
    )
    issue_now = forms.BooleanField(label=_("不合格项立即交办（按严重程度计算时限）"), required=False, initial=True)

    def __init__(self, *args, items: list[IndexItem], **kwargs):
        super().__init__(*args, **kwargs)
        self.items = items
        choose_round(self.fields["inspection_round"])
        for item in items:
            self.fields[f"v_{item.pk}"] = forms.ChoiceField(
                label=f"{item.code} {item.name}", choices=Verdict.choices, widget=forms.RadioSelect,
                error_messages={"required": _("请选择检查结果。")},
            )
            self.fields[f"n_{item.pk}"] = forms.CharField(
                label=_("说明"), required=False, max_length=500,
                widget=forms.TextInput(attrs={"placeholder": _("不合格时写明问题，如：东门公益广告破损")}),
            )
            self.fields[f"p_{item.pk}"] = PhotosField(label=_("照片"))

    def rows(self):
        """(item, verdict field, note field, photos field) for the template."""
        return [(item, self[f"v_{item.pk}"], self[f"n_{item.pk}"], self[f"p_{item.pk}"]) for item in self.items]

    def clean(self):
        data = super().clean()
        for item in self.items:
            if data.get(f"p_{item.pk}") and data.get(f"v_{item.pk}") not in (None, Verdict.FAIL):
                self.add_error(f"p_{item.pk}", _("照片只随不合格项保存：请改为不合格，或去掉照片。"))
        return data


class VoidForm(forms.Form):
    reason = forms.CharField(label=_("作废原因"), widget=forms.Textarea(attrs={"rows": 2}))


def parse_ids(text: str) -> list[int]:
    ids = []
    for part in (text or "").replace(",", " ").split():
        if part.isdigit():
            ids.append(int(part))
    return ids


class ReopenForm(forms.Form):
    reason = forms.CharField(label=_("重新打开的原因"), widget=forms.Textarea(attrs={"rows": 2}))


class ResultsForm(forms.Form):
    group = forms.ModelChoiceField(label=_("排名分组"), queryset=RankingGroup.objects.all())
    scores = forms.CharField(
        label=_("外部测评得分"), widget=forms.Textarea(attrs={"rows": 8}),
        help_text=_("每行一个单位：单位名称（或简称）和得分，用逗号、空格或制表符分隔。"),
    )

    def clean(self):
        data = super().clean()
        group, text = data.get("group"), data.get("scores") or ""
        if group is None:
            return data
        # names are matched as the Excel imports match them: a short name two units share is refused
        units = UnitMatcher(Unit.objects.filter(ranking_group=group))
        parsed, errors = {}, []
        for number, line in enumerate(text.splitlines(), 1):
            line = line.replace("，", ",").replace("\t", ",").strip()
            if not line:
                continue
            name, _sep, value = line.replace(" ", ",").rpartition(",")
            name = name.strip(" ,")
            try:
                score = Decimal(value.strip())
            except InvalidOperation:
                errors.append(_("第%(n)d行：得分“%(v)s”不是数字") % {"n": number, "v": value.strip()})
                continue
            try:
                unit = units.get(name)
            except AmbiguousName as exc:
                errors.append(_("第%(n)d行：%(reason)s") % {"n": number, "reason": exc})
                continue
            except CellError:
                errors.append(_("第%(n)d行：“%(name)s”不是本分组的单位") % {"n": number, "name": name})
                continue
            parsed[unit.pk] = score
        if errors:
            raise forms.ValidationError(errors)
        if not parsed:
            raise forms.ValidationError(_("没有可导入的得分。"))
        data["parsed"] = parsed
        return data


class LiftForm(forms.Form):
    reason = forms.CharField(label=_("撤销原因"), widget=forms.Textarea(attrs={"rows": 2}))


class OutcomeForm(forms.Form):
    outcome = forms.CharField(label=_("办理结果"), widget=forms.Textarea(attrs={"rows": 3}))


# --- citizen reports (随手拍) ---------------------------------------------------------------------


class ReportForm(forms.Form):
    """The public's report form, phone first: photos, what, where, which kind, and a number for a reply."""

    photos = PhotosField(label=_("现场照片"), required=True)
    description = forms.CharField(label=_("问题描述"), max_length=1000,
                                  widget=forms.Textarea(attrs={"rows": 3, "placeholder": _("看到了什么问题？")}))
    category = forms.ChoiceField(label=_("问题类别"))
    site_name = forms.CharField(
        label=_("点位"), required=False, max_length=120,
        widget=forms.TextInput(attrs={"list": "site-options", "autocomplete": "off", "placeholder": _("输入名称搜索，如某某菜市场")}),
    )
    address = forms.CharField(label=_("地点"), required=False, max_length=200,
                              widget=forms.TextInput(attrs={"placeholder": _("路名、门牌号或附近的标志")}))
    latitude = forms.DecimalField(required=False, max_digits=9, decimal_places=6, widget=forms.HiddenInput)
    longitude = forms.DecimalField(required=False, max_digits=9, decimal_places=6, widget=forms.HiddenInput)
    phone = forms.CharField(label=_("手机号（选填）"), required=False, max_length=20,
                            help_text=_("只用于工作人员联系您核实情况，不会公开，也不会告诉责任单位。"),
                            widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "tel"}))

    def __init__(self, *args, categories=(), with_captcha: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["photos"].max_files = settings.REPORT_MAX_PHOTOS
        self.fields["photos"].widget.attrs["class"] = "photo-input"
        groups: dict[str, list] = {}
        for cat in categories:
            groups.setdefault(cat.group, []).append((cat.code, cat.name))
        self.fields["category"].choices = [("", _("请选择")), *[(group, options) for group, options in groups.items()]]
        if with_captcha:
            from captcha.fields import CaptchaField

            self.fields["captcha"] = CaptchaField(label=_("验证码（请计算结果）"),
                                                  error_messages={"invalid": _("验证码不对，请重新计算。")})

    def clean_site_name(self):
        name = self.cleaned_data["site_name"].strip()
        self.site = Site.objects.filter(name=name, is_active=True).first() if name else None
        if name and self.site is None:
            raise forms.ValidationError(_("没有名为“%(name)s”的点位；不在列表中时请填写地点。") % {"name": name})
        return name

    def clean(self):
        data = super().clean()
        lat, lon = data.get("latitude"), data.get("longitude")
        if (lat is None) != (lon is None):
            self.add_error(None, _("位置不完整，请重新点击“使用当前位置”。"))
        if not (data.get("site_name") or data.get("address") or lat is not None) and not self.errors.get("site_name"):
            self.add_error("address", _("请选择点位、填写地点，或使用当前位置。"))
        return data


class TriageForm(forms.Form):
    """The office's answer to a report: merge into a finding, or decline, with the reply the reporter reads."""

    template = forms.ModelChoiceField(label=_("答复模板"), queryset=ReplyTemplate.objects.none(), required=False,
                                      widget=QuickSelect)
    reply = forms.CharField(label=_("给市民的答复"), widget=forms.Textarea(attrs={"rows": 3}), max_length=1000,
                            required=False)
    note = forms.CharField(label=_("内部备注"), widget=forms.Textarea(attrs={"rows": 2}), max_length=1000,
                           required=False, help_text=_("只有创文办看得到。"))
    finding = forms.IntegerField(label=_("合并到问题"), required=False, widget=forms.HiddenInput)
    number = forms.CharField(label=_("或输入问题编号"), required=False, max_length=60,
                             widget=forms.TextInput(attrs={"autocomplete": "off", "placeholder": "WT000123"}))

    def __init__(self, *args, use: str, **kwargs):
        super().__init__(*args, **kwargs)
        templates = ReplyTemplate.objects.filter(use=use, is_active=True)
        self.fields["template"].queryset = templates
        self.fields["template"].widget.options = lambda: templates.values_list("pk", "title")
        self.fields["template"].widget.blank = _("不用模板")

    def clean_number(self):
        """A finding by the number the ledger shows: the office's own, or WT and its id."""
        text = self.cleaned_data["number"].strip()
        if not text:
            return text
        finding = Finding.objects.filter(number=text).only("pk").first()
        if finding is None and text.upper().startswith("WT") and text[2:].isdigit():
            finding = Finding.objects.filter(pk=int(text[2:]), number__isnull=True).only("pk").first()
        if finding is None:
            raise forms.ValidationError(_("没有编号为“%(n)s”的问题。") % {"n": text})
        self.cleaned_data["finding"] = finding.pk
        return text

    def clean(self):
        data = super().clean()
        if not (data.get("reply") or "").strip() and data.get("template") is not None:
            data["reply"] = data["template"].text
        if not (data.get("reply") or "").strip():
            self.add_error("reply", _("请填写给市民的答复，或选择一个答复模板。"))
        return data


# --- the assessment (测评方案) ----------------------------------------------------------------------


class EditionForm(forms.ModelForm):
    """A new assessment edition: its date, index system and the weights of its four parts."""

    class Meta:
        model = AssessmentEdition
        fields = ["name", "assessed_on", "index_system", "field_weight", "materials_weight", "survey_weight",
                  "opinion_weight", "awareness_weight", "support_weight", "participation_weight",
                  "satisfaction_weight", "field_window_days", "note"]
        widgets = {"assessed_on": DateInput, "note": forms.Textarea(attrs={"rows": 2})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        systems = IndexSystem.objects.filter(is_reference=False).order_by("-is_current", "-year", "name")
        self.fields["index_system"].queryset = systems
        current = systems.filter(is_current=True).first()
        if current is not None:
            self.fields["index_system"].initial = current.pk
        for name in self.RATE_WEIGHTS:  # left empty: the default weight
            self.fields[name].required = False

    RATE_WEIGHTS = ("awareness_weight", "support_weight", "participation_weight", "satisfaction_weight")

    def clean(self):
        data = super().clean()
        for name in self.RATE_WEIGHTS:
            if data.get(name) is None and name not in self.errors:
                data[name] = AssessmentEdition._meta.get_field(name).default
        return data


class OpinionForm(forms.Form):
    """The public-opinion part's score for a month, entered by the office."""

    month = forms.DateField(label=_("月份"), input_formats=["%Y-%m", "%Y-%m-%d"],
                            widget=forms.DateInput(attrs={"type": "month"}, format="%Y-%m"))
    score = forms.DecimalField(label=_("征求意见得分"), min_value=Decimal("0"), max_digits=6, decimal_places=2)
    note = forms.CharField(label=_("说明"), required=False, widget=forms.Textarea(attrs={"rows": 2}),
                           help_text=_("得分的来源，如第三方测评报告。"))


class MaterialFilesField(forms.FileField):
    """Several files in one field; their kind, by content, is checked by the materials service."""

    widget = MultipleFileInput

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.widget.attrs.update({
            "multiple": True,
            "accept": ".pdf,.doc,.docx,.xls,.xlsx,.jpg,.jpeg,.png,.heic,.heif,application/pdf,image/*",
        })

    def clean(self, data, initial=None):
        files = [f for f in (data if isinstance(data, list | tuple) else [data]) if f]
        if not files:
            raise forms.ValidationError(_("请选择要上传的文件。"))
        return files


class MaterialUploadForm(forms.Form):
    title = forms.CharField(label=_("材料标题"), max_length=200)
    effective_on = forms.DateField(label=_("材料日期"), widget=DateInput,
                                   help_text=_("文件生效或照片拍摄的日期，须在材料时间范围内。"))
    files = MaterialFilesField(label=_("文件"), help_text=_("PDF、Word、Excel、JPEG、PNG 或 HEIC，可多选。"))


class MaterialReturnForm(forms.Form):
    reason = forms.CharField(label=_("退回原因"), widget=forms.Textarea(attrs={"rows": 2}))


class UnitPickForm(forms.Form):
    """One unit picked by name from a search box (the ledger's picker), for the materials pages' filter."""

    unit = PickField(label=_("单位"), required=False)

    def __init__(self, data=None, *, units):
        super().__init__(data)
        field = self.fields["unit"]
        field.widget = Picker("units", lambda pk: unit_labels(units.filter(pk=pk)).get(pk),
                              attrs={"placeholder": _("输入单位名称或简称")})
        field.widget.attrs["id"] = "f-unit"
        field.resolve = lambda text: _unit_by_name(units, text)


def _unit_by_name(units, text: str) -> int:
    try:
        return UnitMatcher(units).get(text).pk
    except (CellError, AmbiguousName) as exc:
        raise forms.ValidationError(str(exc)) from None


# --- questionnaire surveys (问卷调查) ---------------------------------------------------------------


def _districts():
    return Unit.objects.filter(kind=UnitKind.DISTRICT, is_active=True).order_by("name")


def _streets(district=None):
    streets = Unit.objects.filter(kind__in=[UnitKind.STREET, UnitKind.TOWN], is_active=True,
                                  parent__kind=UnitKind.DISTRICT).order_by("parent__name", "name")
    return streets if district is None else streets.filter(parent=district)


def _street_choices(district=None) -> list:
    """Streets grouped under their district, for a <select> with optgroups (one district's alone when
    the district is known)."""
    groups: dict[str, list] = {}
    for pk, name, parent in _streets(district).values_list("pk", "name", "parent__name"):
        groups.setdefault(parent, []).append((pk, name))
    return [("", _("不填")), *groups.items()]


class SurveyForm(forms.Form):
    name = forms.CharField(label=_("问卷名称"), max_length=100)
    starts_on = forms.DateField(label=_("开始日期"), widget=DateInput)
    ends_on = forms.DateField(label=_("结束日期"), widget=DateInput)
    versions = forms.CharField(label=_("版本"), initial="A 居民\nB 学生\nC 商户\nD 外来人员",
                               widget=forms.Textarea(attrs={"rows": 4}),
                               help_text=_("每行一个版本：代号和调查对象，如“A 居民”。"))
    edition = forms.ModelChoiceField(label=_("测评方案"), required=False, queryset=AssessmentEdition.objects.all())
    current = forms.BooleanField(label=_("设为当前问卷"), required=False,
                                 help_text=_("概况页的问卷调查得分读当前问卷的结果。"))
    note = forms.CharField(label=_("说明"), required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def clean_versions(self):
        pairs = []
        for line in self.cleaned_data["versions"].splitlines():
            parts = line.strip().replace("\u3000", " ").split(None, 1)
            if parts:
                pairs.append((parts[0], parts[1] if len(parts) > 1 else parts[0]))
        if not pairs:
            raise forms.ValidationError(_("问卷至少要有一个版本。"))
        return pairs


class SurveyQuestionForm(forms.Form):
    version = forms.ModelChoiceField(label=_("版本"), queryset=None)
    question = forms.ModelChoiceField(label=_("题库题目"), queryset=None)
    order = forms.IntegerField(label=_("序号"), required=False, min_value=1, help_text=_("不填时排在最后。"))

    def __init__(self, *args, survey, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["version"].queryset = survey.versions.all()
        self.fields["question"].queryset = Question.objects.filter(is_active=True).order_by("pk")


class SurveyQuotaForm(forms.Form):
    district = forms.ModelChoiceField(label=_("区县"), queryset=None)
    street = forms.TypedChoiceField(label=_("街道（选填）"), required=False, coerce=int, empty_value=None)
    target = forms.IntegerField(label=_("样本量"), min_value=0, help_text=_("填 0 删除这条配额。"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["district"].queryset = _districts()
        self.fields["street"].choices = _street_choices()

    def clean_street(self):
        pk = self.cleaned_data["street"]
        return None if pk is None else Unit.objects.get(pk=pk)


class SurveyLinkForm(forms.Form):
    label = forms.CharField(label=_("名称"), max_length=100, help_text=_("如：海报·人民公园，便于区分来源。"))
    version = forms.ModelChoiceField(label=_("版本"), required=False, queryset=None,
                                     empty_label=_("由答卷人选择"))
    district = forms.ModelChoiceField(label=_("区县"), required=False, queryset=None,
                                      empty_label=_("由答卷人选择"))
    single_use = forms.BooleanField(label=_("一次性链接"), required=False, help_text=_("只能提交一份答卷，用于定向邀请。"))

    def __init__(self, *args, survey, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["version"].queryset = survey.versions.all()
        self.fields["district"].queryset = _districts()


class AnswerForm(forms.Form):
    """One respondent's answers to a version: a field per question (q<id>), the district unless the
    link fixes it, the street if they wish, and an offline captcha when the address looks abused."""

    def __init__(self, *args, questions, district=None, with_captcha: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.questions = questions
        if district is None:
            self.fields["district"] = forms.ModelChoiceField(label=_("您所在的区县"), queryset=_districts(),
                                                             empty_label=_("请选择"))
        self.fields["street"] = forms.TypedChoiceField(label=_("您所在的街道（选填）"), required=False, coerce=int,
                                                       empty_value=None, choices=_street_choices(district))
        for placed in questions:
            question = placed.question
            label = f"{placed.order}. {question.text}"
            choices = [(n, option) for n, option in enumerate(question.options, 1)]
            if question.kind == QuestionKind.SINGLE:
                field = forms.TypedChoiceField(label=label, choices=choices, coerce=int, widget=forms.RadioSelect,
                                               error_messages={"required": _("请回答这一题。")})
            elif question.kind == QuestionKind.MULTIPLE:
                field = forms.TypedMultipleChoiceField(label=label, choices=choices, coerce=int,
                                                       widget=forms.CheckboxSelectMultiple,
                                                       error_messages={"required": _("请至少选一项。")})
            else:
                field = forms.CharField(label=label, required=False, max_length=500,
                                        widget=forms.Textarea(attrs={"rows": 2}),
                                        help_text=_("请勿填写姓名、电话等个人信息。"))
            self.fields[f"q{placed.pk}"] = field
        if with_captcha:
            from captcha.fields import CaptchaField

            self.fields["captcha"] = CaptchaField(label=_("验证码（请计算结果）"),
                                                  error_messages={"invalid": _("验证码不对，请重新计算。")})

    def question_fields(self):
        return [self[f"q{placed.pk}"] for placed in self.questions]

    def answers(self) -> dict[int, object]:
        return {placed.pk: self.cleaned_data.get(f"q{placed.pk}") for placed in self.questions}

    def street(self):
        pk = self.cleaned_data.get("street")
        return None if pk is None else Unit.objects.filter(pk=pk).first()
