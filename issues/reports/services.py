"""Every verb of a citizen report (DOMAIN.md, "Citizen reports"): received from the public form or
Open311, triaged by the office (accepted into a finding, merged into an open one, declined with a
reply), answered "fixed" or "not fixed" by the reporter; and the exposure board's verbs.

Each is one transaction with its audit row; what the reporter may read is written as a ReportStep
in public words, in the ledger's official language like the audit log. Refusals raise LedgerError (ReportRefused for the public's limits) with a message
in the reporter's language.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import secrets
from collections.abc import Iterable, Sequence
from decimal import Decimal

from django.conf import settings
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from issues.core import access
from issues.core.exceptions import LedgerError, PhotoRejected
from issues.core.workcalendar import add_working_days
from issues.findings.photos import check_uploads, keep
from issues.models import (
    AWAITING_TRIAGE,
    OPEN_STATUSES,
    ApiClient,
    AuditEvent,
    BlockedPhone,
    CitizenReport,
    Exposure,
    Finding,
    FindingStatus,
    IndexCategory,
    NotificationKind,
    Photo,
    Policy,
    ReportChannel,
    ReportFeedback,
    ReportPhoto,
    ReportStatus,
    ReportStep,
    Site,
    SiteType,
)

# Tracking codes: no 0/O, 1/I/L, so a code read aloud over the phone or copied by hand comes out right.
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
CODE_LENGTH = 8


class ReportRefused(LedgerError):
    """The public form's limits: too many reports, a blocked number (the view answers 429 or 403)."""

    def __init__(self, message: str, *, status: int = 429):
        super().__init__(message)
        self.status = status


def new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _i in range(CODE_LENGTH))


def normal_code(text: str) -> str:
    """A code as typed: any case, spaces and dashes ignored."""
    return re.sub(r"[\s-]", "", text or "").upper()


def normal_phone(text: str) -> str:
    """Digits (and a leading +) of a phone number; LedgerError when it cannot be one."""
    phone = re.sub(r"[\s()-]", "", text or "")
    if phone and not re.fullmatch(r"\+?\d{7,15}", phone):
        raise LedgerError(_("“%(phone)s”不是有效的电话号码。") % {"phone": text}, field="phone")
    return phone


def key_digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def triage_due(received_on: dt.date, days: int | None = None) -> dt.date:
    return add_working_days(received_on, Policy.current().report_triage_days if days is None else days)


def _step(report: CitizenReport, status: str, text: str = "", at=None) -> None:
    ReportStep.objects.create(report=report, status=status, text=text, at=at or timezone.now())


def _check_limits(*, client_ip: str | None, phone: str, now: dt.datetime) -> None:
    """At most REPORTS_PER_HOUR reports an hour from one address and from one number; none from a
    blocked number. Counted from the reports themselves, so every web node agrees."""
    if phone and BlockedPhone.objects.filter(phone=phone).exists():
        raise ReportRefused(_("该电话号码已被暂停上报。如有疑问，请拨打创文办电话。"), status=403)
    limit = settings.REPORTS_PER_HOUR
    since = now - dt.timedelta(hours=1)
    recent = CitizenReport.objects.filter(received_at__gt=since)
    if client_ip and recent.filter(client_ip=client_ip).count() >= limit:
        raise ReportRefused(_("同一网络一小时内最多上报 %(n)d 次，请稍后再试。") % {"n": limit})
    if phone and recent.filter(phone=phone).count() >= limit:
        raise ReportRefused(_("同一电话号码一小时内最多上报 %(n)d 次，请稍后再试。") % {"n": limit})


def _check_place(latitude, longitude) -> tuple[Decimal | None, Decimal | None]:
    if latitude is None and longitude is None:
        return None, None
    try:
        lat, lon = Decimal(str(latitude)), Decimal(str(longitude))
    except (ArithmeticError, ValueError, TypeError):
        lat = lon = None
    if lat is None or lon is None or not (-90 <= lat <= 90 and -180 <= lon <= 180):
        raise LedgerError(_("位置坐标无效：纬度 %(lat)s，经度 %(lon)s。") % {"lat": latitude, "lon": longitude})
    quantum = Decimal("0.000001")
    return lat.quantize(quantum), lon.quantize(quantum)


