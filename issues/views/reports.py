"""The office's side of citizen reports: the triage queue, a report's page with its suggested
duplicates, accept / merge / decline (one or a batch), the reporter's photos, and the exposure
board's expose and withdraw from a finding's page."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Prefetch
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from issues.core.exceptions import LedgerError
from issues.core.workcalendar import WorkCalendar
from issues.forms import FindingForm, TriageForm
from issues.models import (
    AWAITING_TRIAGE,
    AuditEvent,
    CitizenReport,
    Finding,
    ReplyTemplate,
    ReportPhoto,
    RoundSource,
)
from issues.reports import reads
from issues.reports import services as report_services
from issues.views.decorators import office_required
from issues.views.ledger import photo_file, register_from_form, say_registered

QUEUE_PAGE_SIZE = 30


def _with_days_left(reports: list, today) -> None:
    """Each waiting report's working days left of its triage time (negative: past it)."""
    waiting = [r for r in reports if r.status in AWAITING_TRIAGE]
    if not waiting:
        return
    days = [today] + [r.triage_due for r in waiting]
    cal = WorkCalendar.load(min(days), max(days))
    for report in waiting:
        report.is_late = report.triage_due < today
        days = cal.working_days_between(min(today, report.triage_due), max(today, report.triage_due))
        report.days_left, report.days_late = (0, days) if report.is_late else (days, 0)


def _templates() -> dict:
    """The reply templates' texts by id, for the page's script to fill the reply box (editable)."""
    return {str(pk): text for pk, text in ReplyTemplate.objects.filter(is_active=True).values_list("pk", "text")}


@office_required
@require_safe
def report_queue(request):
    """The triage queue, oldest first (待受理 and 未整改 answers); the handled ones under their own tab."""
    tab = request.GET.get("tab", "waiting")
    reports = CitizenReport.objects.select_related("site", "site_type", "category").prefetch_related(
        Prefetch("photos", queryset=ReportPhoto.objects.only("pk", "report_id", "gps_latitude", "gps_longitude")))
    if tab == "handled":
        reports = reports.exclude(status__in=AWAITING_TRIAGE).order_by("-triaged_at", "-pk")
    else:
        tab = "waiting"
        reports = reports.filter(status__in=AWAITING_TRIAGE).order_by("received_at", "pk")
    page = Paginator(reports, QUEUE_PAGE_SIZE).get_page(request.GET.get("page"))
    rows = list(page.object_list)
    _with_days_left(rows, timezone.localdate())
    for report in rows:  # the place on the phone's map app, from the report, its photos or its site
        place = reads.place_of(report, report.photos.all())
        report.map_links = reads.map_links(*place, report.site.name if report.site_id else report.address) if place else []
    waiting = CitizenReport.objects.filter(status__in=AWAITING_TRIAGE).count()
    return render(request, "issues/report_queue.html", {
        "page": page, "reports": rows, "tab": tab, "waiting": waiting,
        "decline_form": TriageForm(use=ReplyTemplate.Use.DECLINE), "templates": _templates(),
    })


def _report_page(request, report, *, merge_form=None, decline_form=None, status=200):
    _with_days_left([report], timezone.localdate())
    photos = list(report.photos.all())
    place = reads.place_of(report, photos)
    return render(request, "issues/report_detail.html", {
        "report": report, "photos": photos, "category": reads.category_name(report), "place": place,
        "map_links": reads.map_links(*place, report.site.name if report.site_id else report.address) if place else [],
        "suggestions": reads.duplicate_suggestions(report, photos=photos) if report.status in AWAITING_TRIAGE else [],
        "steps": list(report.steps.all()),
        "merge_form": merge_form or TriageForm(use=ReplyTemplate.Use.MERGE),
        "decline_form": decline_form or TriageForm(use=ReplyTemplate.Use.DECLINE),
        "templates": _templates(),
        "audit": AuditEvent.objects.filter(object_type="citizenreport", object_id=str(report.pk))
        .select_related("actor"),
    }, status=status)


def _get_report(pk) -> CitizenReport:
    return get_object_or_404(
        CitizenReport.objects.select_related("site__site_type", "site_type", "category", "finding", "api_client"),
        pk=pk)


@office_required
@require_safe
def report_detail(request, pk):
    return _report_page(request, _get_report(pk))


