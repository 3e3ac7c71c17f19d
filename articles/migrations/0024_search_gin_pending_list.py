"""PostgreSQL: the search GIN index takes new rows into a small pending list (fastupdate on, at most
256 kB) instead of into the tree one row at a time.

Why: with fastupdate off (migration 0015) every written story inserted each of its few hundred
words into the index tree separately; an import spent 5 s of every 20,000 stories there, against
1 s with the pending list, which is merged into the tree in bulk whenever it fills. Capped at
256 kB, the list a search has to scan besides the tree is a few dozen pages: a fraction of a
millisecond, where the default 4 MB would cost every search several. SQLite is untouched.
"""

from django.db import migrations

FORWARD = "ALTER INDEX articles_search_vector_gin SET (fastupdate = on, gin_pending_list_limit = 256)"
BACKWARD = "ALTER INDEX articles_search_vector_gin SET (fastupdate = off)"


def _run(statement):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(statement)

    return run


class Migration(migrations.Migration):
    dependencies = [
        ("articles", "0023_page_scope"),
    ]

    operations = [
        migrations.RunPython(_run(FORWARD), _run(BACKWARD), elidable=False),
    ]
