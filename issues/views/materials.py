"""Materials (材料申报): the requirements list, a requirement's page with its uploads and reviews, the
office's review queue, the completeness matrix and its workbook, and the approved set as one zip."""

from __future__ import annotations

import tempfile
from urllib.parse import quote

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count, Prefetch, Q
from django.http import FileResponse, Http404, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from issues.core import access
from issues.core.exceptions import LedgerError
from issues.excel.materials_export import write_matrix
from issues.forms import MaterialReturnForm, MaterialUploadForm, UnitPickForm
from issues.materials import package, reads
from issues.materials import services as materials
from issues.models import (
    AssessmentEdition,
    IndexCategory,
    MaterialDecision,
    MaterialFile,
    MaterialRequirement,
    MaterialState,
    MaterialSubmission,
    Unit,
)
from issues.views.decorators import office_required

PAGE_SIZE = 50
MATRIX_PAGE_SIZE = 50
STATE_FILTER = {
    MaterialState.OVERDUE: Q(miss_count__gt=0) & ~Q(status=MaterialState.APPROVED),
    MaterialState.MISSING: Q(status=MaterialState.MISSING, miss_count=0),
    MaterialState.RETURNED: Q(status=MaterialState.RETURNED, miss_count=0),
    MaterialState.PENDING: Q(status=MaterialState.PENDING, miss_count=0),
    MaterialState.APPROVED: Q(status=MaterialState.APPROVED),
}


def _int(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _unit_filter(request) -> tuple[UnitPickForm | None, int | None]:
    """The unit picked by name (city-wide roles only: a unit sees its own rows anyway), and its id."""
    if not access.sees_everything(request.user):
        return None, None
    form = UnitPickForm(request.GET or None, units=Unit.objects.all())
    return form, form.cleaned_data["unit"] if form.is_bound and form.is_valid() else None


def _categories(system):
    return list(IndexCategory.objects.filter(system=system).order_by("order", "pk").values_list("pk", "name")) \
        if system else []


@login_required
@require_safe
def material_list(request):
    """Requirements by category and item, with their due date, state and files: a unit's own, or all."""
    system = reads.current_system()
    qs = reads.requirements_for(request.user).filter(item__system=system) if system else MaterialRequirement.objects.none()
    category, state = _int(request.GET.get("category")), request.GET.get("state")
    unit_form, unit_id = _unit_filter(request)
    if category:
        qs = qs.filter(item__category_id=category)
    if unit_id:
        qs = qs.filter(Q(lead_unit_id=unit_id) | Q(co_units__id=unit_id)).distinct()
    if state in STATE_FILTER:
        qs = qs.filter(STATE_FILTER[state])
    page = Paginator(
        qs.select_related("item", "item__category", "lead_unit").annotate(files=Count("submissions__files", distinct=True))
        .order_by("item__category__order", "item__code", "order", "pk"),
        PAGE_SIZE,
    ).get_page(request.GET.get("page"))
    rows = list(page.object_list)
    for row in rows:
        row.state = reads.state_of(row.status, row.miss_count)
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "issues/material_list.html", {
        "page": page, "rows": rows, "query": query.urlencode(),
        "categories": _categories(system), "category": category, "state": state, "unit_form": unit_form,
        "states": [(s.value, s.label) for s in [MaterialState(v) for v in reads.WORST_FIRST]],
        "summary": reads.unit_summary(request.user, timezone.localdate()),
        "office": access.is_office(request.user), "system": system,
    })


def _requirement_for(user, pk) -> MaterialRequirement:
    try:
        return reads.requirements_for(user).select_related("item", "item__category", "lead_unit").get(pk=pk)
    except (MaterialRequirement.DoesNotExist, ValueError, TypeError):
        raise Http404(_("没有找到这项材料要求。")) from None


def _detail(request, requirement, *, upload_form=None, return_forms=None, status=200):
    submissions = list(
        requirement.submissions.select_related("unit", "submitted_by", "decided_by", "deadline")
        .prefetch_related(Prefetch("files", queryset=MaterialFile.objects.order_by("pk")))
        .order_by("-submitted_at", "-pk")
    )
    office = access.is_office(request.user)
    for sub in submissions:
        sub.late = sub.submitted_on > sub.deadline.due_on
        if office and sub.decision == MaterialDecision.PENDING:
            sub.return_form = (return_forms or {}).get(sub.pk) or MaterialReturnForm(auto_id=f"r{sub.pk}_%s")
    can_upload = False
    if requirement.status != MaterialState.APPROVED and access.is_unit_user(request.user):
        try:
            materials.acting_unit(request.user, requirement)
            can_upload = True
        except PermissionDenied:
            pass
    start, end = reads.evidence_window(requirement, AssessmentEdition.current())
    return render(request, "issues/material_detail.html", {
        "requirement": requirement, "state": reads.state_of(requirement.status, requirement.miss_count),
        "co_units": list(requirement.co_units.order_by("name")),
        "deadlines": list(requirement.deadlines.order_by("seq")),
        "submissions": submissions, "window": (start, end),
        "upload_form": (upload_form or MaterialUploadForm()) if can_upload else None,
        "office": office,
    }, status=status)


@login_required
@require_safe
def material_detail(request, pk):
    return _detail(request, _requirement_for(request.user, pk))


