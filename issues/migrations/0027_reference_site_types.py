"""The reference site types (issues/data/site_types.csv, the assessment handbook's 41 kinds of place),
so a fresh install can import a problem list that names them without the demo (DOMAIN.md, Corrections)."""

import csv
from pathlib import Path

from django.db import migrations

DATA = Path(__file__).resolve().parent.parent / "data" / "site_types.csv"


def load_site_types(apps, schema_editor):
    SiteType = apps.get_model("issues", "SiteType")
    db = schema_editor.connection.alias
    taken_names = set(SiteType.objects.using(db).values_list("name", flat=True))
    with DATA.open(encoding="utf-8") as fh:
        for order, row in enumerate(csv.DictReader(fh), 1):
            if row["name"] in taken_names:  # the office already keeps this kind under its own code
                continue
            SiteType.objects.using(db).get_or_create(code=row["code"], defaults={"name": row["name"], "order": order})


class Migration(migrations.Migration):

    dependencies = [
        ("issues", "0026_notice_unit_indexes"),
    ]

    operations = [
        migrations.RunPython(load_site_types, migrations.RunPython.noop),
    ]
