"""`field__in_ids=IdList([…])`: the rows of `field__in`, for long lists of integer ids.

Django resolves, prepares, compiles and binds every value of an `__in` list one by one; with the
2,000 ids of an export or recount chunk that costs more than the query itself. This lookup sends
the whole list as one parameter: a JSON array read by `json_each` on SQLite, an array compared
with `= ANY` on PostgreSQL. Wrapping the list in `IdList` also keeps Django from walking it value by
value while it builds the filter.
"""

from __future__ import annotations

import json
from collections.abc import Iterable

from django.db.models import Field, ForeignObject, Lookup


class IdList:
    __slots__ = ("values",)

    def __init__(self, values: Iterable[int]):
        self.values = [int(value) for value in values]


class InIds(Lookup):
    lookup_name = "in_ids"
    prepare_rhs = False

    def get_prep_lookup(self):
        return self.rhs.values if isinstance(self.rhs, IdList) else [int(value) for value in self.rhs]

    def as_sql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        if connection.vendor == "postgresql":
            # typed: psycopg would send small ids as smallint[], which no bigint index can serve
            return f"{lhs} = ANY(%s::bigint[])", (*lhs_params, self.rhs)
        return f"{lhs} IN (SELECT value FROM json_each(%s))", (*lhs_params, json.dumps(self.rhs))  # nosec B608


Field.register_lookup(InIds)
ForeignObject.register_lookup(InIds)  # related fields keep their own set of lookups
