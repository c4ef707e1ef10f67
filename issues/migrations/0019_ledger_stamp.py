"""The ledger's version stamp: one row, raised by triggers on every write to a table the ledger
page draws, whoever writes (the ORM, the nightly job's raw SQL, an import, the admin).

SQLite only. SQLite has row triggers only: a bulk update of 5,000 findings raises the stamp 5,000
times inside the same transaction (about a millisecond); its writers take turns on the whole
database anyway, so the stamp row adds no waiting. On PostgreSQL a stamp row written during the
transaction would make every two ledger writers take turns on it, and could deadlock two
transactions that lock findings in different orders; there the ledger keeps no stamp and draws
every page (issues.pagecache reads no stamp and keeps nothing).
"""

from django.db import migrations, models

from issues import stamps

TABLES = ("issues_finding", "issues_unit", "issues_site", "issues_sitetype", "issues_indexcategory",
          "issues_indexitem", "issues_inspectionround")


class Migration(migrations.Migration):
    dependencies = [("issues", "0018_notices_before_receipts")]

    operations = [
        migrations.CreateModel(
            name="LedgerStamp",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("version", models.BigIntegerField(default=0)),
            ],
            options={"verbose_name": "台账版本", "verbose_name_plural": "台账版本"},
        ),
        stamps.operation(row=1, tables=TABLES, suffix="stamp"),
    ]