@transaction.atomic
def submit_report(
    *,
    description: str,
    photos: Iterable = (),
    site: Site | None = None,
    site_type: SiteType | None = None,
    category: IndexCategory | None = None,
    address: str = "",
    latitude=None,
    longitude=None,
    phone: str = "",
    client_ip: str | None = None,
    channel: str = ReportChannel.WEB,
    api_client: ApiClient | None = None,
    photo_required: bool = True,
    now: dt.datetime | None = None,
) -> CitizenReport:
    """Receive a report (收到随手拍): it waits for the office's triage, due in 2 working days."""
    now = now or timezone.now()
    description = (description or "").strip()
    if not description:
        raise LedgerError(_("请描述您看到的问题。"), field="description")
    phone = normal_phone(phone)
    latitude, longitude = _check_place(latitude, longitude)
    if not (site or address.strip() or latitude is not None):
        raise LedgerError(_("请选择点位、填写地点，或使用当前位置。"), field="address")
    # a system posting with a key (a hotline's) sends many reports from one address: only its numbers count
    _check_limits(client_ip=client_ip if api_client is None else None, phone=phone, now=now)
    checked = check_uploads(photos)
    if len(checked) > settings.REPORT_MAX_PHOTOS:
        raise PhotoRejected(_("一次最多上传 %(n)d 张照片。") % {"n": settings.REPORT_MAX_PHOTOS})
    if photo_required and not checked:
        raise PhotoRejected(_("请至少拍一张现场照片。"))
    if site is not None and site_type is None:
        site_type = site.site_type
    days = Policy.current().report_triage_days
    fields = dict(
        description=description, site=site, site_type=site_type, category=category,
        address=address.strip()[:200] or (site.address if site else ""), latitude=latitude, longitude=longitude,
        phone=phone, channel=channel, api_client=api_client, client_ip=client_ip or None, received_at=now,
        triage_due=triage_due(timezone.localtime(now).date(), days),
    )
    for _attempt in range(5):
        try:
            with transaction.atomic():
                report = CitizenReport.objects.create(code=new_code(), **fields)
            break
        except IntegrityError:  # a code drawn twice: 31^8 codes make it rare, not impossible
            continue
    else:
        raise LedgerError(_("暂时无法生成查询码，请重新提交。"))
    for name, data, image, mime, facts in checked:
        keep(ReportPhoto(report=report, uploaded_at=now), name, data, image, mime, facts).save()
    _step(report, ReportStatus.RECEIVED,
          f"已收到您的反映，工作人员将在 {days} 个工作日内受理。", at=now)
    AuditEvent.record(actor=None, obj=report, action="report_received", after=ReportStatus.RECEIVED,
                      message=f"收到市民随手拍（{report.get_channel_display()}）",
                      data={"client": api_client.name} if api_client else None, at=now)
    return report


def _locked_report(report_id: int, *, awaiting: bool = True) -> CitizenReport:
    report = CitizenReport.objects.select_for_update().get(pk=report_id)
    if awaiting and report.status not in AWAITING_TRIAGE:
        raise LedgerError(_("随手拍 %(code)s 已处理（%(status)s），不能再受理。") % {
            "code": report.code, "status": report.get_status_display()})
    return report


def report_uploads(report: CitizenReport) -> list[tuple[str, bytes]]:
    """The report's photos as uploads for a finding: the same bytes, so the same SHA-256."""
    uploads = []
    for photo in report.photos.all():
        with photo.image.open("rb") as handle:
            uploads.append((photo.original_name or photo.image.name.rsplit("/", 1)[-1], handle.read()))
    return uploads


def _triaged(report: CitizenReport, actor, status: str, **fields) -> str:
    before = report.status
    report.status = status
    report.triaged_by = actor if getattr(actor, "pk", None) else None
    report.triaged_at = timezone.now()
    for name, value in fields.items():
        setattr(report, name, value)
    report.save(update_fields=["status", "triaged_by", "triaged_at", *fields])
    return before


@transaction.atomic
def accept_report(*, actor, report_id: int, finding: Finding) -> CitizenReport:
    """Accept (受理): the report became `finding`, registered from it in the same transaction."""
    access.ensure_office(actor)
    report = _locked_report(report_id)
    before = _triaged(report, actor, ReportStatus.ACCEPTED, finding=finding)
    _step(report, ReportStatus.ACCEPTED, "已受理，转交责任单位整改。")
    _audit_link(actor, report, finding, before, ("report_accepted", f"随手拍 {report.code} 受理为问题 {finding.display_number}"),
                ("from_report", f"来自市民随手拍 {report.code}"))
    return report


def _audit_link(actor, report: CitizenReport, finding: Finding, before: str, on_report: tuple[str, str],
                on_finding: tuple[str, str]) -> None:
    """The audit rows of a report joined to a finding: one on each, naming the other."""
    AuditEvent.record(actor=actor, obj=report, action=on_report[0], before=before, after=report.status,
                      message=on_report[1], data={"finding": finding.pk})
    AuditEvent.record(actor=actor, obj=finding, action=on_finding[0], message=on_finding[1],
                      data={"report": report.pk})


