"""The public's pages, no login: the report form (随手拍), a report's tracking page, and the exposure
and praise boards. Phone first, Simplified Chinese; nothing here shows a phone number, a person's
name or a covert round's finding before the round is published.

The boards are rendered without the request (no session, no cookie read), so they can be kept by
a browser or a proxy for a few minutes.
"""

from __future__ import annotations

import segno
from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_POST, require_safe

from issues.core.exceptions import LedgerError
from issues.forms import ReportForm
from issues.models import CitizenReport, Photo, Site
from issues.reports import reads
from issues.reports import services as report_services
from issues.views.ledger import photo_file

PUBLIC_MAX_AGE = 300  # seconds a board may be kept by a browser or proxy
EXPOSURE_PAGE_SIZE = 20


def client_ip(request) -> str | None:
    return request.META.get("REMOTE_ADDR") or None


def report_form(request):
    """随手拍: from the second report of a session, a captcha; the limits of services.submit_report."""
    made = request.session.get("reports_made", 0)
    form = ReportForm(request.POST or None, request.FILES or None, categories=reads.categories(),
                      with_captcha=made >= 1)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            report = report_services.submit_report(
                description=data["description"], photos=data["photos"], site=form.site,
                address=data["address"], latitude=data["latitude"], longitude=data["longitude"],
                phone=data["phone"], client_ip=client_ip(request), **reads.resolve_category(data["category"]),
            )
        except report_services.ReportRefused as exc:
            return render(request, "public/refused.html", {"message": exc.message}, status=exc.status)
        except LedgerError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            request.session["reports_made"] = made + 1
            messages.success(request, _("提交成功，感谢您的监督！请记下查询码，或保存本页。"))
            return redirect("report_track", code=report.code)
    return render(request, "public/report_form.html", {"form": form}, status=400 if form.errors else 200)


@require_safe
def report_lookup(request):
    """The form's "查询进度" box: on to the tracking page of the code typed."""
    code = report_services.normal_code(request.GET.get("code", ""))
    if code and CitizenReport.objects.filter(code=code).exists():
        return redirect("report_track", code=code)
    return render(request, "public/refused.html", {
        "title": _("没有找到"), "message": _("没有查询码为“%(code)s”的随手拍，请核对后重新输入。") % {"code": code}},
        status=404)


@require_safe
@cache_control(public=True, max_age=PUBLIC_MAX_AGE)
def site_search(request):
    """Known sites by name, for the report form's suggestions (names and addresses only)."""
    q = request.GET.get("q", "").strip()
    sites = Site.objects.filter(is_active=True)
    if q:
        sites = sites.filter(Q(name__icontains=q) | Q(address__icontains=q))
    return JsonResponse({"results": [{"name": name, "address": address} for name, address in
                                     sites.order_by("name").values_list("name", "address")[:20]]})


def _report(code: str) -> CitizenReport:
    report = (CitizenReport.objects.select_related("site", "site_type", "category")
              .filter(code=report_services.normal_code(code)).first())
    if report is None:
        raise Http404(_("没有这个查询码。"))
    return report


def qr_image(url: str) -> str:
    """A QR code of the address, drawn here (no outside service), as an SVG data URI for an <img>: the
    template escapes it like any other value."""
    return segno.make(url, error="m").svg_data_uri(scale=4, border=2)


@require_safe
def report_track(request, code):
    """The reporter's page: each step, the reply, and "fixed" / "not fixed" for a week after closure."""
    report = _report(code)
    finding = reads.visible_finding(report)
    url = request.build_absolute_uri(reverse("report_track", args=[report.code]))
    return render(request, "public/report_track.html", {
        "report": report, "steps": reads.public_steps(report, finding), "finding": finding,
        "category": reads.category_name(report), "photo_count": report.photos.count(),
        "can_answer": report_services.feedback_open(report, finding, timezone.localdate()),
        "feedback_days": settings.REPORT_FEEDBACK_DAYS, "url": url, "qr": qr_image(url),
    })


@require_POST
def report_feedback(request, code):
    report = _report(code)
    try:
        report_services.record_feedback(report_id=report.pk, fixed=request.POST.get("fixed") == "1",
                                        comment=request.POST.get("comment", ""))
    except LedgerError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("感谢您的评价！"))
    return redirect("report_track", code=report.code)


def _board(template: str, context: dict) -> HttpResponse:
    """A public board: rendered without the request, so it reads no cookie and may be cached."""
    return HttpResponse(render_to_string(template, context))


@require_safe
@cache_control(public=True, max_age=PUBLIC_MAX_AGE)
def exposure_board(request):
    """曝光台: what the office chose to expose, newest first, with the photos it chose."""
    page = Paginator(reads.exposures(), EXPOSURE_PAGE_SIZE).get_page(request.GET.get("page"))
    return _board("public/exposure.html", {"page": page, "today": timezone.localdate()})


@require_safe
@cache_control(public=True, max_age=PUBLIC_MAX_AGE)
def praise_board(request):
    """点赞榜: the units with the best on-time rates, this month and last."""
    return _board("public/praise.html", {"boards": reads.praise(timezone.localdate()),
                                         "min_due": reads.PRAISE_MIN_DUE})


@require_safe
@cache_control(public=True, max_age=PUBLIC_MAX_AGE)
def public_photo(request, pk, size="display"):
    """A photo the exposure board shows: its display copy or thumbnail (re-encoded, no EXIF)."""
    if not reads.photo_is_exposed(pk):
        raise Http404(_("没有这张照片。"))
    return photo_file(Photo.objects.get(pk=pk), size, original=False, cache=None)  # the decorator's public caching
