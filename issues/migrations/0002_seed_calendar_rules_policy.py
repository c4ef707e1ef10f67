"""Seed what a new deployment needs before anyone configures anything:
China's official calendar exceptions for the years chinese-calendar knows, the default
escalation rules R1–R5 of DOMAIN.md (rows the office can edit), and the policy row."""

from django.db import migrations

RULES = [
    # code, name, trigger, threshold, action, months, civilized_only, description
    ("R1", "整改通知两次未达要求，全市通报批评", "finding_misses", 2, "circular", None, False,
     "整改通知两次未按期整改或未达到整改要求的，在全市范围内通报批评。"),
    ("R2", "整改通知三次未达要求，约谈党政主要负责人", "finding_misses", 3, "interview", None, False,
     "整改通知三次未按期整改或未达到整改要求的，约谈单位党政主要负责人。"),
    ("R3", "整改通知四次未达要求，移交纪委监委", "finding_misses", 4, "referral", None, False,
     "拖全市创建后腿的，第一时间移交纪委监委追责问责。"),
    ("R4", "文明单位连续两次排名后三位，停发文明奖六个月", "bottom_streak", 2, "bonus_suspension", 6, True,
     "文明单位连续两次排名后三位的，停发文明奖六个月。"),
    ("R5", "文明单位连续三次排名后三位，撤销文明单位称号", "bottom_streak", 3, "title_revocation", None, True,
     "文明单位连续三次排名后三位的，撤销文明单位称号。"),
]


def seed(apps, schema_editor):
    from issues.core.workcalendar import package_exceptions

    Day = apps.get_model("issues", "WorkCalendarDay")
    existing = set(Day.objects.values_list("date", flat=True))
    Day.objects.bulk_create(
        Day(date=d, is_workday=work, name=name, source="package")
        for d, work, name in package_exceptions()
        if d not in existing
    )
    Rule = apps.get_model("issues", "EscalationRule")
    for order, (code, name, trigger, threshold, action, months, civ, desc) in enumerate(RULES, 1):
        Rule.objects.get_or_create(
            code=code,
            defaults=dict(name=name, trigger=trigger, threshold=threshold, action=action,
                          duration_months=months, civilized_only=civ, description=desc, order=order),
        )
    apps.get_model("issues", "Policy").objects.get_or_create(pk=1)


class Migration(migrations.Migration):
    dependencies = [("issues", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
