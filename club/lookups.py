"""`field__any_of=ids`: `field__in` for long lists of ids.

On PostgreSQL the list is sent as one array parameter (`field = ANY(%s)`) instead of one
parameter per id: for the thousands of member ids a lifecycle rule names, building,
sending and planning `IN (%s, %s, …)` took several times longer than the query itself. Integer ids
go as one array literal, each taken by int(): Django's preparation per value and psycopg's
list adapter (which looks at every element's type) cost 2.5 ms per thousand ids, more than
the lifecycle's queries by member took to run. Elsewhere it is plain `IN`.
"""

from __future__ import annotations

from django.db.models import Field, ForeignObject, IntegerField
from django.db.models.lookups import In


@Field.register_lookup
class AnyOf(In):
    lookup_name = "any_of"

    def get_prep_lookup(self):
        if self._of_integers():
            # Ids by the thousand: int() each, rather than the field's preparation per value.
            return [int(getattr(value, "pk", value)) for value in self.rhs if value is not None]
        return super().get_prep_lookup()

    def as_postgresql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        if self._of_integers():
            # One array literal: psycopg's list adapter looks at every element's type.
            return f"{lhs} = ANY(%s::bigint[])", (*lhs_params, _array_literal(self.rhs))
        field = self.lhs.output_field
        values = [field.get_db_prep_value(getattr(v, "pk", v), connection) for v in self.rhs]
        return f"{lhs} = ANY(%s)", (*lhs_params, values)

    def _of_integers(self) -> bool:
        field = self.lhs.output_field
        return isinstance(getattr(field, "target_field", field), IntegerField) and not hasattr(
            self.rhs, "resolve_expression"
        )


def _array_literal(ids) -> str:
    return "{" + ",".join(map(str, ids)) + "}"


# Relations keep a lookup table of their own (it stops at ForeignObject, not Field).
ForeignObject.register_lookup(AnyOf)
