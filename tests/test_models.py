"""What the database guarantees by itself, and the rows every deployment starts with."""

import datetime as dt

import pytest
from django.db import IntegrityError, transaction

from issues.models import EscalationRule, Policy, RuleTrigger, Sanction, SanctionAction


def test_default_escalation_rules_are_rows(db):
    rules = {r.code: r for r in EscalationRule.objects.all()}
    assert (rules["R1"].trigger, rules["R1"].threshold, rules["R1"].action) == (
        RuleTrigger.FINDING_MISSES, 2, SanctionAction.CIRCULAR)
    assert (rules["R2"].threshold, rules["R2"].action) == (3, SanctionAction.INTERVIEW)
    assert (rules["R3"].threshold, rules["R3"].action) == (4, SanctionAction.REFERRAL)
    assert (rules["R4"].trigger, rules["R4"].threshold, rules["R4"].duration_months, rules["R4"].civilized_only) == (
        RuleTrigger.BOTTOM_STREAK, 2, 6, True)
    assert (rules["R5"].threshold, rules["R5"].action) == (3, SanctionAction.TITLE_REVOCATION)


def test_policy_row_exists_with_the_documented_defaults(db):
    policy = Policy.current()
    assert (policy.deadline_days_general, policy.deadline_days_major, policy.deadline_days_severe) == (5, 3, 1)
    assert (policy.next_notice_days, policy.relapse_window_days, policy.bottom_k) == (3, 90, 3)


def test_a_rule_cannot_apply_twice_to_the_same_evidence(city):
    rule = EscalationRule.objects.get(code="R1")
    finding, _ = city.assigned()
    kwargs = dict(rule=rule, unit=city.dongmen_sq, action=rule.action, evidence_key=f"finding:{finding.pk}:misses:2",
                  reason="第二次未按期整改", finding=finding, decided_on=dt.date(2026, 11, 9))
    Sanction.objects.create(**kwargs)
    with pytest.raises(IntegrityError), transaction.atomic():
        Sanction.objects.create(**kwargs)
    assert Sanction.objects.count() == 1


def test_a_unit_window_rule_needs_its_window(db):
    with pytest.raises(IntegrityError), transaction.atomic():
        EscalationRule.objects.create(code="R9", name="窗口规则", trigger=RuleTrigger.UNIT_MISSES, threshold=3,
                                      action=SanctionAction.CIRCULAR)


def test_there_is_one_policy_row(db):
    with pytest.raises(IntegrityError), transaction.atomic():
        Policy.objects.create(pk=2)


def test_in_ids_finds_the_same_rows_as_in(db):
    from issues.core.lookups import IdList
    from issues.models import Unit, UnitKind

    units = [Unit.objects.create(name=f"查询单位{i}", kind=UnitKind.COMMUNITY) for i in range(5)]
    wanted = [units[0].pk, units[3].pk, units[4].pk, 999_999]
    assert (sorted(Unit.objects.filter(pk__in_ids=IdList(wanted)).values_list("pk", flat=True))
            == sorted(Unit.objects.filter(pk__in=wanted).values_list("pk", flat=True))
            == [units[0].pk, units[3].pk, units[4].pk])
    assert list(Unit.objects.filter(pk__in_ids=IdList([]))) == []
    assert Unit.objects.filter(pk__in_ids=[str(units[1].pk)]).get() == units[1]  # a plain list works too
    # through a foreign key and a join
    child = Unit.objects.create(name="下级单位", kind=UnitKind.COMMUNITY, parent=units[2])
    assert list(Unit.objects.filter(parent_id__in_ids=IdList([units[2].pk]))) == [child]
    assert list(Unit.objects.filter(parent__in_ids=IdList([units[2].pk]))) == [child]


def test_every_declared_constraint_and_index_exists_in_the_database(db):
    """Migrations can silently drop what a model declares (0011 did, on PostgreSQL only)."""
    from django.apps import apps
    from django.db import connection

    missing = []
    with connection.cursor() as cursor:
        for model in apps.get_app_config("issues").get_models():
            present = connection.introspection.get_constraints(cursor, model._meta.db_table)
            missing += [f"{model.__name__}.{item.name}" for item in [*model._meta.constraints, *model._meta.indexes]
                        if item.name not in present]
    assert not missing, f"declared but not in the {connection.vendor} database: {missing}"
