"""`python manage.py seed_demo`: a believable city, every state, and safe to run twice."""


import pytest
from django.core.management import CommandError, call_command
from django.db.models import Count
from django.utils import timezone

from demo.city import DEMO_PASSWORD
from issues.assessment.field import field_part
from issues.materials import reads
from issues.models import (
    AssessmentEdition,
    AuditEvent,
    CitizenReport,
    Exposure,
    Finding,
    FindingStatus,
    IndexSystem,
    MaterialRequirement,
    MaterialState,
    Notice,
    NoticeOutcome,
    Photo,
    Submission,
    TransferRequest,
    Unit,
    UnitKind,
)

pytestmark = pytest.mark.django_db

DEMO_LOGINS = ["office", "leader", "supervisor", "chengguan", "gongan", "dongmen", "xihu", "songlin"]


def snapshot() -> dict:
    return {model.__name__: model.objects.count()
            for model in (Unit, Finding, Notice, Submission, Photo, TransferRequest, AuditEvent, CitizenReport,
                          Exposure, MaterialRequirement)}


def test_seed_demo_builds_the_city_and_a_second_run_adds_nothing(settings, tmp_path):
    settings.DEBUG = True
    call_command("seed_demo")
    first = snapshot()
    call_command("seed_demo")
    assert snapshot() == first

    kinds = dict(Unit.objects.values_list("kind").annotate(n=Count("pk")).order_by())
    assert kinds[UnitKind.CITY_DEPT] == 6 and kinds[UnitKind.DISTRICT] == 2
    assert kinds[UnitKind.STREET] == 6 and kinds[UnitKind.COMMUNITY] == 12
    assert 250 <= first["Finding"] <= 500

    # every state, every unit, misses, relapses, transfers, photos before and after
    assert set(Finding.objects.values_list("status", flat=True)) == set(FindingStatus.values)
    assert not Unit.objects.annotate(n=Count("findings")).filter(n=0).exists()
    assert Finding.objects.filter(miss_count__gte=2).exists()
    assert Finding.objects.filter(relapse_of__isnull=False).exists()
    assert Notice.objects.filter(outcome=NoticeOutcome.SUPERSEDED).exists()
    assert set(Photo.objects.values_list("kind", flat=True)) == {"before", "after"}
    today = timezone.localdate()  # the demo spans the last four months of the real calendar
    oldest = Finding.objects.order_by("found_on").first().found_on
    assert (today - oldest).days <= 125
    assert "演示" in IndexSystem.objects.get(is_current=True).name
    # citizen reports waiting, accepted, merged and declined; two findings on the exposure board
    assert set(CitizenReport.objects.values_list("status", flat=True)) == {"received", "accepted", "merged",
                                                                           "declined"}
    assert Exposure.objects.filter(withdrawn_at__isnull=True).count() == 2
    edition = AssessmentEdition.current()  # the field part has marks to score
    assert edition.index_system.is_current and field_part(edition, today).score is not None
    # materials in every state, some missed by the nightly job, and a materials score to show
    states = {reads.state_of(s, m) for s, m in MaterialRequirement.objects.values_list("status", "miss_count")}
    assert states == set(MaterialState.values)
    assert reads.materials_part(edition).score is not None
    # a current survey answered online and on paper, with quotas still short somewhere
    from issues.surveys import reads as survey_reads

    part = survey_reads.survey_part(edition)
    assert part.score is not None and part.responses == 90
    assert {line.key for line in survey_reads.results(part.survey).by_source} == {"online", "paper"}
    assert any(line.still_needed for line in survey_reads.quota_progress(part.survey))


def test_demo_logins_work_with_the_documented_password(client, settings):
    settings.DEBUG = True
    call_command("seed_demo")
    for username in DEMO_LOGINS:  # through the login form, as people sign in
        response = client.post("/accounts/login/", {"username": username, "password": DEMO_PASSWORD})
        assert response.status_code == 302, username
        client.post("/accounts/logout/")
    client.post("/accounts/login/", {"username": "dongmen", "password": DEMO_PASSWORD})
    page = client.get("/", follow=True).content.decode()
    assert "东门社区" in page and "西湖社区" not in page


def test_seed_demo_refuses_with_debug_off_unless_forced(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="--force"):
        call_command("seed_demo")
    assert Unit.objects.count() == 0