def _reply_required(reply: str) -> str:
    reply = (reply or "").strip()
    if not reply:
        raise LedgerError(_("请填写给市民的答复。"), field="reply")
    return reply


@transaction.atomic
def merge_report(*, actor, report_id: int, finding_id: int, reply: str, note: str = "") -> CitizenReport:
    """Merge (合并) into an open finding as a duplicate; the reporter follows that finding."""
    access.ensure_office(actor)
    reply = _reply_required(reply)
    report = _locked_report(report_id)
    finding = Finding.objects.filter(pk=finding_id).first()
    if finding is None or finding.status not in OPEN_STATUSES:
        raise LedgerError(_("只能合并到尚未销号的问题。"), field="finding")
    before = _triaged(report, actor, ReportStatus.MERGED, finding=finding, reply=reply, note=note.strip())
    _step(report, ReportStatus.MERGED, reply)
    _audit_link(actor, report, finding, before, ("report_merged", f"随手拍 {report.code} 合并到问题 {finding.display_number}"),
                ("report_merged", f"合并市民随手拍 {report.code}"))
    return report


@transaction.atomic
def decline_reports(*, actor, report_ids: Sequence[int], reply: str, note: str = "") -> list[CitizenReport]:
    """Decline (不予受理) one report or a batch of obvious spam, each with the reply."""
    access.ensure_office(actor)
    reply = _reply_required(reply)
    declined = []
    for report_id in sorted(set(report_ids)):
        report = _locked_report(report_id)
        before = _triaged(report, actor, ReportStatus.DECLINED, reply=reply, note=note.strip())
        _step(report, ReportStatus.DECLINED, reply)
        AuditEvent.record(actor=actor, obj=report, action="report_declined", before=before, after=report.status,
                          message=f"随手拍 {report.code} 不予受理", data={"note": note.strip()} if note else None)
        declined.append(report)
    if not declined:
        raise LedgerError(_("请至少选择一条随手拍。"))
    return declined


def feedback_open(report: CitizenReport, finding: Finding | None, today: dt.date) -> bool:
    """The reporter may answer "fixed" / "not fixed" within REPORT_FEEDBACK_DAYS of the closure, once."""
    return (
        report.status in (ReportStatus.ACCEPTED, ReportStatus.MERGED)
        and not report.feedback
        and finding is not None
        and finding.status == FindingStatus.CLOSED
        and finding.closed_on is not None
        and today <= finding.closed_on + dt.timedelta(days=settings.REPORT_FEEDBACK_DAYS)
    )


@transaction.atomic
def record_feedback(*, report_id: int, fixed: bool, comment: str = "", now: dt.datetime | None = None
                    ) -> CitizenReport:
    """The reporter's answer after closure. "Not fixed" goes back to the office's triage queue,
    which may log a new finding there (a relapse when the rules say so) or reply."""
    now = now or timezone.now()
    report = CitizenReport.objects.select_for_update().get(pk=report_id)
    finding = Finding.objects.filter(pk=report.finding_id).first()
    if not feedback_open(report, finding, timezone.localtime(now).date()):
        raise LedgerError(_("该问题目前不能评价：只能在销号后 %(n)d 天内评价一次。") % {
            "n": settings.REPORT_FEEDBACK_DAYS})
    report.feedback = ReportFeedback.FIXED if fixed else ReportFeedback.NOT_FIXED
    report.feedback_at = now
    report.feedback_comment = (comment or "").strip()[:300]
    fields = ["feedback", "feedback_at", "feedback_comment"]
    before = report.status
    if not fixed:
        report.status = ReportStatus.REOPENED
        report.triage_due = triage_due(timezone.localtime(now).date())
        fields += ["status", "triage_due"]
    report.save(update_fields=fields)
    _step(report, ReportStatus.REOPENED if not fixed else report.status,
          "您评价：已整改。感谢您的监督！" if fixed else "您评价：未整改。工作人员将重新核实。", at=now)
    AuditEvent.record(actor=None, obj=report, action="report_feedback", before=before, after=report.status,
                      message=f"市民评价：{report.get_feedback_display()}" + (
                          f"（{report.feedback_comment}）" if report.feedback_comment else ""), at=now)
    if not fixed:
        from issues.notifications.messages import notify_office

        notify_office(kind=NotificationKind.REPORT, key=f"report-not-fixed:{report.pk}:{report.finding_id}",
                      title=f"市民反馈未整改：随手拍 {report.code}",
                      body=f"问题 {finding.display_number} 销号后，市民反馈仍未整改。{report.feedback_comment}",
                      path=reverse("report_detail", args=[report.pk]))
    return report


