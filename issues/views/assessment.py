"""The assessment editions (测评方案) and the field part's item rates (/assessment/field/)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from issues.assessment import field
from issues.assessment import services as editions
from issues.core import access
from issues.core.exceptions import LedgerError
from issues.forms import EditionForm, OpinionForm
from issues.models import AssessmentEdition
from issues.views.decorators import city_wide_required, office_required


@city_wide_required
def edition_list(request):
    """Every edition with its parts' weights, the current one first; office staff add one here."""
    form = None
    if access.is_office(request.user):
        form = EditionForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            edition = editions.create_edition(actor=request.user, **form.cleaned_data)
            messages.success(request, _("测评方案“%(name)s”已保存。") % {"name": edition.name})
            return redirect("assessment")
    elif request.method == "POST":
        raise PermissionDenied(_("只有创文办工作人员可以执行此操作。"))
    return _editions_page(request, form=form, status=400 if form is not None and form.errors else 200)


def _editions_page(request, *, form=None, opinion_form=None, status=200):
    current = AssessmentEdition.current()
    office = access.is_office(request.user)
    return render(request, "issues/assessment.html", {
        "editions": AssessmentEdition.objects.select_related("index_system").order_by("-is_current", "-assessed_on"),
        "form": form, "current": current,
        "opinion_form": (opinion_form or OpinionForm(initial={"month": timezone.localdate().replace(day=1)}))
        if office and current else None,
        "opinions": current.opinion_scores.select_related("entered_by")[:12] if current else [],
    }, status=status)


@office_required
@require_POST
def opinion_record(request):
    """The public-opinion part's score for a month, for the current edition."""
    current = AssessmentEdition.current()
    if current is None:
        messages.error(request, _("还没有当前的测评方案。"))
        return redirect("assessment")
    form = OpinionForm(request.POST)
    if form.is_valid():
        try:
            entry = editions.record_opinion(actor=request.user, edition_id=current.pk, **form.cleaned_data)
        except LedgerError as exc:
            form.add_error(exc.field, exc.message)
        else:
            messages.success(request, _("已录入 %(month)s 的征求意见得分。") % {"month": entry.month.strftime("%Y-%m")})
            return redirect("assessment")
    return _editions_page(request, form=EditionForm(), opinion_form=form, status=400)


@office_required
@require_POST
def edition_current(request, pk):
    edition = editions.make_current(actor=request.user, edition_id=get_object_or_404(AssessmentEdition, pk=pk).pk)
    messages.success(request, _("当前测评方案：%(name)s。") % {"name": edition.name})
    return redirect("assessment")


@city_wide_required
@require_safe
def field_rates(request):
    """实地考察: each item's 得分率 over the window, the items never observed, the predicted score."""
    edition = AssessmentEdition.current()
    if edition is None:
        return render(request, "issues/assessment_field.html", {"edition": None})
    try:
        days = min(max(int(request.GET.get("days", "")), 1), 3650)
    except ValueError:
        days = edition.field_window_days
    part = field.field_part(edition, timezone.localdate(), days=days)
    return render(request, "issues/assessment_field.html", {"edition": edition, "part": part, "days": days})
