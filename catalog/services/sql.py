"""PostgreSQL bulk writes without model instances: COPY rows in, UPDATE many rows by pk,
and stages (temporary tables filled by COPY) that one statement merges into a table."""

import itertools
from collections.abc import Iterable, Sequence

from django.db import connection, models

_UPDATE_PARAMS = 30_000  # query parameters per UPDATE ... FROM (VALUES ...) (PostgreSQL: 65,535)


def copy_rows(cursor, model: type[models.Model], columns: Sequence[str], rows: Iterable) -> None:
    quote = connection.ops.quote_name
    statement = (
        f"COPY {quote(model._meta.db_table)} ({', '.join(quote(c) for c in columns)}) FROM STDIN"
    )
    with cursor.copy(statement) as copy:
        for row in rows:
            copy.write_row(row)


def update_rows_by_pk(
    model: type[models.Model], field_names: Sequence[str], rows: Sequence[tuple]
) -> int:
    """PostgreSQL only: set `field_names` of many rows of `model`, each row given as (pk,
    *values in field order), with one `UPDATE ... FROM (VALUES ...)` per few thousand rows
    (Django's `bulk_update` builds a CASE per field and value). Return the rows updated."""
    opts = model._meta
    quote = connection.ops.quote_name
    fields = [opts.pk, *(opts.get_field(name) for name in field_names)]
    columns = [quote(field.column) for field in fields]
    types = [
        opts.pk.rel_db_type(connection),
        *(field.db_type(connection) for field in fields[1:]),
    ]
    pk = columns[0]
    assignments = ", ".join(f"{column} = v.{column}" for column in columns[1:])
    first_row = "(" + ", ".join(f"%s::{db_type}" for db_type in types) + ")"
    other_row = "(" + ", ".join(["%s"] * len(fields)) + ")"
    batch_size = max(1, _UPDATE_PARAMS // len(fields))
    updated = 0
    with connection.cursor() as cursor:
        for start in range(0, len(rows), batch_size):
            batch = rows[start : start + batch_size]
            values = ", ".join([first_row, *([other_row] * (len(batch) - 1))])
            cursor.execute(  # identifiers from the model's metadata, values as parameters
                f"UPDATE {quote(opts.db_table)} AS p SET {assignments} "  # noqa: S608
                f"FROM (VALUES {values}) AS v({', '.join(columns)}) WHERE p.{pk} = v.{pk}",
                [value for row in batch for value in row],
            )
            updated += cursor.rowcount
    return updated


_stage_numbers = itertools.count()


class Stage:
    """PostgreSQL only, inside a transaction: a temporary table (dropped at commit, or by
    `drop`) with `columns` (name -> SQL type), filled by COPY (`write`, as often as needed),
    for statements that merge it into the real tables in one go."""

    def __init__(self, cursor, *, prefix: str, columns: dict[str, str]):
        self.cursor = cursor
        self.columns = list(columns)
        self.table = connection.ops.quote_name(f"{prefix}_{next(_stage_numbers)}")
        definition = ", ".join(f"{connection.ops.quote_name(c)} {t}" for c, t in columns.items())
        # Temporary tables live in the session's transaction: with ON COMMIT DROP nothing
        # outlives it, so a transaction-pooling PgBouncer is fine with them.
        cursor.execute(f"CREATE TEMPORARY TABLE {self.table} ({definition}) ON COMMIT DROP")

    def write(self, rows: Iterable) -> None:
        quote = connection.ops.quote_name
        statement = f"COPY {self.table} ({', '.join(quote(c) for c in self.columns)}) FROM STDIN"
        with self.cursor.copy(statement) as copy:
            for row in rows:
                copy.write_row(row)

    def drop(self) -> None:
        self.cursor.execute(f"DROP TABLE {self.table}")


def column_types(model: type[models.Model], field_names: Sequence[str]) -> dict[str, str]:
    """column -> SQL type of `model`'s `field_names`, for a Stage shaped like them."""
    opts = model._meta
    types = {}
    for name in field_names:
        field = opts.get_field(name)
        types[field.column] = (
            field.rel_db_type(connection) if field.primary_key else field.db_type(connection)
        )
    return types


def update_rows_from_stage(
    model: type[models.Model], field_names: Sequence[str], rows: Iterable[tuple]
) -> int:
    """PostgreSQL only: set `field_names` of many rows of `model`, each row given as (pk,
    *values in field order): one COPY into a Stage and one `UPDATE ... FROM` it, whatever
    the number of rows. Return the rows updated."""
    opts = model._meta
    quote = connection.ops.quote_name
    columns = column_types(model, [opts.pk.name, *field_names])
    pk, *others = columns
    with connection.cursor() as cursor:
        stage = Stage(cursor, prefix=f"stage_{opts.db_table}", columns=columns)
        stage.write(rows)
        assignments = ", ".join(f"{quote(c)} = s.{quote(c)}" for c in others)
        cursor.execute(  # identifiers from the model's metadata
            f"UPDATE {quote(opts.db_table)} AS p SET {assignments} "  # noqa: S608
            f"FROM {stage.table} AS s WHERE p.{quote(pk)} = s.{quote(pk)}"
        )
        updated = cursor.rowcount
        stage.drop()
    return updated
