"""The reference checklists (issues/data/check_items.csv: what the assessment handbook and published
inspection standards check at a market, a main road, a residential compound ...), so a fresh install
can walk a site's checklist before the office imports its own index (DOMAIN.md, Corrections).

They form an index system of their own, marked as the reference and never current: the office's index
stays the one findings are counted under, and a site type its index gives no items is checked against
these. The handbook gives no points for them.
"""

import csv
from pathlib import Path

from django.db import migrations, models

DATA = Path(__file__).resolve().parent.parent / "data" / "check_items.csv"
SYSTEM = "点位检查参考标准"
# words of the data's site-type column, and the reference site type (0027) each names
SITE_TYPE_WORDS = [
    ("农贸", "PT-24"), ("主次干道", "PT-22"), ("主干道", "PT-22"), ("次干道", "PT-22"),
    ("商业大街", "PT-21"), ("背街小巷", "PT-20"), ("交通路口", "PT-19"), ("小区", "PT-25"),
    ("公交", "PT-05"), ("社区", "PT-12"), ("学校", "PT-15"), ("网吧", "PT-36"),
]


def load_checklists(apps, schema_editor):
    db = schema_editor.connection.alias
    IndexSystem = apps.get_model("issues", "IndexSystem")
    IndexCategory = apps.get_model("issues", "IndexCategory")
    IndexItem = apps.get_model("issues", "IndexItem")
    SiteType = apps.get_model("issues", "SiteType")
    if IndexSystem.objects.using(db).filter(is_reference=True).exists():
        return
    system = IndexSystem.objects.using(db).create(
        name=SYSTEM, year=2021, is_current=False, is_reference=True,
        note="随系统安装：测评手册与公开的督查标准中各类点位的检查内容（issues/data/check_items.csv），不含分值。")
    types = {t.code: t for t in SiteType.objects.using(db).all()}
    with DATA.open(encoding="utf-8") as fh:
        # CK- and LCM- rows describe how other systems group their checks, not checks themselves
        rows = [r for r in csv.DictReader(fh) if not r["code"].startswith(("CK-", "LCM-"))]
    categories = {}
    for order, row in enumerate(rows, 1):
        name = row["category"].split("·", 1)[-1].split("(")[0]
        if name not in categories:
            categories[name] = IndexCategory.objects.using(db).create(system=system, name=name, order=order)
        item = IndexItem.objects.using(db).create(system=system, category=categories[name], code=row["code"],
                                                  name=row["item"][:200], standard=row["standard"])
        words = row["site_types"] + row["category"]
        item.site_types.set({types[code] for word, code in SITE_TYPE_WORDS if word in words and code in types})


def unload_checklists(apps, schema_editor):
    db = schema_editor.connection.alias
    IndexSystem = apps.get_model("issues", "IndexSystem")
    for system in IndexSystem.objects.using(db).filter(is_reference=True):
        system.items.all().delete()
        system.categories.all().delete()
        system.delete()


class Migration(migrations.Migration):

    dependencies = [
        ("issues", "0029_profile_last_source"),
    ]

    operations = [
        migrations.AddField(
            model_name="indexsystem",
            name="is_reference",
            field=models.BooleanField(
                default=False, editable=False,
                help_text="随系统安装的点位检查参考标准：当前体系里没有某类点位的检查项目时，按它检查。",
                verbose_name="参考检查标准"),
        ),
        migrations.RunPython(load_checklists, unload_checklists),
    ]
