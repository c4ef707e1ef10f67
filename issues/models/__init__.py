"""The domain model of the rectification ledger (docs/rules.md), one module per domain, all
re-exported here: `from issues.models import Finding` stays the way to reach a model.

Rules for the code here: no business logic in save(), signals or managers; every write that
changes a state goes through the services and records an AuditEvent in the same transaction.
Nothing a user created is deleted: findings are voided, sanctions lifted.
"""

from issues.models.assessment import *  # noqa: F403
from issues.models.audit import *  # noqa: F403
from issues.models.choices import *  # noqa: F403
from issues.models.field import *  # noqa: F403
from issues.models.findings import *  # noqa: F403
from issues.models.index import *  # noqa: F403
from issues.models.jobs import *  # noqa: F403
from issues.models.materials import *  # noqa: F403
from issues.models.messages import *  # noqa: F403
from issues.models.policy import *  # noqa: F403
from issues.models.rankings import *  # noqa: F403
from issues.models.reports import *  # noqa: F403
from issues.models.sanctions import *  # noqa: F403
from issues.models.surveys import *  # noqa: F403
from issues.models.units import *  # noqa: F403