@login_required
@require_POST
def material_upload(request, pk):
    requirement = _requirement_for(request.user, pk)
    materials.acting_unit(request.user, requirement)  # 403 before the form for anyone who may not upload
    form = MaterialUploadForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            materials.submit_material(actor=request.user, requirement_id=requirement.pk,
                                      title=form.cleaned_data["title"], effective_on=form.cleaned_data["effective_on"],
                                      uploads=form.cleaned_data["files"])
        except LedgerError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            messages.success(request, _("材料已报送，等待创文办审核。"))
            return redirect("material_detail", pk=requirement.pk)
    requirement.refresh_from_db()
    return _detail(request, requirement, upload_form=form, status=400)


@office_required
@require_POST
def material_review(request, pk):
    """Approve (approve=1) or return with a reason; back to the queue or to the requirement."""
    try:
        sub = MaterialSubmission.objects.select_related("requirement").get(pk=pk)
    except MaterialSubmission.DoesNotExist:
        raise Http404(_("没有找到这份材料。")) from None
    approve = request.POST.get("approve") == "1"
    form = MaterialReturnForm(request.POST, auto_id=f"r{sub.pk}_%s")
    if not approve and not form.is_valid():
        return _detail(request, _requirement_for(request.user, sub.requirement_id), return_forms={sub.pk: form},
                       status=400)
    try:
        materials.review_material(actor=request.user, submission_id=sub.pk, approve=approve,
                                  reason="" if approve else form.cleaned_data["reason"])
    except LedgerError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("已审核通过：{title}。").format(title=sub.title) if approve
                         else _("已退回：{title}。").format(title=sub.title))
    target = request.POST.get("next")
    if target == "queue":
        return redirect("material_review_queue")
    return redirect("material_detail", pk=sub.requirement_id)


@office_required
@require_safe
def material_review_queue(request):
    """Uploads waiting for review, oldest first."""
    waiting = (
        MaterialSubmission.objects.filter(decision=MaterialDecision.PENDING)
        .select_related("requirement", "requirement__item", "unit", "deadline", "submitted_by")
        .prefetch_related(Prefetch("files", queryset=MaterialFile.objects.order_by("pk")))
        .order_by("submitted_at", "pk")
    )
    page = Paginator(waiting, 30).get_page(request.GET.get("page"))
    subs = list(page.object_list)
    edition = AssessmentEdition.current()
    for sub in subs:
        sub.late = sub.submitted_on > sub.deadline.due_on
        sub.window = reads.evidence_window(sub.requirement, edition)
        sub.return_form = MaterialReturnForm(auto_id=f"r{sub.pk}_%s")
    return render(request, "issues/material_review.html", {"page": page, "submissions": subs})


@login_required
@require_safe
def material_file(request, pk):
    """A material file, to those who see its requirement; under its uploaded name, as an attachment."""
    try:
        item = MaterialFile.objects.select_related("submission").get(pk=pk)
    except MaterialFile.DoesNotExist:
        raise Http404(_("没有找到这个文件。")) from None
    _requirement_for(request.user, item.submission.requirement_id)
    inline = item.content_type in ("application/pdf", "image/jpeg", "image/png")
    response = FileResponse(item.file.open("rb"), content_type=item.content_type)
    response["Content-Disposition"] = (f"{'inline' if inline else 'attachment'}; "
                                       f"filename*=UTF-8''{quote(item.original_name)}")
    response["Cache-Control"] = "private, max-age=3600"
    response["X-Content-Type-Options"] = "nosniff"
    return response


def _matrix(request):
    system = reads.current_system()
    category = _int(request.GET.get("category"))
    unit_form, unit = _unit_filter(request)
    unit_ids = {unit} if unit else access.visible_unit_ids(request.user)
    return system, category, unit_form, reads.matrix(system, category_id=category, unit_ids=unit_ids)


@login_required
@require_safe
def material_matrix(request):
    """The completeness matrix: units × items of a category (or × categories), most points missing first."""
    system, category, unit_form, table = _matrix(request)
    page = Paginator(table.rows, MATRIX_PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "issues/material_matrix.html", {
        "table": table, "page": page, "rows": page.object_list, "query": query.urlencode(),
        "categories": _categories(system), "category": category, "unit_form": unit_form,
        "counts": [(MaterialState(s).label, s, table.counts.get(s, 0)) for s in reads.WORST_FIRST],
        "office": access.is_office(request.user),
    })


@login_required
@require_safe
def material_matrix_export(request):
    """The matrix as a workbook: every item a column (the category filter narrows them), every unit a row."""
    system = reads.current_system()
    category = _int(request.GET.get("category"))
    unit_ids = access.visible_unit_ids(request.user)
    table = reads.matrix(system, category_id=category, unit_ids=unit_ids, by_item=True)
    handle = tempfile.TemporaryFile()
    write_matrix(table, handle)
    handle.seek(0)
    response = FileResponse(handle, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    name = f"材料齐全情况-{timezone.localdate():%Y%m%d}.xlsx"
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(name)}"
    return response


@office_required
@require_safe
def material_package(request):
    """Every approved file in index order, one folder per category and item, streamed as one zip."""
    entries = reads.package_entries(reads.current_system())
    if not entries:
        messages.info(request, _("还没有审核通过的材料。"))
        return redirect("materials")
    response = StreamingHttpResponse(package.stream(entries, MaterialFile.file.field.storage),
                                     content_type="application/zip")
    name = f"申报材料-{timezone.localdate():%Y%m%d}.zip"
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(name)}"
    return response

