"""PostgreSQL bulk writes without model instances: COPY rows in, UPDATE many rows by pk."""

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
