"""The ledger (/findings/), a finding's page, logging a finding, and every action on it.

Views validate a form, reach the object through issues.access, call one service, and
redirect with a message. A refused step (LedgerError) re-renders the page with the input
kept and the error next to the field; a missing right is 403; another unit's object is 404.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Count, Prefetch, Q, Sum, prefetch_related_objects
from django.forms import FileField
from django.http import FileResponse, Http404, HttpResponseRedirect, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from issues.core import access
from issues.core.exceptions import LedgerError
from issues.core.lookups import IdList
from issues.core.names import item_labels, unit_labels
from issues.core.pagination import TwoStepPaginator, rows_by_ids
from issues.core.workcalendar import WorkCalendar
from issues.filters import FindingFilter, ledger_items
from issues.findings import extensions, photos, receipts, rounds
from issues.findings import services as svc
from issues.forms import (
    BatchAssignForm,
    DeadlineForm,
    ExtensionDecisionForm,
    ExtensionRequestForm,
    FindingForm,
    IssueNoticeForm,
    RejectForm,
    SubmitFixForm,
    TransferDecisionForm,
    TransferRequestForm,
    VoidForm,
    parse_ids,
)
from issues.models import (
    AuditEvent,
    Decision,
    ExtensionRequest,
    ExtensionStatus,
    Finding,
    FindingStatus,
    LedgerCount,
    Notice,
    NoticeOutcome,
    Photo,
    PhotoKind,
    RoundSource,
    Submission,
    TransferRequest,
    TransferStatus,
)
from issues.views.decorators import office_required

PAGE_SIZES = (20, 50, 100, 200)


# --- the ledger --------------------------------------------------------------------------


def ledger_queryset(user, hidden: list[int] | None = None):
    """The findings a user may see, with what a ledger row shows (`user=None`: every finding)."""
    findings = access.findings_for(user, hidden=hidden) if user is not None else Finding.objects.all()
    return findings.select_related("lead_unit", "site")  # a row shows the unit and the site, nothing more


# The columns a ledger row shows (templatetags.ledger.finding_rows) and the page's own checks read: the
# rows are read with these alone (the unit and site tables' other columns made half of reading them)
ROW_FIELDS = ("number", "found_on", "description", "site__name", "address", "lead_unit__name", "status",
              "deadline", "miss_count", "deduction", "relapse_of")


def kept_status_counts(filterset: FindingFilter, user, narrowing: set[str], hidden: list[int]) -> dict[str, int] | None:
    """The status tabs' counts from LedgerCount, when only the units narrow the page (the ledger as it
    opens, a unit's or a district's); None when other filters need a count of the rows."""
    if narrowing - {"unit", "lead_unit"}:
        return None
    scope = access.visible_unit_ids(user)
    unit_user = scope is not None
    if unit_user and hidden:
        return None  # a covert round's findings are left out of a unit's ledger: count the rows
    chosen = filterset.form.cleaned_data if narrowing else {}
    for name in narrowing:
        units = filterset.subtree(chosen["unit"])[0] if name == "unit" else {chosen["lead_unit"]}
        scope = units if scope is None else scope & units
    counts = LedgerCount.objects.all()
    if scope is not None:
        counts = counts.filter(unit_id__in_ids=IdList(scope))
    if unit_user:
        counts = counts.filter(noticed=True)  # a unit sees a finding once a notice made it its own
    return dict(counts.values("status").annotate(n=Sum("n")).values_list("status", "n").order_by())


def status_counts_without_status_filter(filterset: FindingFilter, user,
                                        hidden: list[int]) -> list[tuple[str, str, int]]:
    """Counts per status under the page's other filters, for the status tabs: the page's own filter
    set applied again without its status filter (a second filter set would cost its forms again); a
    filter that adds a condition narrows the rows (an unticked box does not). When only the units
    narrow them, the kept counts; else a count of the rows."""
    base = access.findings_for(user, hidden=hidden).order_by()
    narrowing = set()
    if filterset.is_bound and filterset.is_valid():
        for name, value in filterset.form.cleaned_data.items():
            if name not in ("status", "o"):
                before = len(base.query.where.children)
                base = filterset.filters[name].filter(base, value)
                if len(base.query.where.children) > before:
                    narrowing.add(name)
    kept = kept_status_counts(filterset, user, narrowing, hidden)
    if kept is not None:
        return [(value, label, kept.get(value, 0)) for value, label in FindingStatus.choices]
    # the closed (most of a ledger) are counted as what is left of the total
    others = [status for status in FindingStatus.values if status != FindingStatus.CLOSED]
    if narrowing:
        # the filters decide which rows are read: one pass over them counts all and each other status,
        # counted by the status, which the indexes hold (on PostgreSQL a count of the id reads the table)
        counts = base.aggregate(all=Count("status"), **{s: Count("status", filter=Q(status=s)) for s in others})
        total = counts.pop("all")
    else:
        # one count per status that stays small, each from the status index: grouping half a million
        # findings by status would read every one of them
        counts = {status: base.filter(status=status).count() for status in others}
        total = base.count()
    counts[FindingStatus.CLOSED] = total - sum(counts.values())
    return [(value, label, counts.get(value, 0)) for value, label in FindingStatus.choices]


@login_required
@require_safe
def ledger(request):
    return render(request, "issues/ledger.html", ledger_context(request))


def ledger_context(request) -> dict:
    user = request.user
    today = timezone.localdate()
    # the covert rounds a unit may not see yet, read once for the rows and the tabs
    hidden = access.hidden_from(user)
    qs = ledger_queryset(user, hidden)
    if not request.GET.get("o"):
        qs = qs.order_by("-found_on", "-pk")
    try:
        per_page = int(request.GET.get("per_page", 50))
    except ValueError:
        per_page = 50
    per_page = per_page if per_page in PAGE_SIZES else 50
    filterset = FindingFilter(request.GET or None, queryset=qs, user=user, today=today)
    valid = not filterset.is_bound or filterset.is_valid()
    rows = (filterset.qs if filterset.is_bound else qs) if valid else qs.none()
    tabs = status_counts_without_status_filter(filterset, user, hidden)
    paginator = TwoStepPaginator(rows, per_page, rows=rows_by_ids(ledger_queryset(None).only(*ROW_FIELDS)))
    if valid:
        # the page's findings are the tabs' findings of the chosen statuses: no count of its own
        chosen = set(filterset.form.cleaned_data.get("status") or ()) if filterset.is_bound else set()
        paginator.count = sum(n for value, _label, n in tabs if not chosen or value in chosen)
    page = paginator.get_page(request.GET.get("page"))
    for finding in page.object_list:
        finding.is_overdue = bool(
            finding.deadline and finding.status == FindingStatus.ASSIGNED and finding.deadline < today
        )
    only_unit = None
    if filterset.is_bound and valid and filterset.form.cleaned_data.get("lead_unit"):
        only_unit = access.units_for(user).filter(pk=filterset.form.cleaned_data["lead_unit"]).first()
    query = request.GET.copy()
    query.pop("page", None)
    sort_query = query.copy()
    sort_query.pop("o", None)
    return {
        "filter": filterset,
        "page": page,
        "today": today,
        "status_tabs": tabs,
        "current_status": request.GET.getlist("status"),
        "query": query.urlencode(),
        "sort_query": sort_query.urlencode(),
        "current_order": request.GET.get("o", ""),
        "per_page": per_page,
        "page_sizes": PAGE_SIZES,
        "is_office": access.is_office(user),
        "batch_form": BatchAssignForm(),
        "with_checks": access.is_office(user) and any(f.status == FindingStatus.REGISTERED for f in page.object_list),
        "only_unit": only_unit,
    }


@login_required
@require_safe
def filter_options(request, kind):
    """The labels a filter's search box offers (forms.Picker), as a JSON list: the units this user
    sees, or the index items. Fetched once when the box is first used; kept by the browser a while."""
    if kind == "units":
        labels = unit_labels(access.units_for(request.user))
    elif kind == "items":
        labels = item_labels(ledger_items())
    else:
        raise Http404
    response = JsonResponse(list(labels.values()), safe=False, json_dumps_params={"ensure_ascii": False})
    response["Cache-Control"] = "private, max-age=300"
    return response


@office_required
@require_POST
def batch_assign(request):
    """Issue the first notice of many registered findings at once: all or nothing."""
    form = BatchAssignForm(request.POST)
    ids = parse_ids(",".join(request.POST.getlist("ids")))
    back = request.POST.get("next") or reverse("ledger")
    if not url_is_local(back):
        back = reverse("ledger")
    if not form.is_valid() or not ids:
        messages.error(request, _("请先勾选要交办的问题。"))
        return HttpResponseRedirect(back)
    today = timezone.localdate()
    try:
        with transaction.atomic():
            for pk in ids:
                access.get_finding_for_user(request.user, pk, write=True)
                svc.issue_notice(
                    actor=request.user, finding_id=pk, issued_on=today,
                    deadline=form.cleaned_data["deadline"], working_days=form.cleaned_data["working_days"],
                )
    except LedgerError as exc:
        messages.error(request, _("批量交办未完成，没有任何问题被交办：%(error)s") % {"error": exc.message})
        return HttpResponseRedirect(back)
    messages.success(request, _("已交办 %(n)d 个问题。") % {"n": len(ids)})
    return HttpResponseRedirect(back)


def url_is_local(url: str) -> bool:
    return url.startswith("/") and not url.startswith("//")


# --- a finding's page --------------------------------------------------------------------


def detail_context(request, finding: Finding, **forms) -> dict:
    user = request.user
    today = timezone.localdate()
    notices = list(
        Notice.objects.filter(finding=finding).select_related("unit").prefetch_related(
            # the people are prefetched, not joined: a join to the user table let SQLite start from the
            # users and read every submission the office ever reviewed
            Prefetch("submissions", queryset=Submission.objects.prefetch_related("photos", "submitted_by",
                                                                                   "decided_by"))
        ).order_by("seq")
    )
    # the current notice is one of them: take it from the list rather than read it again
    current = next((n for n in notices if n.pk == finding.current_notice_id), None)
    if current is not None:
        finding.current_notice = current
    pending = next(
        (s for n in notices for s in n.submissions.all() if s.decision == Decision.PENDING), None
    )
    transfer = finding.transfers.filter(status=TransferStatus.PENDING).select_related("to_unit", "from_unit").first()
    days_left = None
    if current is not None and current.outcome == NoticeOutcome.OPEN:
        low, high = min(today, current.deadline), max(today, current.deadline)
        days_left = WorkCalendar.load(low, high).working_days_between(today, current.deadline)
    extension_list = list(
        ExtensionRequest.objects.filter(notice__finding=finding)
        .select_related("notice", "requested_by", "decided_by").order_by("requested_at", "pk")
    )
    pending_extension = next((e for e in extension_list if e.status == ExtensionStatus.PENDING), None)
    can = access.finding_rights(user, finding, current=current, pending=pending, transfer=transfer,
                                pending_extension=pending_extension, today=today)
    before_photos = [p for p in finding.photos.all() if p.kind == PhotoKind.BEFORE]
    fixes = fixes_latest_first(notices)
    photos.flag_after_photos(finding, [p for fix in fixes for p in fix.after_photos], before_photos)
    public = {}
    if access.is_office(user):  # the reports it came from and the exposure board: the office's business
        exposure = finding.exposures.filter(withdrawn_at__isnull=True).prefetch_related("photos").first()
        public = {
            "exposure": exposure, "exposed_ids": {p.pk for p in exposure.photos.all()} if exposure else set(),
            "all_photos": list(finding.photos.all()),
            "citizen_reports": list(finding.citizen_reports.only("pk", "code", "status", "feedback")),
        }
    return {
        **public,
        "finding": finding,
        "notices": notices,
        "current": current,
        "days_left": days_left,
        "is_overdue": bool(current and finding.status == FindingStatus.ASSIGNED and current.deadline < today),
        "pending": pending,
        "transfer": transfer,
        "before_photos": before_photos,
        "fixes": fixes,
        "events": AuditEvent.objects.filter(finding=finding).select_related("actor").order_by("pk"),
        "sanctions": finding.sanctions.select_related("rule", "unit").all(),
        "co_units": list(finding.co_units.all()),
        "can": can,
        "assign_form": forms.get("assign_form") or IssueNoticeForm(),
        "deadline_form": forms.get("deadline_form") or DeadlineForm(initial={"deadline": current.deadline if current else None}),
        "submit_form": forms.get("submit_form") or SubmitFixForm(),
        "reject_form": forms.get("reject_form") or RejectForm(),
        "transfer_form": forms.get("transfer_form") or TransferRequestForm(),
        "decision_form": forms.get("decision_form") or TransferDecisionForm(
            initial={"to_unit": transfer.to_unit_id if transfer else None}),
        "void_form": forms.get("void_form") or VoidForm(),
        "extensions": extension_list,
        "pending_extension": pending_extension,
        "extension_form": forms.get("extension_form") or ExtensionRequestForm(),
        "extension_decision_form": forms.get("extension_decision_form") or ExtensionDecisionForm(
            initial={"approve": "1"}),
        "error": forms.get("error"),
        "today": today,
    }


def fixes_latest_first(notices) -> list[Submission]:
    """Every fix reported (整改反馈) with its photos as `after_photos`, the latest first: a rejected fix's
    photos stay beside its outcome and reason, never as if they were the current ones."""
    fixes = sorted((sub for n in notices for sub in n.submissions.all()),
                   key=lambda sub: (sub.submitted_at, sub.pk), reverse=True)
    seq = {n.pk: n.seq for n in notices}
    for fix in fixes:
        fix.after_photos = list(fix.photos.all())
        fix.notice_seq = seq[fix.notice_id]
    return fixes


def _finding(request, pk) -> Finding:
    """The finding with what its page shows, read with the access check. The rarer relations are
    prefetched and the current notice comes with the notices (detail_context): PostgreSQL took
    longer (2-4 ms) to plan a join of ten tables than to run it."""
    finding = access.get_finding_for_user(request.user, pk,
                                          related=("lead_unit", "site__site_type", "index_item__category"))
    prefetch_related_objects([finding], "inspection_round", "relapse_of", "photos")
    return finding


@login_required
@require_safe
def finding_detail(request, pk):
    finding = _finding(request, pk)
    return render(request, "issues/finding_detail.html",
                  detail_context(request, finding, **_failed_form(request, finding)))


# Forms sent with files: when one fails, the browser is sent back to the finding's page (so a reload
# does not post the files again), and the form comes back there with what was typed and the errors.
FORMS_WITH_FILES = {"submit_form": SubmitFixForm}


def _keep_failed_form(request, finding, form_key: str, form):
    request.session["failed_form"] = {
        "finding": finding.pk, "key": form_key,
        "data": {name: form.data.get(name, "") for name, field in form.fields.items()
                 if not isinstance(field, FileField)},
        "errors": {name: [str(e) for e in errors] for name, errors in form.errors.items()},
    }
    return HttpResponseRedirect(reverse("finding_detail", args=[finding.pk]) + "#" + form_key.removesuffix("_form"))


def _failed_form(request, finding) -> dict:
    kept = request.session.get("failed_form")
    if not kept or kept["finding"] != finding.pk or kept["key"] not in FORMS_WITH_FILES:
        return {}
    del request.session["failed_form"]
    form = FORMS_WITH_FILES[kept["key"]](data=kept["data"])
    form.full_clean()
    form.errors.clear()  # the errors of the files it was sent with, not of this copy without them
    for name, messages_ in kept["errors"].items():
        for message in messages_:
            form.add_error(None if name == "__all__" else name, message)
    return {kept["key"]: form}


def _rerender(request, finding, status=400, **forms):
    finding = _finding(request, finding.pk)
    return render(request, "issues/finding_detail.html", detail_context(request, finding, **forms), status=status)


def _done(request, finding, message):
    messages.success(request, message)
    return redirect("finding_detail", pk=finding.pk)


def _act(request, finding, form, form_key: str, action, success, error_field=None):
    """Validate the form, call the service; re-render with the input and the error, or redirect."""
    failed = _keep_failed_form if form_key in FORMS_WITH_FILES else (
        lambda request, finding, form_key, form: _rerender(request, finding, **{form_key: form}))
    if not form.is_valid():
        return failed(request, finding, form_key, form)
    try:
        result = action(form.cleaned_data)
    except LedgerError as exc:
        field = exc.field if exc.field in form.fields else error_field
        form.add_error(field, exc.message)
        return failed(request, finding, form_key, form)
    return _done(request, finding, success(result, form.cleaned_data))


@office_required
@require_POST
def finding_assign(request, pk):
    finding = access.get_finding_for_user(request.user, pk, write=True)
    return _act(
        request, finding, IssueNoticeForm(request.POST), "assign_form",
        lambda data: svc.issue_notice(actor=request.user, finding_id=finding.pk, deadline=data["deadline"],
                                      requirement=data["requirement"]),
        lambda notice, data: _("已交办 %(unit)s，整改时限 %(deadline)s。") % {
            "unit": notice.unit.name, "deadline": notice.deadline.isoformat()},
    )


@office_required
@require_POST
def finding_deadline(request, pk):
    finding = access.get_finding_for_user(request.user, pk, write=True)
    if finding.current_notice_id is None:
        raise PermissionDenied(_("该问题还没有整改通知。"))
    return _act(
        request, finding, DeadlineForm(request.POST), "deadline_form",
        lambda data: svc.change_deadline(actor=request.user, notice_id=finding.current_notice_id,
                                         deadline=data["deadline"], reason=data["reason"]),
        lambda notice, data: _("整改时限已改为 %(d)s。") % {"d": notice.deadline.isoformat()},
        error_field="deadline",
    )


def _finding_for_its_unit(request, pk) -> Finding:
    """The finding, for someone who answers for the unit of its current notice: 404 when it is not theirs
    to see, 403 when they may see it but not act for that unit, before any form is read."""
    finding = access.get_finding_for_user(request.user, pk)
    if finding.current_notice_id is None:
        raise PermissionDenied(_("该问题还没有整改通知。"))
    access.ensure_acts_for_unit(request.user, finding.current_notice.unit)
    return finding


@login_required
@require_POST
def finding_submit(request, pk):
    finding = _finding_for_its_unit(request, pk)
    return _act(
        request, finding, SubmitFixForm(request.POST, request.FILES), "submit_form",
        lambda data: svc.submit_fix(actor=request.user, notice_id=finding.current_notice_id, note=data["note"],
                                    photos=data["photos"]),
        lambda sub, data: _("整改反馈已提交，等待创文办复核。"),
    )


@login_required
@require_POST
def finding_transfer(request, pk):
    finding = _finding_for_its_unit(request, pk)
    return _act(
        request, finding, TransferRequestForm(request.POST), "transfer_form",
        lambda data: svc.request_transfer(actor=request.user, finding_id=finding.pk, reason=data["reason"],
                                          to_unit=data["to_unit"]),
        lambda transfer, data: _("转办申请已提交，等待创文办审批。"),
    )


@login_required
@require_POST
def finding_acknowledge(request, pk):
    """The unit signs for the current notice (签收)."""
    finding = _finding_for_its_unit(request, pk)
    try:
        notice = receipts.acknowledge(actor=request.user, notice_id=finding.current_notice_id)
    except LedgerError as exc:
        messages.error(request, exc.message)
        return _back_to(request, finding)
    messages.success(request, _("已签收第%(seq)d次整改通知（%(at)s）。") % {
        "seq": notice.seq, "at": timezone.localtime(notice.acknowledged_at).strftime("%Y-%m-%d %H:%M")})
    return _back_to(request, finding)


@login_required
@require_POST
def finding_extension(request, pk):
    """The unit asks for a later deadline (延期申请)."""
    finding = _finding_for_its_unit(request, pk)
    return _act(
        request, finding, ExtensionRequestForm(request.POST), "extension_form",
        lambda data: extensions.request_extension(actor=request.user, notice_id=finding.current_notice_id,
                                                  deadline=data["deadline"], reason=data["reason"]),
        lambda ext, data: _("延期申请已提交（申请延至 %(d)s），等待创文办审批；审批前原时限仍有效。") % {
            "d": ext.requested_deadline.isoformat()},
        error_field="deadline",
    )


@office_required
@require_POST
def extension_decide(request, pk):
    extension = get_object_or_404(ExtensionRequest.objects.select_related("notice"), pk=pk)
    finding = access.get_finding_for_user(request.user, extension.notice.finding_id, write=True)

    def success(ext, data):
        if data["approve"]:
            return _("已批准延期，整改时限延至 %(d)s。") % {"d": ext.granted_deadline.isoformat()}
        return _("已不批准延期，原整改时限 %(d)s 不变。") % {"d": ext.old_deadline.isoformat()}

    return _decide(
        request, finding, ExtensionDecisionForm(request.POST), "extension_decision_form",
        lambda data: extensions.decide_extension(actor=request.user, extension_id=extension.pk,
                                                 approve=data["approve"], reason=data["reason"],
                                                 deadline=data["deadline"]),
        success,
    )


@office_required
@require_POST
def finding_void(request, pk):
    finding = access.get_finding_for_user(request.user, pk, write=True)
    return _act(
        request, finding, VoidForm(request.POST), "void_form",
        lambda data: svc.void_finding(actor=request.user, finding_id=finding.pk, reason=data["reason"]),
        lambda result, data: _("问题已作废。"),
    )


def _back_to(request, finding):
    target = request.POST.get("next")
    if target and url_is_local(target):
        return HttpResponseRedirect(target)
    return redirect("finding_detail", pk=finding.pk)


@office_required
@require_POST
def submission_approve(request, pk):
    sub = get_object_or_404(Submission.objects.select_related("notice"), pk=pk)
    finding = access.get_finding_for_user(request.user, sub.notice.finding_id, write=True)
    try:
        svc.approve_submission(actor=request.user, submission_id=sub.pk)
    except LedgerError as exc:
        messages.error(request, exc.message)
        return _back_to(request, finding)
    messages.success(request, _("问题 %(n)s 复核通过，已销号。") % {"n": finding.display_number})
    return _back_to(request, finding)


@office_required
@require_POST
def submission_reject(request, pk):
    sub = get_object_or_404(Submission.objects.select_related("notice"), pk=pk)
    finding = access.get_finding_for_user(request.user, sub.notice.finding_id, write=True)
    form = RejectForm(request.POST)
    if not form.is_valid():
        if request.POST.get("next"):
            messages.error(request, _("退回必须填写原因。"))
            return _back_to(request, finding)
        return _rerender(request, finding, reject_form=form)
    try:
        nxt = svc.reject_submission(actor=request.user, submission_id=sub.pk, reason=form.cleaned_data["reason"])
    except LedgerError as exc:
        messages.error(request, exc.message)
        return _back_to(request, finding)
    messages.success(request, _("已退回问题 %(n)s，并下发第%(seq)d次整改通知，时限 %(d)s。") % {
        "n": finding.display_number, "seq": nxt.seq, "d": nxt.deadline.isoformat()})
    return _back_to(request, finding)


def _decide(request, finding, form, form_key: str, action, success):
    """A decision posted from the finding's page, or from the review queue (with `next`): a refusal
    goes back to the queue as a message, or beside the field on the finding's page."""
    from_queue = bool(request.POST.get("next"))
    if not form.is_valid():
        if from_queue:
            messages.error(request, "；".join(e for errs in form.errors.values() for e in errs))
            return _back_to(request, finding)
        return _rerender(request, finding, **{form_key: form})
    try:
        result = action(form.cleaned_data)
    except LedgerError as exc:
        if from_queue:
            messages.error(request, exc.message)
            return _back_to(request, finding)
        form.add_error(None, exc.message)
        return _rerender(request, finding, **{form_key: form})
    messages.success(request, success(result, form.cleaned_data))
    return _back_to(request, finding)


