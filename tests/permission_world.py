"""The routes of the site and a small world to ask them about, for the permission matrix.

`routes()` walks the URL configuration, so a route added anywhere shows up here; `World` builds one
object of each kind the routes take, all belonging to unit A's community (东门社区 under 城东区), and
signs in the seven personas of the matrix.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from captcha.models import CaptchaStore
from django.contrib.auth.models import Group
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from issues.field import services as inspections
from issues.findings import extensions
from issues.findings import services as svc
from issues.materials import services as materials
from issues.models import (
    AssessmentEdition,
    BlockedPhone,
    EscalationRule,
    ExcelJob,
    Finding,
    InspectionRound,
    JobDay,
    Notification,
    NotificationKind,
    OpinionScore,
    OutboundMessage,
    PeriodKind,
    Question,
    RankingEntry,
    RankingGroup,
    RankingPeriod,
    Responsibility,
    Sanction,
    SurveyRate,
    Verdict,
)
from issues.reports import services as reports
from issues.surveys import services as surveys
from tests.conftest import jpeg

ROLES = ("anonymous", "office", "head_A", "liaison_A", "other_district", "leader", "supervision")


@dataclass(frozen=True)
class Route:
    template: str  # "findings/<int:pk>/assign/", the matrix's key
    name: str | None  # "finding_assign", "admin:issues_finding_change"
    params: tuple[str, ...]


def _walk(patterns, prefix="", namespace=""):
    for entry in patterns:
        if isinstance(entry, URLResolver):
            ns = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from _walk(entry.url_patterns, prefix + str(entry.pattern), ns)
        elif isinstance(entry, URLPattern):
            name = f"{namespace}{entry.name}" if entry.name else None
            yield Route(prefix + str(entry.pattern), name, tuple(entry.pattern.regex.groupindex))


def routes() -> list[Route]:
    return list(_walk(get_resolver().url_patterns))


class World:
    """One of everything a route can take, in unit A's community, and a signed-in client per role."""

    def __init__(self, city):
        self.city = city
        city.office.is_staff = True  # office staff keep the configuration in the admin
        city.office.save(update_fields=["is_staff"])
        # A finding with a before-photo and a fix waiting for review; another with a transfer request.
        self.finding, notice = city.assigned(unit=city.dongmen_sq, photos=[jpeg()])
        self.submission = svc.submit_fix(actor=city.dongmen_liaison, notice_id=notice.pk, note="已清运",
                                         photos=[jpeg((10, 200, 10))])
        other, _ = city.assigned(unit=city.dongmen_sq, description="路面破损")
        self.transfer = svc.request_transfer(actor=city.dongmen_liaison, finding_id=other.pk, reason="属市政管辖")
        self.photo = self.finding.photos.first()
        rule = EscalationRule.objects.get(code="R1")
        self.sanction = Sanction.objects.create(
            rule=rule, unit=city.dongmen_sq, action=rule.action, evidence_key=f"finding:{self.finding.pk}:misses:2",
            reason="第二次未按期整改", finding=self.finding, decided_on=dt.date(2026, 11, 16))
        self.period = RankingPeriod.objects.create(name="2026年10月", kind=PeriodKind.MONTH, start=dt.date(2026, 10, 1),
                                                   end=dt.date(2026, 10, 31))
        self.job = ExcelJob.objects.create(kind=ExcelJob.Kind.EXPORT_LEDGER, created_by=city.office)
        self.round = InspectionRound.objects.create(name="11月暗访", held_on=dt.date(2026, 11, 2), is_covert=True)
        # a pending extension request on the second finding, a site with a checklist and one inspection
        self.extension = extensions.request_extension(
            actor=city.dongmen_liaison, notice_id=other.current_notice_id, deadline=dt.date(2026, 11, 20),
            reason="材料未到", requested_at=dt.datetime(2026, 11, 3, 10, 0, tzinfo=dt.UTC))
        city.item.site_types.add(city.market_type)
        self.inspection = inspections.record_inspection(
            actor=city.office, site=city.market, marks=[inspections.Mark(item=city.item, verdict=Verdict.PASS)])
        # A row of every other model the admin lists, so its change and history pages are asked for real.
        group = RankingGroup.objects.create(name="社区组")
        RankingEntry.objects.create(period=self.period, group=group, unit=city.dongmen_sq, score=90, rank=1)
        Responsibility.objects.create(item=city.item, lead_unit=city.dongmen)
        JobDay.objects.create(date=dt.date(2026, 11, 16))
        Notification.objects.create(recipient=city.dongmen_liaison, kind=NotificationKind.MISS, key="miss:1",
                                    title="未按期整改")
        OutboundMessage.objects.create(channel=OutboundMessage.Channel.EMAIL, target="dongmen@example.org",
                                       key="email:miss:1")
        AccessAttempt.objects.create(username="dongmen", ip_address="10.0.0.1", user_agent="", http_accept="",
                                     path_info="/accounts/login/", get_data="", post_data="", failures_since_start=5)
        AccessLog.objects.create(username="dongmen", ip_address="10.0.0.1", user_agent="", http_accept="",
                                 path_info="/accounts/login/")
        AccessFailureLog.objects.create(username="dongmen", ip_address="10.0.0.1", user_agent="", http_accept="",
                                        path_info="/accounts/login/")
        # a citizen report with a photo, waiting for triage (its code is the public's key to it)
        self.report = reports.submit_report(description="井盖破损", photos=[jpeg((5, 5, 5))], site=city.market,
                                            phone="13912345678", client_ip="10.9.9.9")
        self.report_photo = self.report.photos.get()
        BlockedPhone.objects.create(phone="13800000000", reason="广告")
        reports.issue_api_client(actor=city.office, name="12345热线")
        exposed, _ = city.assigned(unit=city.dongmen_sq, description="占道经营", photos=[jpeg((7, 7, 7))])
        reports.expose_finding(actor=city.office, finding_id=exposed.pk, photo_ids=[])
        self.edition = AssessmentEdition.objects.create(name="2026年测评", assessed_on=dt.date(2027, 5, 1),
                                                        index_system=city.item.system, is_current=True)
        OpinionScore.objects.create(edition=self.edition, month=dt.date(2026, 10, 1), score=8)
        self.requirement = materials.create_requirement(
            actor=city.office, item=city.item, title="环境卫生长效管理制度", lead_unit=city.dongmen_sq,
            due_on=dt.date(2026, 12, 31))
        self.material = materials.submit_material(
            actor=city.dongmen_liaison, requirement_id=self.requirement.pk, title="管理制度",
            effective_on=dt.date(2026, 9, 1), uploads=[("制度.pdf", b"%PDF-1.4 test")])
        self.material_file = self.material.files.get()
        self.survey = surveys.create_survey(actor=city.office, name="群众满意度调查", starts_on=dt.date(2026, 1, 1),
                                            ends_on=dt.date(2030, 12, 31), versions=[("A", "居民")])
        question = Question.objects.create(text="您是否知道本市正在创建全国文明城市？", options=["知道", "不知道"],
                                           rate=SurveyRate.AWARENESS, yes_options=[1])
        self.survey_question = surveys.add_question(actor=city.office, version=self.survey.versions.get(),
                                                    question=question)
        self.survey_link = surveys.create_link(actor=city.office, survey=self.survey, label="海报")
        surveys.submit_response(survey=self.survey, version=self.survey.versions.get(),
                                respondent=surveys.Respondent(district=city.east),
                                answers={self.survey_question.pk: 1})
        CaptchaStore.generate_key()
        self._clients: dict[str, Client] = {}
        self.users = {
            "office": city.office, "head_A": city.east_head, "liaison_A": city.dongmen_liaison,
            "other_district": city.outsider, "leader": city.leader, "supervision": city.supervisor,
        }

    def args(self, route: Route) -> dict:
        """The URL's arguments: this world's objects; for the admin, the first row of the route's model."""
        if "content_type_id" in route.params:  # the admin's "view on site" of a finding
            return {"content_type_id": ContentType.objects.get_for_model(Finding).pk, "object_id": self.finding.pk}
        fixed = {"kind": "ledger", "size": "display", "app_label": "issues", "url": "no-such-page/", "fmt": "json",
                 "key": CaptchaStore.objects.order_by("pk").values_list("hashkey", flat=True).first(),
                 "token": self.survey_link.token, "question_pk": self.survey_question.pk}
        values = {}
        for param in route.params:
            if param == "pk":
                values[param] = self._object_for(route).pk
            elif param in ("object_id", "id"):
                values[param] = str(self._admin_object_id(route))
            elif route.template.startswith("options/"):
                values[param] = "units"  # the unit filter's suggestions: each persona its own units
            elif param == "code":  # a report's code; for Open311's service definition, a category's
                values[param] = (f"T{self.city.market_type.code}" if route.template.startswith("open311/v2/services/")
                                 else self.report.code)
            else:
                values[param] = fixed[param]
        return values

    def _object_for(self, route: Route):
        t = route.template
        if t.startswith("findings/"):
            return self.finding
        if t.startswith(("reports/photos/", "public/photos/")):
            return self.report_photo if t.startswith("reports/") else self.photo  # not exposed: 404 to all
        if t.startswith("reports/"):
            return self.report
        for prefix, obj in (("surveys/links/", self.survey_link), ("surveys/", self.survey),
                            ("materials/submissions/", self.material), ("materials/files/", self.material_file),
                            ("materials/", self.requirement), ("submissions/", self.submission), ("transfers/", self.transfer),
                            ("photos/", self.photo), ("sanctions/", self.sanction), ("periods/", self.period),
                            ("jobs/", self.job), ("units/", self.city.dongmen_sq), ("extensions/", self.extension),
                            ("sites/", self.city.market), ("inspections/", self.inspection), ("rounds/", self.round),
                            ("assessment/", self.edition)):
            if t.startswith(prefix):
                return obj
        raise AssertionError(f"the matrix has no object for {t}")

    def _admin_object_id(self, route: Route):
        from django.contrib import admin

        # admin/<app>/<model>/<path:object_id>/...
        parts = route.template.split("/")
        app_label, model_name = parts[1], parts[2]
        for model in admin.site._registry:
            if model._meta.app_label == app_label and model._meta.model_name == model_name:
                row = model._default_manager.order_by("pk").first()
                return row.pk if row is not None else 999999
        if (app_label, model_name) == ("auth", "group"):
            return Group.objects.order_by("pk").first().pk
        raise AssertionError(f"no admin model for {route.template}")

    def url(self, route: Route) -> str:
        kwargs = self.args(route)
        if route.name:
            return reverse(route.name, kwargs=kwargs)
        # Unnamed routes (the admin's object redirect and catch-all): fill the pattern by hand.
        path = re.sub(r"<(?:\w+:)?(\w+)>", lambda m: str(kwargs[m.group(1)]), route.template)
        path = re.sub(r"\(\?P<(\w+)>[^)]*\)", lambda m: str(kwargs[m.group(1)]), path)
        return "/" + path.replace("^", "").replace("$", "")

    def ask(self, role: str, method: str, url: str) -> int:
        """The status code of one request, every change it made rolled back (a POST may close a period)."""
        client = self._clients.get(role)
        if client is None:
            client = self._clients[role] = Client()
            if role != "anonymous":
                client.force_login(self.users[role])
        with transaction.atomic():
            response = client.get(url) if method == "GET" else client.post(url, {})
            transaction.set_rollback(True)
        if "logout" in url:  # the session ended: sign in again for the next question
            del self._clients[role]
        return response.status_code
