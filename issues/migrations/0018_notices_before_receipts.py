"""Notices already open when receipts (签收) arrived were sent before anyone could sign for them.

They are marked as reminded, so the first receipt-reminder run does not send every unit a reminder
for each of its open notices at once; they still show as not signed for on /receipts/.
"""

from django.db import migrations
from django.utils import timezone


def mark_reminded(apps, schema_editor):
    Notice = apps.get_model("issues", "Notice")
    Notice.objects.filter(outcome="open", acknowledged_at__isnull=True, receipt_reminded_at__isnull=True).update(
        receipt_reminded_at=timezone.now()
    )


class Migration(migrations.Migration):
    dependencies = [("issues", "0017_field_practice")]

    operations = [migrations.RunPython(mark_reminded, migrations.RunPython.noop)]