@office_required
@require_POST
def transfer_decide(request, pk):
    transfer = get_object_or_404(TransferRequest, pk=pk)
    finding = access.get_finding_for_user(request.user, transfer.finding_id, write=True)
    return _decide(
        request, finding, TransferDecisionForm(request.POST), "decision_form",
        lambda data: svc.decide_transfer(actor=request.user, transfer_id=transfer.pk, approve=data["approve"],
                                         reason=data["reason"], to_unit=data["to_unit"], deadline=data["deadline"]),
        lambda result, data: _("已同意转办。") if data["approve"] else _("已不同意转办，原通知继续有效。"),
    )


# --- logging a finding -------------------------------------------------------------------


@office_required
def finding_create(request):
    form = FindingForm(request.POST or None, request.FILES or None, source=rounds.last_source(request.user))
    if request.method == "POST" and form.is_valid():
        try:
            with transaction.atomic():
                finding, hidden = register_from_form(request.user, form)
        except LedgerError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            say_registered(request, finding, form, hidden)
            if request.POST.get("another"):
                return redirect("finding_create")
            return redirect("finding_detail", pk=finding.pk)
    return render(request, "issues/finding_form.html", {"form": form, "sources": RoundSource.values},
                  status=400 if form.errors else 200)


def register_from_form(actor, form: FindingForm, *, extra_photos=()) -> tuple:
    """Register the finding a valid FindingForm describes, and issue its notice when asked (not for
    a covert round before publication); in the caller's transaction. Returns (finding, hidden)."""
    data = form.cleaned_data
    if data["inspection_round"] is None:
        data["inspection_round"] = rounds.round_for_source(actor=actor, source=data["source"], held_on=data["found_on"])
    site = form.site
    if site is None and data["site_name"]:
        site = svc.create_site(actor=actor, name=data["site_name"], site_type=data["new_site_type"],
                               address=data["address"], default_unit=data["lead_unit"])
    finding = svc.register_finding(
        actor=actor, lead_unit=data["lead_unit"], description=data["description"],
        found_on=data["found_on"], site=site, index_item=form.item, co_units=data["co_units"],
        deduction=data["deduction"], severity=data["severity"],
        inspection_round=data["inspection_round"], address=data["address"],
        photos=[*data["photos"], *extra_photos],
    )
    hidden = data["inspection_round"] is not None and data["inspection_round"].is_hidden
    if data["issue_now"] and not hidden:
        svc.issue_notice(actor=actor, finding_id=finding.pk, deadline=data["deadline"], requirement=data["requirement"])
    return finding, hidden


