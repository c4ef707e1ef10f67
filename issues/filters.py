"""The ledger's filters (django-filter). Every filter is a URL parameter, so a filtered
ledger can be bookmarked, shared in a WeChat group, or linked from a dashboard figure."""

from __future__ import annotations

import datetime as dt
import functools

import django_filters as df
from django import forms
from django.core.validators import EMPTY_VALUES
from django.db.models import Exists, F, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from issues.core import access
from issues.core.names import AmbiguousName, CellError, UnitMatcher, item_labels, squeeze, unit_labels
from issues.forms import CheckboxInput, DateInput, NumberInput, Picker, PickField, QuickSelect, TextInput
from issues.models import (
    EscalationRule,
    Finding,
    FindingStatus,
    IndexCategory,
    IndexItem,
    InspectionRound,
    Notice,
    NoticeOutcome,
    SanctionAction,
    SanctionStatus,
    SiteType,
    Unit,
    overdue_q,
)

ORDERING = (
    ("found_on", "found_on"),
    ("deadline", "deadline"),
    ("miss_count", "misses"),
    ("deduction", "deduction"),
    ("lead_unit__name", "unit"),
    ("status", "status"),
    ("id", "id"),
)


class LedgerOrdering(df.OrderingFilter):
    """The chosen order, then the ledger's own (found on, then id) in the same direction: equal
    values never reorder between pages, and every order with an index behind it (found on,
    deadline, status) is read from that index. Findings without a deadline come last."""

    def filter(self, qs, value):
        if value in EMPTY_VALUES:
            return qs
        ordering = [self.get_ordering_value(param) for param in value]
        names = [o.lstrip("-") for o in ordering]
        descending = ordering[-1].startswith("-")
        for name in ("found_on", "id"):
            if name not in names and not (name == "found_on" and names[-1] == "deadline"):
                ordering.append(f"-{name}" if descending else name)
        return qs.order_by(*(
            (F("deadline").desc(nulls_last=True) if o.startswith("-") else F("deadline").asc(nulls_last=True))
            if o.lstrip("-") == "deadline" else o
            for o in ordering
        ))


class PickFilter(df.Filter):
    """A filter on an id picked by name (forms.Picker); the filter set gives the field its `resolve`."""

    field_class = PickField


def _resolver(labels, kind: str, fallback=None):
    """`resolve(text)` for a PickField: the id of the label typed or picked (spaces ignored), or a
    clear refusal that lists the labels a shared name stands for."""

    def resolve(text: str) -> int:
        known = labels()
        by_label = {squeeze(label): pk for pk, label in known.items()}
        key = squeeze(text)
        if key in by_label:
            return by_label[key]
        shared = [label for label in known.values() if squeeze(label).startswith(f"{key}（")]
        if shared:
            raise forms.ValidationError(
                _("有 %(n)d 个%(kind)s叫“%(name)s”，请从列表中选择：%(labels)s"),
                params={"n": len(shared), "kind": kind, "name": text, "labels": "、".join(shared[:5])},
            )
        if fallback is not None:
            try:
                return fallback(text)
            except AmbiguousName as error:
                raise forms.ValidationError(str(error)) from None
            except CellError:
                pass
        raise forms.ValidationError(_("没有找到%(kind)s“%(name)s”，请从列表中选择。"),
                                    params={"kind": kind, "name": text})

    return resolve


def ledger_items():
    """The index items the ledger is filtered by: every index system's, and of the reference checklists
    installed with the ledger only those a finding names (a site checked against them before the
    office's own index covered its type)."""
    named = Exists(Finding.objects.filter(index_item=OuterRef("pk")))
    return IndexItem.objects.filter(Q(system__is_reference=False) | named)


def _item_by_code(text: str) -> int:
    """An index item by its code alone ("3.2.1"), in the newest system that has it (the office's before
    the reference checklists)."""
    found = (ledger_items().filter(code=squeeze(text)).order_by("system__is_reference", "-system__year")
             .values_list("pk", flat=True)[:1])
    if not found:
        raise CellError(_("没有这个指标（请写指标编号或从列表中选择）"))
    return found[0]


