"""Drop the version-stamp table and its SQLite triggers, which databases migrated before the ledger's
page cache was taken out still hold. A database created since never had them: every step is IF EXISTS."""

from django.db import migrations

TABLES = ("issues_finding", "issues_unit", "issues_site", "issues_sitetype", "issues_indexcategory",
          "issues_indexitem", "issues_inspectionround")


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        for table in TABLES:
            for suffix in ("stamp", "reference"):
                for event in ("insert", "update", "delete"):
                    schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_{suffix}_{event}")
    schema_editor.execute("DROP TABLE IF EXISTS issues_ledgerstamp")


class Migration(migrations.Migration):
    dependencies = [("issues", "0020_reference_stamp")]

    operations = [migrations.RunPython(drop, migrations.RunPython.noop)]
