"""Once a second version stamp for the ledger's option lists, since taken out (see migration 0021)."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("issues", "0019_ledger_stamp")]

    operations = []
