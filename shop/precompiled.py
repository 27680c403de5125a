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
        # Built in locals and published at the end: threads may build it at the same time.
        columns, layout = [], []
        for model, alias in parts:
            fields = list(model._meta.concrete_fields)
            columns += [f"{alias}.{quote(field.column)}" for field in fields]
            converters = []
            for field in fields:
                expression = field.get_col(alias)
                found = connection.ops.get_db_converters(expression)
                found += field.get_db_converters(connection)
                converters.append([(converter, expression) for converter in found])
            layout.append((model, [field.attname for field in fields], converters))
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
        self._layout = layout
        self._sql = sql  # last: `fetch` builds again until this is set

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


class PrecompiledInsert:
    """`INSERT INTO <model> (<every concrete column but an auto primary key>) VALUES ...
    RETURNING <pk>` written once per row count, for new instances of `model`: each value
    prepared as `Model.save()` prepares it (`pre_save`, so `auto_now_add` stamps;
    `get_db_prep_save`), the new primary key set on the instance. Sends no `pre_save` or
    `post_save` signal: only for models nothing listens to."""

    def __init__(self, model: type[Model]):
        self.model = model
        self._sql: dict[int, str] = {}
        meta = model._meta
        self._fields = [
            field
            for field in meta.concrete_fields
            if not (field.primary_key and field.db_returning)
        ]

    def _statement(self, rows: int) -> str:
        if rows not in self._sql:
            quote = connection.ops.quote_name
            meta = self.model._meta
            columns = ", ".join(quote(field.column) for field in self._fields)
            row = "(" + ", ".join("%s" for _ in self._fields) + ")"
            self._sql[rows] = (
                f"INSERT INTO {quote(meta.db_table)} ({columns}) "  # noqa: S608 (metadata)
                f"VALUES {', '.join(row for _ in range(rows))} RETURNING {quote(meta.pk.column)}"
            )
        return self._sql[rows]

    def insert(self, instances: Sequence[Model]) -> None:
        """Insert `instances` (new, unsaved) in one statement; IntegrityError as the ORM's."""
        if not instances:
            return
        if not connection.features.can_return_rows_from_bulk_insert:  # an old SQLite
            for instance in instances:
                instance.save(force_insert=True)
            return
        params = [
            field.get_db_prep_save(field.pre_save(instance, True), connection)
            for instance in instances
            for field in self._fields
        ]
        with connection.cursor() as cursor:
            cursor.execute(self._statement(len(instances)), params)
            keys = [row[0] for row in cursor.fetchall()]
        for instance, key in zip(instances, keys, strict=True):
            instance.pk = key
            instance._state.adding = False
            instance._state.db = connection.alias
