"""Sanctions: the list for office, leaders and supervision; a sanction's evidence; lift; outcome."""

from __future__ import annotations

import datetime as dt
from urllib.parse import quote

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from issues.core import access
from issues.core.exceptions import LedgerError
from issues.escalation import documents
from issues.escalation import sanctions as svc
from issues.filters import SanctionFilter
from issues.forms import LiftForm, OutcomeForm
from issues.models import Sanction, SanctionAction, SanctionStatus

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"







def ensure_reader(user) -> None:
    if not access.sees_everything(user):
        raise PermissionDenied(_("问责台账只对创文办、市领导和督查纪检开放。"))


@login_required
@require_safe
def sanction_list(request):
    ensure_reader(request.user)
    qs = Sanction.objects.select_related("unit", "rule", "finding").order_by("-decided_on", "-pk")
    filterset = SanctionFilter(request.GET or None, queryset=qs)
    rows = filterset.qs if filterset.is_bound and filterset.is_valid() else qs
    page = Paginator(rows, 50).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "issues/sanction_list.html", {
        "filter": filterset, "page": page, "query": query.urlencode(),
        "in_force": Sanction.objects.filter(status=SanctionStatus.IN_FORCE).count(),
    })


def _context(request, sanction, **forms):
    user = request.user
    return {
        "sanction": sanction,
        "notices": sanction.evidence_notices.select_related("finding", "unit").order_by("seq"),
        "deadlines": sanction.evidence_deadlines.order_by("seq"),
        "entries": sanction.evidence_entries.select_related("period", "group").order_by("period__start"),
        "can_lift": access.is_office(user) and sanction.status == SanctionStatus.IN_FORCE,
        "can_outcome": (access.is_supervision(user) or access.is_office(user)) and sanction.action in svc.OUTCOME_ACTIONS,
        "lift_form": forms.get("lift_form") or LiftForm(),
        "outcome_form": forms.get("outcome_form") or OutcomeForm(initial={"outcome": sanction.outcome}),
        "has_document": sanction.action in (SanctionAction.CIRCULAR, SanctionAction.INTERVIEW),
        "error": forms.get("error"),
    }


@login_required
@require_safe
def sanction_detail(request, pk):
    ensure_reader(request.user)
    sanction = get_object_or_404(Sanction.objects.select_related("unit", "rule", "finding"), pk=pk)
    return render(request, "issues/sanction_detail.html", _context(request, sanction))


def _post(request, pk, form_class, key, call, done):
    ensure_reader(request.user)
    sanction = get_object_or_404(Sanction.objects.select_related("unit", "rule", "finding"), pk=pk)
    form = form_class(request.POST)
    if form.is_valid():
        try:
            call(sanction, form.cleaned_data)
        except LedgerError as exc:
            form.add_error(None, exc.message)
            sanction.refresh_from_db()
            return render(request, "issues/sanction_detail.html",
                          _context(request, sanction, error=exc.message, **{key: form}), status=400)
        messages.success(request, done)
        return redirect("sanction_detail", pk=sanction.pk)
    return render(request, "issues/sanction_detail.html", _context(request, sanction, **{key: form}), status=400)


@login_required
@require_POST
def sanction_lift(request, pk):
    if not access.is_office(request.user):
        raise PermissionDenied(_("只有创文办工作人员可以撤销问责措施。"))
    return _post(request, pk, LiftForm, "lift_form",
                 lambda s, d: svc.lift_sanction(actor=request.user, sanction_id=s.pk, reason=d["reason"]),
                 _("问责措施已撤销。"))


@login_required
@require_POST
def sanction_outcome(request, pk):
    if not (access.is_supervision(request.user) or access.is_office(request.user)):
        raise PermissionDenied(_("只有督查纪检和创文办可以登记办理结果。"))
    return _post(request, pk, OutcomeForm, "outcome_form",
                 lambda s, d: svc.record_outcome(actor=request.user, sanction_id=s.pk, outcome=d["outcome"]),
                 _("办理结果已登记。"))


def _docx(content: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type=DOCX)
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(filename)}"
    return response


@login_required
@require_safe
def sanction_document(request, pk):
    """The Word document of one sanction: its circular, or the interview notice."""
    ensure_reader(request.user)
    sanction = get_object_or_404(Sanction.objects.select_related("unit"), pk=pk)
    if sanction.action == SanctionAction.CIRCULAR:
        return _docx(documents.circular_document([sanction]), f"通报-{sanction.unit.name}-{sanction.decided_on}.docx")
    if sanction.action == SanctionAction.INTERVIEW:
        return _docx(documents.interview_document(sanction), f"约谈通知书-{sanction.unit.name}-{sanction.decided_on}.docx")
    raise Http404(_("这类问责措施没有公文模板。"))


@login_required
@require_safe
def circular_collection(request):
    """One circular for every 通报批评 decided in a date range (default: the latest night that had any)."""
    ensure_reader(request.user)
    circulars = Sanction.objects.filter(action=SanctionAction.CIRCULAR).exclude(status=SanctionStatus.LIFTED)
    try:
        first = dt.date.fromisoformat(request.GET["from"]) if request.GET.get("from") else None
        last = dt.date.fromisoformat(request.GET["to"]) if request.GET.get("to") else None
    except ValueError:
        raise Http404(_("日期格式应为 YYYY-MM-DD。")) from None
    if first is None and last is None:
        last = circulars.order_by("-decided_on").values_list("decided_on", flat=True).first()
        first = last
    first, last = first or last, last or first
    chosen = list(circulars.filter(decided_on__range=(first, last)).select_related("unit").order_by("decided_on", "pk"))
    if not chosen:
        raise Http404(_("这段时间没有通报批评。"))
    name = f"通报-{first}" + (f"至{last}" if first != last else "") + ".docx"
    return _docx(documents.circular_document(chosen), name)
