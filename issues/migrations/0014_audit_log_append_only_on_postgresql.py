"""On PostgreSQL the database itself refuses to change or delete an audit row.

The application already refuses (AuditEvent.save/delete, its queryset's update/delete, a read-only
admin); this trigger also stops a raw UPDATE or DELETE from a shell or another program. TRUNCATE,
which needs the table's owner, is left to the operator (the test runner empties tables with it).
Other databases are left as they are.
"""

from django.db import migrations

CREATE = """
CREATE OR REPLACE FUNCTION issues_auditevent_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION '操作日志只能追加，不能修改或删除 (audit log is append-only: % refused)', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;
DROP TRIGGER IF EXISTS issues_auditevent_append_only ON issues_auditevent;
CREATE TRIGGER issues_auditevent_append_only BEFORE UPDATE OR DELETE ON issues_auditevent
    FOR EACH ROW EXECUTE FUNCTION issues_auditevent_append_only();
"""

DROP = """
DROP TRIGGER IF EXISTS issues_auditevent_append_only ON issues_auditevent;
DROP FUNCTION IF EXISTS issues_auditevent_append_only();
"""


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE, params=None)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP, params=None)


class Migration(migrations.Migration):
    dependencies = [("issues", "0013_unit_found_covers_status")]

    operations = [migrations.RunPython(create, drop)]
