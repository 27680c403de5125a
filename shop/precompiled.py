"""SELECTs of the order path written once, from the models' metadata, instead of compiled
by the ORM on every call (compiling a query with joins costs more CPU than the database
spends running it). Rows become model instances as the ORM makes them: `Model.from_db`
after the fields' own converters (JSON, time zones), with the joined rows attached as if
by `select_related`.
"""

from collections.abc import Sequence

from django.db import connection
from django.db.models import Model


class PrecompiledSelect:
    """`SELECT <model and related columns> FROM <model> JOIN <related> WHERE <where>
    [ORDER BY ...] [FOR UPDATE]`: `where` is SQL over the alias `t` (the model's table)
    with %s parameters; `related` names foreign keys of the model (non-null) to join."""

    def __init__(
        self,
        model: type[Model],
        *,
        where: str,
        related: Sequence[str] = (),
        order_by: str = "",
        for_update: bool = False,
    ):
        self.model = model
        self.related = [(name, model._meta.get_field(name)) for name in related]
        self._sql = None
        self._where, self._order_by, self._for_update = where, order_by, for_update

    def _build(self):
        quote = connection.ops.quote_name
        parts = [(self.model, "t")] + [
            (field.related_model, f"r{i}") for i, (_name, field) in enumerate(self.related)
        ]
        columns, self._layout = [], []
        for model, alias in parts:
            fields = list(model._meta.concrete_fields)
            columns += [f"{alias}.{quote(field.column)}" for field in fields]
            converters = []
            for field in fields:
                expression = field.get_col(alias)
                found = connection.ops.get_db_converters(expression)
                found += field.get_db_converters(connection)
                converters.append([(converter, expression) for converter in found])
            self._layout.append((model, [field.attname for field in fields], converters))
        joins = " ".join(
            f"JOIN {quote(field.related_model._meta.db_table)} r{i} "
            f"ON r{i}.{quote(field.target_field.column)} = t.{quote(field.column)}"
            for i, (_name, field) in enumerate(self.related)
        )
        # Identifiers from the models' metadata and the caller's constant SQL; values are
        # always parameters.
        table = quote(self.model._meta.db_table)
        sql = f"SELECT {', '.join(columns)} FROM {table} t {joins} WHERE {self._where}"  # noqa: S608
        if self._order_by:
            sql += f" ORDER BY {self._order_by}"
        if self._for_update and connection.features.has_select_for_update:
            sql += " FOR UPDATE OF t" if self.related else " FOR UPDATE"
        self._sql = sql

    def fetch(self, params: Sequence) -> list[Model]:
        """The matching rows as instances of the model, related instances attached."""
        if self._sql is None:
            self._build()
        with connection.cursor() as cursor:
            cursor.execute(self._sql, params)
            rows = cursor.fetchall()
        return [self._instance(row) for row in rows]

    def _instance(self, row) -> Model:
        instances, start = [], 0
        for model, attnames, converters in self._layout:
            values = list(row[start : start + len(attnames)])
            start += len(attnames)
            for position, field_converters in enumerate(converters):
                for converter, expression in field_converters:
                    values[position] = converter(values[position], expression, connection)
            instances.append(model.from_db(connection.alias, attnames, values))
        main = instances[0]
        for (name, _field), related in zip(self.related, instances[1:], strict=True):
            setattr(main, name, related)
        return main
