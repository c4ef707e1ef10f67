"""A scenario for the integration tests, built in a separate process through the services:
`python manage.py shell -c "from tests.scenario import build; build(400, 30)"`."""

import datetime as dt

from django.contrib.auth.models import Group, User
from django.utils import timezone

from issues.core.access import Role
from issues.core.roles import ensure_roles
from issues.findings import services as svc
from issues.models import Unit, UnitKind


def build(findings: int, days_ago: int) -> None:
    """`findings` findings in 8 units, first deadlines spread over the last `days_ago` days, no fixes."""
    ensure_roles()
    office = User.objects.create_user("office", password="x")
    office.groups.add(Group.objects.get(name=Role.OFFICE))
    units = [Unit.objects.create(name=f"测试单位{i}", kind=UnitKind.COMMUNITY) for i in range(8)]
    today = timezone.localdate()
    for i in range(findings):
        found = today - dt.timedelta(days=days_ago + 2 - (i % days_ago))
        finding = svc.register_finding(actor=office, lead_unit=units[i % len(units)], description=f"问题{i}",
                                       found_on=found)
        svc.issue_notice(actor=office, finding_id=finding.pk, issued_on=found, deadline=found + dt.timedelta(days=2))
