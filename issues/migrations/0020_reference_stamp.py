"""A second stamp row: the reference version, raised by triggers on every write to the tables the
ledger's filter lists its options from (units, site types, index categories and items, inspection
rounds). The option lists are kept under it (issues.pagecache.kept_options): findings change all
day, these tables seldom, so a page drawn after a finding's change still finds its thousand units
listed.

SQLite only, as the ledger stamp (migration 0019 says why).
"""

from django.db import migrations

from issues import stamps

TABLES = ("issues_unit", "issues_sitetype", "issues_indexcategory", "issues_indexitem", "issues_inspectionround")


class Migration(migrations.Migration):
    dependencies = [("issues", "0019_ledger_stamp")]

    operations = [stamps.operation(row=2, tables=TABLES, suffix="reference")]
