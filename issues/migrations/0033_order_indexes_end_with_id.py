"""The indexes of the ledger's orders end with the row id, the tie-break of every order.

SQLite keeps the rowid in every index, so a page's ids always came from the index alone there; on
PostgreSQL they did not, and a deep page (25,000 rows skipped) read each of those rows from the table
for its id. SQLite's statistics are taken again where it kept them, for the new indexes (_statistics.py).
"""

from django.conf import settings
from django.db import migrations, models

from issues.migrations._statistics import analyse_again


class Migration(migrations.Migration):

    dependencies = [
        ('issues', '0032_dashboard_indexes'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name='finding',
            name='finding_found_on',
        ),
        migrations.RemoveIndex(
            model_name='finding',
            name='finding_deadline',
        ),
        migrations.RemoveIndex(
            model_name='finding',
            name='finding_status_found',
        ),
        migrations.RemoveIndex(
            model_name='finding',
            name='finding_unit_found',
        ),
        migrations.RemoveIndex(
            model_name='finding',
            name='finding_status_deadline',
        ),
        migrations.RemoveIndex(
            model_name='finding',
            name='finding_top_found',
        ),
        migrations.RemoveIndex(
            model_name='finding',
            name='finding_top_deadline',
        ),
        migrations.RemoveIndex(
            model_name='finding',
            name='finding_top_status',
        ),
        migrations.AddIndex(
            model_name='finding',
            index=models.Index(fields=['found_on', 'id'], name='finding_found_on'),
        ),
        migrations.AddIndex(
            model_name='finding',
            index=models.Index(fields=['deadline', 'id'], name='finding_deadline'),
        ),
        migrations.AddIndex(
            model_name='finding',
            index=models.Index(fields=['status', 'found_on', 'id', 'lead_unit', 'closed_on'], name='finding_status_found'),
        ),
        migrations.AddIndex(
            model_name='finding',
            index=models.Index(fields=['status', 'deadline', 'id'], name='finding_status_deadline'),
        ),
        migrations.AddIndex(
            model_name='finding',
            index=models.Index(fields=['lead_unit', 'found_on', 'status', 'closed_on', 'current_notice', 'id'], name='finding_unit_found'),
        ),
        migrations.AddIndex(
            model_name='finding',
            index=models.Index(fields=['lead_top', 'found_on', 'status', 'closed_on', 'current_notice', 'id'], name='finding_top_found'),
        ),
        migrations.AddIndex(
            model_name='finding',
            index=models.Index(fields=['lead_top', 'deadline', 'id'], name='finding_top_deadline'),
        ),
        migrations.AddIndex(
            model_name='finding',
            index=models.Index(fields=['lead_top', 'status', 'found_on', 'closed_on', 'deadline', 'miss_count', 'current_notice', 'id'], name='finding_top_status'),
        ),
        migrations.RunPython(analyse_again("issues_finding"), migrations.RunPython.noop, elidable=True),
    ]
