"""A second stamp row: the reference version, raised by triggers on every write to the tables the
ledger's filter lists its options from (units, site types, index categories and items, inspection
rounds). The option lists are kept under it (issues.forms.kept_options): findings change all day,
these tables seldom, so a page drawn after a finding's change still finds its thousand units listed.

SQLite only, as the ledger stamp (migration 0019 says why).
"""

from django.db import migrations

TABLES = ("issues_unit", "issues_sitetype", "issues_indexcategory", "issues_indexitem", "issues_inspectionround")
EVENTS = ("INSERT", "UPDATE", "DELETE")
RAISE = "UPDATE issues_ledgerstamp SET version = version + 1 WHERE id = 2"


def create_triggers(apps, schema_editor):
    if schema_editor.connection.vendor != "sqlite":
        return
    apps.get_model("issues", "LedgerStamp").objects.using(schema_editor.connection.alias).create(id=2, version=1)
    for table in TABLES:
        for event in EVENTS:
            schema_editor.execute(
                f"CREATE TRIGGER {table}_reference_{event.lower()} AFTER {event} ON {table} "
                f"FOR EACH ROW BEGIN {RAISE}; END"
            )


def drop_triggers(apps, schema_editor):
    if schema_editor.connection.vendor != "sqlite":
        return
    for table in TABLES:
        for event in EVENTS:
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_reference_{event.lower()}")
    apps.get_model("issues", "LedgerStamp").objects.using(schema_editor.connection.alias).filter(id=2).delete()


class Migration(migrations.Migration):
    dependencies = [("issues", "0019_ledger_stamp")]

    operations = [migrations.RunPython(create_triggers, drop_triggers)]
