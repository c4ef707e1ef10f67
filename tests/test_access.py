"""Who sees what: unit users see their unit and below, nothing else; others answer 404."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404

from issues.core import access
from issues.findings import services as svc
from issues.findings.rounds import publish_round
from issues.models import InspectionRound


def test_unit_users_see_their_unit_and_its_descendants_only(city):
    own, _ = city.assigned(unit=city.dongmen_sq)
    street, _ = city.assigned(unit=city.dongmen)
    other, _ = city.assigned(unit=city.xihu_sq)
    dept, _ = city.assigned(unit=city.chengguan)
    assert set(access.findings_for(city.dongmen_liaison)) == {own}
    assert set(access.findings_for(city.east_head)) == {own, street}
    assert set(access.findings_for(city.outsider)) == {other}
    assert set(access.findings_for(city.chengguan_head)) == {dept}


def test_a_unit_sees_a_finding_from_its_first_notice_on(city):
    finding = city.finding(unit=city.dongmen_sq)
    assert not access.findings_for(city.dongmen_liaison).exists()
    assert access.findings_for(city.office).get() == finding
    svc.issue_notice(actor=city.office, finding_id=finding.pk)
    assert access.findings_for(city.dongmen_liaison).get() == finding


def test_city_wide_roles_see_everything(city):
    made = {city.finding(unit=u) for u in (city.dongmen_sq, city.xihu_sq, city.chengguan)}
    for user in (city.office, city.leader, city.supervisor):
        assert set(access.findings_for(user)) == made


def test_another_units_finding_answers_404_not_403(city):
    other, _ = city.assigned(unit=city.xihu_sq)
    with pytest.raises(Http404):
        access.get_finding_for_user(city.dongmen_liaison, other.pk)
    with pytest.raises(Http404):
        access.get_finding_for_user(city.dongmen_liaison, "not-a-number")


def test_readers_cannot_get_a_finding_for_writing(city):
    finding = city.finding()
    assert access.get_finding_for_user(city.leader, finding.pk) == finding
    with pytest.raises(PermissionDenied):
        access.get_finding_for_user(city.leader, finding.pk, write=True)
    assert access.get_finding_for_user(city.office, finding.pk, write=True) == finding


def test_a_user_without_a_unit_or_role_sees_nothing(city, django_user_model):
    nobody = django_user_model.objects.create_user("nobody", password="x")
    city.finding()
    assert not access.findings_for(nobody).exists()


def test_a_deactivated_user_loses_every_role(city):
    city.finding()
    city.office.is_active = False
    city.office.save()
    assert not access.is_office(city.office)
    assert not access.findings_for(city.office).exists()


def test_covert_round_findings_are_hidden_from_units_until_published(city):
    covert = InspectionRound.objects.create(name="省文明办暗访第一批", source="省文明办暗访",
                                            held_on=dt.date(2026, 11, 1), is_covert=True)
    finding = city.finding(inspection_round=covert)
    assert not access.findings_for(city.dongmen_liaison).exists()
    assert access.findings_for(city.office).get() == finding
    publish_round(actor=city.office, round_id=covert.pk)  # issues its notices: the unit learns of it now
    assert access.findings_for(city.dongmen_liaison).get() == finding
