"""The ledger's "latest deadline first" order on PostgreSQL.

The ledger puts findings without a deadline last in both directions. SQLite sorts NULL first and walks
the deadline index either way for that order; PostgreSQL sorts NULL last, so walking its index backwards
gives "no deadline first", and it sorted the whole table instead (86 ms for page 1 of 500,000 findings).
This index holds the order as the ledger asks for it. SQLite cannot declare NULLS LAST in an index and
does not need it.
"""

from django.db import migrations

CREATE = "CREATE INDEX IF NOT EXISTS finding_deadline_desc ON issues_finding (deadline DESC NULLS LAST, id DESC)"
DROP = "DROP INDEX IF EXISTS finding_deadline_desc"


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE, params=None)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP, params=None)


class Migration(migrations.Migration):
    dependencies = [("issues", "0027_reference_site_types")]

    operations = [migrations.RunPython(create, drop, elidable=False)]
