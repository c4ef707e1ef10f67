"""Field practice (DOMAIN.md): sites and their inspections, covert rounds, notices not signed for.

Sites, inspections and rounds are the office's working material: city-wide readers (office,
leaders, supervision) see them; units get 403, since a covert round must not leak through them.
Only office staff inspect, create or publish.
"""

from __future__ import annotations

import datetime as dt
from urllib.parse import quote

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count, Max, OuterRef, Q, Subquery, Sum
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from issues.core import access
from issues.core.exceptions import LedgerError
from issues.escalation import documents
from issues.field import mock
from issues.field import services as inspections
from issues.findings import receipts, rounds
from issues.forms import InspectionForm, MockDrawForm, RoundForm
from issues.models import FindingStatus, Inspection, InspectionRound, Policy, RoundSource, Site, SiteType, pass_rate
from issues.views.decorators import city_wide_required, office_required

LIMIT = 500


# --- sites and inspections ----------------------------------------------------------------


@city_wide_required
@require_safe
def site_list(request):
    """Find a site (on the phone, at its gate) to start an inspection, or to see its history."""
    q = request.GET.get("q", "").strip()
    type_id = request.GET.get("type", "")
    last = Inspection.objects.filter(site=OuterRef("pk")).order_by("-held_at", "-pk")
    sites = (Site.objects.filter(is_active=True).select_related("site_type", "default_unit")
             .annotate(inspections_count=Count("inspections"), last_held=Max("inspections__held_at"),
                       last_passed=Subquery(last.values("passed")[:1]),
                       last_failed=Subquery(last.values("failed")[:1]))
             .order_by("site_type__order", "name"))
    if q:
        sites = sites.filter(Q(name__icontains=q) | Q(address__icontains=q))
    if type_id.isdigit():
        sites = sites.filter(site_type_id=int(type_id))
    page = Paginator(sites, 50).get_page(request.GET.get("page"))
    for site in page.object_list:
        site.last_rate = pass_rate(site.last_passed, site.last_failed)
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "issues/site_list.html", {
        "page": page, "q": q, "type_id": type_id, "site_types": SiteType.objects.order_by("order", "name"),
        "query": query.urlencode(), "is_office": access.is_office(request.user),
    })


@city_wide_required
@require_safe
def site_page(request, pk):
    """A site: its checklist, its inspections with their pass rates, its open findings."""
    site = get_object_or_404(Site.objects.select_related("site_type", "default_unit"), pk=pk)
    history = list(site.inspections.select_related("inspector", "inspection_round").order_by("-held_at", "-pk")[:100])
    totals = site.inspections.aggregate(n=Count("pk"), passed=Sum("passed"), failed=Sum("failed"))
    open_findings = (access.findings_for(request.user)
                     .filter(site=site, status__in=[FindingStatus.REGISTERED, FindingStatus.ASSIGNED,
                                                    FindingStatus.SUBMITTED])
                     .select_related("lead_unit", "index_item").order_by("deadline", "pk")[:100])
    return render(request, "issues/site_page.html", {
        "site": site, "history": history, "inspections_count": totals["n"], "checklist": inspections.checklist(site),
        "pass_rate": pass_rate(totals["passed"], totals["failed"]), "open_findings": open_findings,
        "is_office": access.is_office(request.user),
    })


@office_required
def site_inspect(request, pk):
    """Walk the site's checklist and submit: every 不合格 becomes a finding in the same step."""
    site = get_object_or_404(Site.objects.select_related("site_type", "default_unit"), pk=pk)
    items = inspections.checklist(site)
    posted = request.method == "POST"
    form = InspectionForm(request.POST if posted else None, request.FILES if posted else None, items=items,
                          initial={"inspection_round": request.GET.get("round")})
    if request.method == "POST" and items and form.is_valid():
        data = form.cleaned_data
        try:
            marks = [inspections.Mark(item=item, verdict=data[f"v_{item.pk}"], note=data[f"n_{item.pk}"],
                                      photos=data[f"p_{item.pk}"] or ()) for item in items]
            inspection = inspections.record_inspection(
                actor=request.user, site=site, marks=marks, note=data["note"],
                inspection_round=data["inspection_round"], issue_now=data["issue_now"],
            )
        except LedgerError as exc:
            form.add_error(None, exc.message)
        else:
            hidden = inspection.inspection_round is not None and inspection.inspection_round.is_hidden
            if not inspection.failed:
                messages.success(request, _("检查已保存：%(n)d 项全部合格。") % {"n": inspection.passed})
            elif hidden:
                messages.success(request, _("检查已保存：%(f)d 项不合格，已登记为问题，暗访批次发布时统一交办。") % {
                    "f": inspection.failed})
            elif data["issue_now"]:
                messages.success(request, _("检查已保存：%(f)d 项不合格，已登记为问题并交办。") % {"f": inspection.failed})
            else:
                messages.success(request, _("检查已保存：%(f)d 项不合格，已登记为问题，待交办。") % {"f": inspection.failed})
            return redirect("inspection_detail", pk=inspection.pk)
    return render(request, "issues/inspection_form.html", {"site": site, "form": form, "items": items},
                  status=400 if form.errors else 200)


@city_wide_required
@require_safe
def inspection_detail(request, pk):
    inspection = get_object_or_404(
        Inspection.objects.select_related("site", "site_type", "inspector", "inspection_round"), pk=pk)
    results = list(inspection.results.select_related("index_item", "index_item__category", "finding",
                                                     "finding__lead_unit").order_by("pk"))
    return render(request, "issues/inspection_detail.html", {"inspection": inspection, "results": results})