def say_registered(request, finding, form: FindingForm, hidden: bool) -> None:
    finding.refresh_from_db()
    data = form.cleaned_data
    if hidden:
        messages.success(request, _("问题 %(n)s 已登记到暗访批次“%(round)s”，发布该批次时统一交办。") % {
            "n": finding.display_number, "round": data["inspection_round"].name})
    elif data["issue_now"]:
        messages.success(request, _("问题 %(n)s 已登记并交办 %(unit)s，整改时限 %(d)s。") % {
            "n": finding.display_number, "unit": finding.lead_unit.name,
            "d": finding.current_notice.deadline.isoformat()})
    else:
        messages.success(request, _("问题 %(n)s 已登记，待交办。") % {"n": finding.display_number})


# --- photos ------------------------------------------------------------------------------


@login_required
@require_safe
def photo(request, pk, size="display"):
    """A photo, only for users who may see its finding; never from a public media URL."""
    item = get_object_or_404(Photo, pk=pk)
    access.get_finding_for_user(request.user, item.finding_id)
    return photo_file(item, size)


def photo_file(item, size: str, *, original: bool = True, cache: str | None = "private, max-age=86400"):
    """One size of a stored photo (a finding's or a citizen's): the display copy, the thumbnail, or the
    file as uploaded (`original`); 404 for a size it has not. The caller has checked who asks."""
    sizes = {"display": item.display, "thumb": item.thumbnail, **({"original": item.image} if original else {})}
    field = sizes.get(size)
    if not field:
        raise Http404(_("没有这张照片。"))
    content_type = (item.content_type or "application/octet-stream") if size == "original" else "image/jpeg"
    response = FileResponse(field.open("rb"), content_type=content_type)
    if cache:
        response["Cache-Control"] = cache
    if size == "original":
        response["Content-Disposition"] = f'inline; filename="{item.pk}-{item.sha256[:8]}"'
    return response
