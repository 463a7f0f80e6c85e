"""Rows written with PostgreSQL's COPY: an import's millions of comments cost what the
database takes to store them, not what building a model instance and an INSERT's
parameters costs per row in Python (several times more, measured)."""

import csv
import io
from operator import itemgetter

from django.db import connection, models
from django.utils import timezone

ROWS_PER_COPY = 20_000


def next_ids(model: type[models.Model], count: int) -> list[int]:
    """`count` primary keys taken from the table's own sequence, for rows written later
    (replies can name their parents' ids before any of them is written)."""
    if not count:
        return []
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
            [model._meta.db_table, model._meta.pk.column, count],
        )
        return [row[0] for row in cursor.fetchall()]


def copy_rows(model: type[models.Model], rows: list[dict]) -> None:
    """Insert `rows` (dicts of field attnames → values, primary key included) into the
    model's table. Fields a row leaves out get the model's Python default, as a new
    instance would; auto_now fields get the time of the call.

    COPY's CSV format, written by the csv module (in C): every value quoted but numbers,
    and "" read as NULL in the nullable columns (none of them is text, where "" is a
    value)."""
    if not rows:
        return
    now = timezone.now()
    blank = model()
    fields = [
        field
        for field in model._meta.concrete_fields
        if not isinstance(field, models.GeneratedField)
    ]
    defaults = {}
    for field in fields:
        if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
            defaults[field.attname] = now
        else:
            defaults[field.attname] = field.get_db_prep_save(
                getattr(blank, field.attname), connection
            )
    quote = connection.ops.quote_name
    columns = ", ".join(quote(field.column) for field in fields)
    nullable = ", ".join(quote(field.column) for field in fields if field.null)
    options = "FORMAT csv" + (f", FORCE_NULL ({nullable})" if nullable else "")
    statement = f"COPY {quote(model._meta.db_table)} ({columns}) FROM STDIN WITH ({options})"
    values_of = itemgetter(*(field.attname for field in fields))
    with connection.cursor() as cursor:
        for start in range(0, len(rows), ROWS_PER_COPY):
            buffer = io.StringIO()
            writer = csv.writer(buffer, quoting=csv.QUOTE_NONNUMERIC, lineterminator="\n")
            writer.writerows(
                values_of({**defaults, **row}) for row in rows[start : start + ROWS_PER_COPY]
            )
            buffer.seek(0)
            cursor.copy_expert(statement, buffer)
