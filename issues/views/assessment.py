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
from issues.forms import EditionForm
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
    return render(request, "issues/assessment.html", {
        "editions": AssessmentEdition.objects.select_related("index_system").order_by("-is_current", "-assessed_on"),
        "form": form,
    }, status=400 if form is not None and form.errors else 200)


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
