"""Plain-value inserts for the few writes that come by the hundred thousand (an import's bylines,
taggings and audit records)."""

from django.db import connections, router


def insert_rows(model, field_names, rows):
    """Insert ``rows``, tuples of database-ready values for ``field_names``, into ``model``'s table
    in one call.

    bulk_create would build a model instance and compile SQL for every row, which costs several
    times the insert. Like bulk_create, it sends no signals; unlike it, the values must already be
    as the database takes them (ids, not instances; datetimes through the backend's adapters).
    """
    if not rows:
        return
    connection = connections[router.db_for_write(model)]
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    columns = ", ".join(quote(model._meta.get_field(name).column) for name in field_names)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # COPY: one stream for the lot, where executemany sends a statement per row.
            with connection.wrap_database_errors, cursor.cursor.copy(
                f"COPY {table} ({columns}) FROM STDIN"
            ) as copy:
                for row in rows:
                    copy.write_row(row)
            return
        values = ", ".join(["%s"] * len(field_names))
        cursor.executemany(f"INSERT INTO {table} ({columns}) VALUES ({values})", rows)