class FindingFilter(df.FilterSet):
    q = df.CharFilter(label=_("关键词"), method="filter_keyword",
                      widget=TextInput(attrs={"placeholder": _("问题描述、地址、编号、点位")}))
    status = df.MultipleChoiceFilter(label=_("状态"), choices=FindingStatus.choices, distinct=False,
                                     widget=forms.CheckboxSelectMultiple, method="filter_status")
    unit = PickFilter(label=_("责任单位（含下级）"), method="filter_unit")
    lead_unit = df.NumberFilter(label=_("责任单位（仅本单位）"), field_name="lead_unit_id", widget=forms.HiddenInput)
    overdue = df.BooleanFilter(label=_("只看超期未整改"), method="filter_overdue",
                               widget=CheckboxInput)
    due_within = df.NumberFilter(label=_("几天内到期"), method="filter_due_within", min_value=0,
                                 widget=NumberInput)
    category = df.ModelChoiceFilter(label=_("测评项目"), field_name="index_item__category",
                                    queryset=IndexCategory.objects.all(), widget=QuickSelect)
    item = PickFilter(label=_("测评指标"), field_name="index_item_id")
    site_type = df.ModelChoiceFilter(label=_("点位类型"), field_name="site__site_type",
                                     queryset=SiteType.objects.all(), widget=QuickSelect)
    site = df.NumberFilter(label=_("点位编号"), field_name="site_id", widget=forms.HiddenInput)
    site_name = df.CharFilter(label=_("点位名称"), field_name="site__name", lookup_expr="icontains",
                              widget=TextInput)
    round = df.ModelChoiceFilter(label=_("督查批次"), field_name="inspection_round",
                                 queryset=InspectionRound.objects.all(), widget=QuickSelect)
    source = df.ChoiceFilter(label=_("问题来源"), field_name="inspection_round__source", choices=[],
                             widget=QuickSelect)
    found_from = df.DateFilter(label=_("发现日期从"), field_name="found_on", lookup_expr="gte",
                               widget=DateInput)
    found_to = df.DateFilter(label=_("至"), field_name="found_on", lookup_expr="lte",
                             widget=DateInput)
    closed_from = df.DateFilter(label=_("销号日期从"), field_name="closed_on", lookup_expr="gte",
                                widget=DateInput)
    closed_to = df.DateFilter(label=_("至"), field_name="closed_on", lookup_expr="lte",
                              widget=DateInput)
    missed_from = df.DateFilter(label=_("未按期整改日期从"), method="filter_missed",
                                widget=DateInput)
    missed_to = df.DateFilter(label=_("至"), method="filter_missed", widget=DateInput)
    due_from = df.DateFilter(label=_("通知到期日从"), method="filter_due",
                             widget=DateInput)
    due_to = df.DateFilter(label=_("至"), method="filter_due", widget=DateInput)
    min_misses = df.NumberFilter(label=_("未按期次数≥"), field_name="miss_count", lookup_expr="gte", min_value=0,
                                 widget=NumberInput)
    relapse = df.BooleanFilter(label=_("只看反弹"), method="filter_relapse", widget=CheckboxInput)
    unsigned = df.BooleanFilter(label=_("只看未签收"), method="filter_unsigned", widget=CheckboxInput)
    o = LedgerOrdering(fields=ORDERING, label=_("排序"))

    def __init__(self, *args, user=None, today: dt.date | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self._subtrees: dict[int, tuple[frozenset[int], bool]] = {}  # unit → its subtree (filter_unit)
        self.today = today or timezone.localdate()
        self.filters["round"].queryset = InspectionRound.objects.order_by("-held_on")
        # the selects' options are read when a select is drawn, not for a filter set that only filters
        # (QuickSelect's `options`, which the form's copy of its fields does not read); the rounds and
        # their sources from one read
        rounds = functools.cache(lambda: list(
            InspectionRound.objects.order_by("-held_on", "-pk").values_list("pk", "name", "source")))
        for select, read in {
            "category": lambda: IndexCategory.objects.values_list("pk", "name"),
            "site_type": lambda: SiteType.objects.values_list("pk", "name"),
            "round": lambda: [(pk, name) for pk, name, _source in rounds()],
        }.items():
            self.filters[select].extra["widget"] = QuickSelect(options=read)
        # the unit and index-item lists are long: a search box each, by name or code, not a <select>
        units = access.units_for(user) if user else Unit.objects.none()
        self.filters["unit"].extra.update(
            widget=Picker("units", lambda pk: unit_labels(units.filter(pk=pk)).get(pk),
                          attrs={"placeholder": _("输入单位名称或简称")}),
            resolve=_resolver(lambda: unit_labels(units), _("单位"), lambda text: UnitMatcher(units).get(text).pk),
        )
        self.filters["item"].extra.update(
            widget=Picker("items", lambda pk: item_labels(ledger_items().filter(
                code__in=IndexItem.objects.filter(pk=pk).values("code"))).get(pk),
                attrs={"placeholder": _("输入指标编号或名称")}),
            resolve=_resolver(lambda: item_labels(ledger_items()), _("指标"), _item_by_code),
        )
        # a ChoiceFilter's choices also validate the value asked for
        self.filters["source"].extra["choices"] = lambda: [(s, s) for s in sorted({r[2] for r in rounds()})]

    def filter_keyword(self, qs, name, value):
        for word in value.split():
            qs = qs.filter(
                Q(description__icontains=word) | Q(address__icontains=word) | Q(number__icontains=word)
                | Q(site__name__icontains=word)
            )
        return qs

    def filter_status(self, qs, name, value):
        return qs.filter(status__in=value)

    def subtree(self, unit_id: int) -> tuple[frozenset[int], bool]:
        """The unit and those below it, and whether it is a top unit; a page asks for them for its rows
        and for its status tabs, and the unit tree is read once."""
        if unit_id not in self._subtrees:
            self._subtrees[unit_id] = access.subtree(unit_id)
        return self._subtrees[unit_id]

    def filter_unit(self, qs, name, value):
        units, top = self.subtree(int(value))
        # a district's findings by the one key they share, not a list of its hundred units
        return qs.filter(lead_top_id=int(value)) if top else qs.filter(lead_unit_id__in=units)

    def filter_overdue(self, qs, name, value):
        return qs.filter(overdue_q(self.today)) if value else qs

    def filter_due_within(self, qs, name, value):
        horizon = self.today + dt.timedelta(days=int(value))
        return qs.filter(
            status__in=[FindingStatus.ASSIGNED, FindingStatus.SUBMITTED],
            deadline__gte=self.today,
            deadline__lte=horizon,
        )

    def _notice_range(self, qs, name: str, prefix: str, field: str, exclude=None, **where):
        """Findings with one notice dated in [prefix_from, prefix_to] (both bounds on the same notice).
        The _from filter applies both bounds; the _to filter only when there is no _from."""
        if name == f"{prefix}_to" and self.form.cleaned_data.get(f"{prefix}_from"):
            return qs
        low, high = self.form.cleaned_data.get(f"{prefix}_from"), self.form.cleaned_data.get(f"{prefix}_to")
        notices = Notice.objects.filter(finding=OuterRef("pk"), **where)
        if exclude:
            notices = notices.exclude(**exclude)
        if low:
            notices = notices.filter(**{f"{field}__gte": low})
        if high:
            notices = notices.filter(**{f"{field}__lte": high})
        return qs.filter(Exists(notices))

    def filter_missed(self, qs, name, value):
        """Findings that missed a deadline in the range (a miss is dated on its notice's outcome date)."""
        return self._notice_range(qs, name, "missed", "outcome_on", outcome=NoticeOutcome.MISSED)

    def filter_due(self, qs, name, value):
        """Findings with a notice due in the range (transferred and voided notices do not count)."""
        return self._notice_range(qs, name, "due", "deadline",
                                  exclude={"outcome__in": [NoticeOutcome.SUPERSEDED, NoticeOutcome.VOID]})

    def filter_relapse(self, qs, name, value):
        return qs.filter(relapse_of__isnull=False) if value else qs

    def filter_unsigned(self, qs, name, value):
        """Findings whose current notice is open and not yet signed for (签收)."""
        if not value:
            return qs
        return qs.filter(status__in=[FindingStatus.ASSIGNED, FindingStatus.SUBMITTED],
                         current_notice__outcome=NoticeOutcome.OPEN, current_notice__acknowledged_at__isnull=True)


class SanctionFilter(df.FilterSet):
    unit = df.ModelChoiceFilter(label=_("责任单位"), queryset=Unit.objects.order_by("kind", "name"))
    action = df.ChoiceFilter(label=_("措施"), choices=SanctionAction.choices)
    status = df.ChoiceFilter(label=_("状态"), choices=SanctionStatus.choices)
    rule = df.ModelChoiceFilter(label=_("依据规则"), queryset=EscalationRule.objects.all())
    decided_from = df.DateFilter(label=_("决定日期从"), field_name="decided_on", lookup_expr="gte",
                                 widget=DateInput)
    decided_to = df.DateFilter(label=_("至"), field_name="decided_on", lookup_expr="lte",
                               widget=DateInput)
