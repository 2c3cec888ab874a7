"""`field__any_of=ids`: `field__in` for long lists of ids.

On PostgreSQL the list is sent as one array parameter (`field = ANY(%s)`) instead of one
parameter per id: for the thousands of member ids a lifecycle rule names, building,
sending and planning `IN (%s, %s, …)` took several times longer than the query itself.
Elsewhere it is plain `IN`.
"""

from __future__ import annotations

from django.db.models import Field, ForeignObject
from django.db.models.lookups import In


@Field.register_lookup
class AnyOf(In):
    lookup_name = "any_of"

    def as_postgresql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        field = self.lhs.output_field
        values = [field.get_db_prep_value(getattr(v, "pk", v), connection) for v in self.rhs]
        return f"{lhs} = ANY(%s)", (*lhs_params, values)


# Relations keep a lookup table of their own (it stops at ForeignObject, not Field).
ForeignObject.register_lookup(AnyOf)