@office_required
def report_accept(request, pk):
    """Accept: the new-finding form filled from the report; its photos become the before-photos."""
    report = _get_report(pk)
    if report.status not in AWAITING_TRIAGE:
        messages.error(request, _("随手拍 %(code)s 已处理（%(status)s）。") % {
            "code": report.code, "status": report.get_status_display()})
        return redirect("report_detail", pk=report.pk)
    initial = {
        "description": report.description, "site_name": report.site.name if report.site_id else "",
        "address": report.address, "found_on": timezone.localtime(report.received_at).date(),
        "source": RoundSource.CITIZEN,
    }
    if report.site_id and report.site.default_unit_id:
        initial["lead_unit"] = report.site.default_unit_id
    form = FindingForm(request.POST or None, request.FILES or None, source=RoundSource.CITIZEN, initial=initial)
    form.fields["photos"].required = False  # the reporter's photos come along
    if request.method == "POST" and form.is_valid():
        try:
            with transaction.atomic():
                finding, hidden = register_from_form(request.user, form,
                                                     extra_photos=report_services.report_uploads(report))
                report_services.accept_report(actor=request.user, report_id=report.pk, finding=finding)
        except LedgerError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            say_registered(request, finding, form, hidden)
            return redirect("finding_detail", pk=finding.pk)
    return render(request, "issues/finding_form.html", {
        "form": form, "sources": RoundSource.values, "report": report, "report_photos": list(report.photos.all()),
    }, status=400 if form.errors else 200)


@office_required
@require_POST
def report_merge(request, pk):
    report = _get_report(pk)
    form = TriageForm(request.POST, use=ReplyTemplate.Use.MERGE)
    if form.is_valid():
        if form.cleaned_data["finding"] is None:
            form.add_error("finding", _("请选择要合并到的问题。"))
        else:
            try:
                report_services.merge_report(actor=request.user, report_id=report.pk,
                                             finding_id=form.cleaned_data["finding"],
                                             reply=form.cleaned_data["reply"], note=form.cleaned_data["note"])
            except LedgerError as exc:
                form.add_error(exc.field if exc.field in form.fields else None, exc.message)
            else:
                messages.success(request, _("随手拍 %(code)s 已合并。") % {"code": report.code})
                return redirect("reports")
    return _report_page(request, report, merge_form=form, status=400)


@office_required
@require_POST
def report_decline(request):
    """Decline one report (from its page) or a batch ticked in the queue, with the one reply."""
    ids = [int(value) for value in request.POST.getlist("report") if value.isdigit()]
    form = TriageForm(request.POST, use=ReplyTemplate.Use.DECLINE)
    if form.is_valid() and ids:
        try:
            declined = report_services.decline_reports(actor=request.user, report_ids=ids,
                                                       reply=form.cleaned_data["reply"], note=form.cleaned_data["note"])
        except LedgerError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("已答复 %(n)d 条随手拍：不予受理。") % {"n": len(declined)})
            return redirect("reports")
    elif not ids:
        messages.error(request, _("请至少选择一条随手拍。"))
    else:
        messages.error(request, " ".join(str(e) for errors in form.errors.values() for e in errors))
    if len(ids) == 1:
        return _report_page(request, _get_report(ids[0]), decline_form=form, status=400)
    return redirect("reports")


@office_required
@require_safe
def report_photo(request, pk, size="display"):
    """A reporter's photo, for the office only (the original keeps its EXIF place and time)."""
    return photo_file(get_object_or_404(ReportPhoto, pk=pk), size)


@office_required
@require_POST
def finding_expose(request, pk):
    """Put the finding on the exposure board with the ticked photos (again: change the photos)."""
    get_object_or_404(Finding, pk=pk)
    ids = [int(value) for value in request.POST.getlist("photo") if value.isdigit()]
    try:
        report_services.expose_finding(actor=request.user, finding_id=pk, photo_ids=ids)
    except LedgerError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("已放上曝光台（%(n)d 张照片）。") % {"n": len(ids)})
    return redirect("finding_detail", pk=pk)


@office_required
@require_POST
def finding_withdraw_exposure(request, pk):
    get_object_or_404(Finding, pk=pk)
    try:
        report_services.withdraw_exposure(actor=request.user, finding_id=pk)
    except LedgerError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("已从曝光台撤下。"))
    return redirect("finding_detail", pk=pk)

