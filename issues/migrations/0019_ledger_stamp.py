"""Once a version stamp for a page cache of the ledger, since taken out (migration 0021 drops what it
left behind). Kept empty so that the migrations applied to a database still name a file."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("issues", "0018_notices_before_receipts")]

    operations = []