def remind_overdue_triage(today: dt.date) -> int:
    """The nightly reminder to the office (bell and robot): the reports still waiting past their triage
    time, once a night while any is left."""
    from issues.notifications.messages import notify_office

    late = list(CitizenReport.objects.filter(status__in=AWAITING_TRIAGE, triage_due__lt=today)
                .order_by("triage_due", "pk").values_list("pk", "code", "triage_due"))
    if not late:
        return 0
    lines = "\n".join(f"{code}（受理时限 {due.isoformat()}）" for _pk, code, due in late[:20])
    more = f"\n……共 {len(late)} 条" if len(late) > 20 else ""
    return notify_office(
        kind=NotificationKind.REPORT, key=f"report-triage:{today.isoformat()}",
        title=f"{len(late)} 条市民随手拍超过受理时限", body=lines + more, path=reverse("reports"),
    )


# --- the exposure board ----------------------------------------------------------------------------


@transaction.atomic
def expose_finding(*, actor, finding_id: int, photo_ids: Iterable[int]) -> Exposure:
    """Put a finding on the public exposure board with the chosen before- and after-photos."""
    access.ensure_office(actor)
    finding = Finding.objects.select_for_update().get(pk=finding_id)
    if finding.status == FindingStatus.VOID:
        raise LedgerError(_("已作废的问题不能曝光。"))
    photos = list(Photo.objects.filter(finding=finding, pk__in=list(photo_ids)))
    exposure = Exposure.objects.filter(finding=finding, withdrawn_at__isnull=True).first()
    action = "exposure_changed" if exposure else "exposed"
    if exposure is None:
        exposure = Exposure.objects.create(finding=finding, exposed_by=actor if getattr(actor, "pk", None) else None)
    exposure.photos.set(photos)
    AuditEvent.record(actor=actor, obj=finding, action=action,
                      message=f"曝光台：公开 {len(photos)} 张照片", data={"photos": [p.pk for p in photos]})
    return exposure


@transaction.atomic
def withdraw_exposure(*, actor, finding_id: int) -> Exposure:
    access.ensure_office(actor)
    exposure = Exposure.objects.select_for_update().filter(finding_id=finding_id, withdrawn_at__isnull=True).first()
    if exposure is None:
        raise LedgerError(_("该问题不在曝光台上。"))
    exposure.withdrawn_at = timezone.now()
    exposure.withdrawn_by = actor if getattr(actor, "pk", None) else None
    exposure.save(update_fields=["withdrawn_at", "withdrawn_by"])
    AuditEvent.record(actor=actor, obj=exposure.finding, action="exposure_withdrawn", message="撤下曝光台")
    return exposure


# --- keys for other systems ------------------------------------------------------------------------


@transaction.atomic
def issue_api_client(*, actor, name: str, scope: str = ApiClient.Scope.OPEN311,
                     expires_on: dt.date | None = None) -> tuple[ApiClient, str]:
    """A new client and its key; the key is returned once and kept only as its digest."""
    access.ensure_office(actor)
    name = (name or "").strip()
    if not name:
        raise LedgerError(_("请填写客户端名称。"))
    if ApiClient.objects.filter(name=name).exists():
        raise LedgerError(_("已有名为“%(name)s”的接口客户端。") % {"name": name})
    client = ApiClient(name=name, scope=scope, expires_on=expires_on,
                       created_by=actor if getattr(actor, "pk", None) else None)
    key = assign_key(client)
    client.save()
    record_issued(actor, client)
    return client, key


def assign_key(client: ApiClient) -> str:
    """A new random key for the client (saved by the caller); only its digest is kept."""
    key = secrets.token_urlsafe(32)
    client.key_prefix, client.key_hash = key[:8], key_digest(key)
    return key


def record_issued(actor, client: ApiClient) -> None:
    AuditEvent.record(actor=actor, obj=client, action="api_client_issued",
                      message=f"签发接口密钥：{client.name}（{client.get_scope_display()}）")


def client_for_key(key: str, *, scope: str, today: dt.date | None = None) -> ApiClient | None:
    """The active, unexpired client of this key and scope, its last use noted; None otherwise."""
    if not key:
        return None
    client = ApiClient.objects.filter(key_hash=key_digest(key), scope=scope, is_active=True).first()
    today = today or timezone.localdate()
    if client is None or (client.expires_on is not None and client.expires_on < today):
        return None
    ApiClient.objects.filter(pk=client.pk).update(last_used_at=timezone.now())
    return client
