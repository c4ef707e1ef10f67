"""Put back two partial unique constraints that 0011 dropped on PostgreSQL.

0011 turned the index off on Notice.finding and Submission.notice. On PostgreSQL Django's AlterField
then dropped every index on that one column, the partial unique indexes of these two constraints
included, though the models still declare them. SQLite rebuilt the tables with them, so they exist
there. This adds each one where the database lacks it.
"""

from django.db import migrations


def restore(apps, schema_editor):
    connection = schema_editor.connection
    for model_name, constraint_name in (("Notice", "one_open_notice_per_finding"),
                                        ("Submission", "one_pending_submission_per_notice")):
        model = apps.get_model("issues", model_name)
        with connection.cursor() as cursor:
            present = connection.introspection.get_constraints(cursor, model._meta.db_table)
        if constraint_name in present:
            continue
        constraint = next(c for c in model._meta.constraints if c.name == constraint_name)
        schema_editor.add_constraint(model, constraint)


class Migration(migrations.Migration):
    dependencies = [("issues", "0015_photo_exif_time_and_place")]

    operations = [migrations.RunPython(restore, migrations.RunPython.noop)]
