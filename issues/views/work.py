"""The unit's inbox and the office's review queue."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Case, IntegerField, Prefetch, Q, Value, When
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from issues.assessment import field
from issues.core import access
from issues.core.workcalendar import WorkCalendar
from issues.findings import photos, receipts
from issues.forms import ExtensionDecisionForm, RejectForm, TransferDecisionForm
from issues.materials import reads as material_reads
from issues.models import (
    AssessmentEdition,
    Decision,
    ExtensionRequest,
    ExtensionStatus,
    FindingStatus,
    Photo,
    PhotoKind,
    Responsibility,
    Submission,
    TransferRequest,
    TransferStatus,
)
from issues.rankings import reads as selectors
from issues.views.decorators import office_required


@login_required
@require_safe
def inbox(request):
    """The unit's open notices: overdue first (in red), then by deadline, with working days left."""
    user = request.user
    if not (access.is_unit_user(user) or access.is_office(user)):
        raise PermissionDenied(_("待办只对责任单位和创文办开放。"))
    today = timezone.localdate()
    hidden = access.hidden_from(user)  # read once for the list and the overdue count
    open_notices = selectors.open_notices_for(user, hidden=hidden)
    page = Paginator(
        open_notices.annotate(
            overdue_first=Case(
                When(deadline__lt=today, finding__status=FindingStatus.ASSIGNED, then=Value(0)),
                default=Value(1), output_field=IntegerField(),
            )
        )
        .only(*INBOX_FIELDS)
        .order_by("overdue_first", "deadline", "pk"),
        INBOX_PAGE_SIZE,
    ).get_page(request.GET.get("page"))
    notices = list(page.object_list)
    if notices:
        cal = WorkCalendar.load(min([today] + [n.deadline for n in notices]), max([today] + [n.deadline for n in notices]))
        for notice in notices:
            notice.days_left = cal.working_days_between(today, notice.deadline)
            notice.waiting_review = notice.finding.status == FindingStatus.SUBMITTED
            notice.is_overdue = notice.deadline < today and not notice.waiting_review
            notice.overdue_days = (today - notice.deadline).days
    return render(request, "issues/inbox.html", {
        **(_assessment_of(user, today) if access.is_unit_user(user) else {}),
        "notices": notices,
        "page": page,
        "today": today,
        "unit": access.unit_of(user),
        # the status named once: with both conditions on it PostgreSQL expected a few dozen findings
        # instead of thousands and walked them all
        "overdue": selectors.open_notices_for(user, statuses=[FindingStatus.ASSIGNED], hidden=hidden).filter(
            deadline__lt=today).count(),
    })


def _assessment_of(user, today) -> dict:
    """A unit's part in the assessment: its materials by state, and the field rates of the items it
    answers for (lead or co-unit in the responsibility matrix)."""
    edition = AssessmentEdition.current()
    ids = access.visible_unit_ids(user) or frozenset()
    field_rates = None
    if edition is not None and ids:
        answers = Responsibility.objects.filter(Q(lead_unit_id__in=ids) | Q(co_units__id__in=ids)).values("item_id")
        part = field.field_part(edition, today, items=answers)
        field_rates = part if part.items else None
    return {"materials": material_reads.unit_summary(user, today), "field_rates": field_rates}


INBOX_PAGE_SIZE = 50
# what the inbox shows of a notice, its finding, site and unit: the rows are read with these alone
INBOX_FIELDS = ("deadline", "seq", "acknowledged_at", "unit__name", "finding__number", "finding__address",
                "finding__description", "finding__site__name", "finding__status")
REVIEW_PAGE_SIZE = 20  # fixes a page: each shows its photos before and after


@office_required
@require_safe
def review_queue(request):
    """Submissions waiting for review, oldest first, with before and after photos side by side."""
    visible = access.findings_for(request.user).filter(status=FindingStatus.SUBMITTED).values("pk")
    waiting = (
        Submission.objects.filter(decision=Decision.PENDING, notice__finding__in=visible)
        .select_related("notice", "notice__unit", "notice__finding", "notice__finding__site")
        .prefetch_related(
            "photos", "submitted_by",  # prefetched: joined, SQLite may start from the user table
            Prefetch("notice__finding__photos", queryset=Photo.objects.filter(kind=PhotoKind.BEFORE),
                     to_attr="before_photos"),
        )
        .order_by("submitted_at", "pk")
    )
    page = Paginator(waiting, REVIEW_PAGE_SIZE).get_page(request.GET.get("page"))
    submissions = list(page.object_list)
    for sub in submissions:
        sub.late = sub.submitted_on > sub.notice.deadline
        sub.after_photos = list(sub.photos.all())
        photos.flag_after_photos(sub.notice.finding, sub.after_photos, sub.notice.finding.before_photos)
        sub.flagged = any(p.warnings for p in sub.after_photos)
    transfers = TransferRequest.objects.filter(status=TransferStatus.PENDING)
    if access.visible_unit_ids(request.user) is not None:  # city-wide staff: no subquery over every finding
        transfers = transfers.filter(finding__in=access.findings_for(request.user).values("pk"))
    transfers = list(
        transfers
        .select_related("finding", "from_unit", "to_unit", "requested_by", "notice")
        .order_by("requested_at", "pk")
    )
    for transfer in transfers:
        transfer.form = TransferDecisionForm(initial={"to_unit": transfer.to_unit_id}, auto_id=f"t{transfer.pk}_%s")
    today = timezone.localdate()
    extensions = list(
        ExtensionRequest.objects.filter(status=ExtensionStatus.PENDING)
        .select_related("notice", "notice__unit", "notice__finding", "requested_by").order_by("requested_at", "pk")
    )
    for ext in extensions:
        ext.expired = today > ext.notice.deadline
        ext.form = ExtensionDecisionForm(initial={"approve": "0" if ext.expired else "1"}, auto_id=f"e{ext.pk}_%s")
    return render(request, "issues/review.html", {
        "submissions": submissions,
        "page": page,
        "transfers": transfers,
        "extensions": extensions,
        "unacknowledged": receipts.unacknowledged_count(),
        "reject_form": RejectForm(),
    })