@city_wide_required
@require_safe
def inspection_list(request):
    """Recent inspections and the pass rate per site type, over a chosen span."""
    start = _date(request.GET.get("start"))
    end = _date(request.GET.get("end"))
    recent = Inspection.objects.select_related("site", "site_type", "inspector").order_by("-held_at", "-pk")
    if start:
        recent = recent.filter(held_on__gte=start)
    if end:
        recent = recent.filter(held_on__lte=end)
    page = Paginator(recent, 50).get_page(request.GET.get("page"))
    return render(request, "issues/inspection_list.html", {
        "rates": inspections.pass_rates(start=start, end=end), "page": page,
        "start": start, "end": end,
    })


def _date(text):
    try:
        return dt.date.fromisoformat((text or "").strip())
    except ValueError:
        return None


# --- covert rounds ----------------------------------------------------------------------------


@city_wide_required
def round_list(request, draw_form=None):
    form = RoundForm(request.POST if request.method == "POST" and draw_form is None else None)
    if request.method == "POST" and draw_form is None:
        if not access.is_office(request.user):
            raise PermissionDenied(_("只有创文办工作人员可以执行此操作。"))
        if form.is_valid():
            data = form.cleaned_data
            try:
                created = rounds.create_round(actor=request.user, name=data["name"], source=data["source"],
                                              held_on=data["held_on"], is_covert=data["is_covert"],
                                              inspectors=data["inspectors"])
            except LedgerError as exc:
                form.add_error("name", exc.message)
            else:
                messages.success(request, _("督查批次“%(name)s”已建立。") % {"name": created.name})
                return redirect("round_detail", pk=created.pk)
    qs = (InspectionRound.objects.annotate(
        findings_count=Count("findings", filter=~Q(findings__status=FindingStatus.VOID)),
        waiting=Count("findings", filter=Q(findings__status=FindingStatus.REGISTERED)),
    ).order_by("-held_on", "-pk"))
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    return render(request, "issues/round_list.html", {
        "page": page, "form": form, "is_office": access.is_office(request.user),
        "sources": RoundSource.values, "draw_form": draw_form or MockDrawForm(),
    }, status=400 if form.errors or (draw_form is not None and draw_form.errors) else 200)


@office_required
@require_POST
def round_draw(request):
    """Draw a mock-assessment round (模拟测评): N sites per type at random, from a seed."""
    form = MockDrawForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            drawn = mock.draw_mock_round(actor=request.user, name=data["name"], held_on=data["held_on"],
                                         per_type=data["per_type"], seed=data["seed"], inspectors=data["inspectors"])
        except LedgerError as exc:
            form.add_error(exc.field if exc.field in form.fields else "name", exc.message)
        else:
            messages.success(request, _("已抽取 {n} 个点位（种子 {seed}）。").format(
                n=drawn.planned_sites.count(), seed=drawn.draw_seed))
            return redirect("round_detail", pk=drawn.pk)
    return round_list(request, draw_form=form)


@office_required
@require_safe
def round_plan(request, pk):
    """The drawn plan as a Word file, to print and walk."""
    inspection_round = get_object_or_404(InspectionRound, pk=pk)
    if not inspection_round.planned_sites.exists():
        raise Http404(_("这个批次没有抽取点位。"))
    response = HttpResponse(mock.plan_document(inspection_round),
                            content_type="application/vnd.openxmlformats-officedocument.wordprocessingml.document")
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(inspection_round.name + '-抽取方案.docx')}"
    return response


@city_wide_required
@require_safe
def round_detail(request, pk):
    inspection_round = get_object_or_404(InspectionRound, pk=pk)
    findings = list(inspection_round.findings.select_related("lead_unit", "site", "current_notice")
                    .order_by("lead_unit__name", "pk"))
    return render(request, "issues/round_detail.html", {
        "round": inspection_round, "findings": findings, "is_office": access.is_office(request.user),
        "plan": mock.plan_rows(inspection_round),
        "waiting": sum(1 for f in findings if f.status == FindingStatus.REGISTERED),
    })


@office_required
@require_POST
def round_publish(request, pk):
    inspection_round = get_object_or_404(InspectionRound, pk=pk)
    try:
        notices = rounds.publish_round(actor=request.user, round_id=inspection_round.pk)
    except LedgerError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("已发布“%(name)s”，统一交办 %(n)d 个问题，整改时限自今天起算。") % {
            "name": inspection_round.name, "n": len(notices)})
    return redirect("round_detail", pk=inspection_round.pk)


@office_required
@require_safe
def round_circular(request, pk):
    inspection_round = get_object_or_404(InspectionRound, pk=pk)
    if inspection_round.is_hidden:
        messages.error(request, _("暗访批次发布后才能生成通报。"))
        return redirect("round_detail", pk=pk)
    try:
        content = documents.round_circular(inspection_round)
    except ValueError:
        messages.error(request, _("该批次没有问题，无需通报。"))
        return redirect("round_detail", pk=pk)
    response = HttpResponse(
        content, content_type="application/vnd.openxmlformats-officedocument.wordprocessingml.document")
    response["Content-Disposition"] = f'attachment; filename="round-{inspection_round.pk}-circular.docx"'
    return response


# --- receipts ---------------------------------------------------------------------------------


@city_wide_required
@require_safe
def receipt_list(request):
    """Notices not yet signed for: those past their receipt time first (they have been reminded)."""
    now = timezone.now()
    waiting = receipts.unacknowledged(now=now, limit=LIMIT)
    return render(request, "issues/receipts.html", {
        "late": [w for w in waiting if w.due_at <= now], "fresh": [w for w in waiting if w.due_at > now],
        "total": receipts.unacknowledged_count(), "limit": LIMIT, "hours": Policy.current().receipt_reminder_hours,
    })
