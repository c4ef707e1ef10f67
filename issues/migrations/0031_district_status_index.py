"""A district's status tab and overdue box (超期未整改) read one index: its rows of one status in date
order, with the deadline, misses and notice the overdue test and the tab counts read.

Without statistics for it, SQLite took the new index for the district's whole ledger too: the finding
table is analysed again where it was analysed before (_statistics.py; under a second for 500,000
findings).
"""

from django.db import migrations, models

from issues.migrations._statistics import analyse_again


class Migration(migrations.Migration):

    dependencies = [
        ("issues", "0030_reference_checklists"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="finding",
            index=models.Index(fields=["lead_top", "status", "found_on", "closed_on", "deadline", "miss_count", "current_notice"],
                               name="finding_top_status"),
        ),
        migrations.RunPython(analyse_again("issues_finding"), migrations.RunPython.noop, elidable=True),
    ]
