import django.db.models.deletion
from django.db import migrations, models


def fill_lead_tops(apps, schema_editor):
    """Each finding's top unit, from the unit tree: one UPDATE per top unit."""
    db = schema_editor.connection.alias
    Unit = apps.get_model("issues", "Unit")
    Finding = apps.get_model("issues", "Finding")
    parent = dict(Unit.objects.using(db).values_list("pk", "parent_id"))
    by_top: dict[int, list[int]] = {}
    for pk in parent:
        node, seen = pk, {pk}
        while parent.get(node) is not None and parent[node] not in seen:
            node = parent[node]
            seen.add(node)
        by_top.setdefault(node, []).append(pk)
    for top, units in by_top.items():
        for i in range(0, len(units), 500):
            Finding.objects.using(db).filter(lead_unit_id__in=units[i:i + 500]).update(lead_top_id=top)


class Migration(migrations.Migration):

    dependencies = [
        ("issues", "0024_ledger_count"),
    ]

    operations = [
        migrations.AddField(
            model_name="finding",
            name="lead_top",
            field=models.ForeignKey(
                db_index=False, null=True, on_delete=django.db.models.deletion.PROTECT, related_name="+",
                to="issues.unit", verbose_name="责任单位所属的最上级单位",
                help_text="责任单位本身或它的最上级单位（区县、市直部门）：一个区县的台账按它读取。",
            ),
        ),
        migrations.RunPython(fill_lead_tops, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="finding",
            name="lead_top",
            field=models.ForeignKey(
                db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name="+",
                to="issues.unit", verbose_name="责任单位所属的最上级单位",
                help_text="责任单位本身或它的最上级单位（区县、市直部门）：一个区县的台账按它读取。",
            ),
        ),
        migrations.AddIndex(
            model_name="finding",
            index=models.Index(
                fields=["lead_top", "found_on", "status", "closed_on", "current_notice"], name="finding_top_found"
            ),
        ),
        migrations.AddIndex(
            model_name="finding",
            index=models.Index(fields=["lead_top", "deadline"], name="finding_top_deadline"),
        ),
    ]
