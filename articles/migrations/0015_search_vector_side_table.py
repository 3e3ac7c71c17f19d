"""PostgreSQL: the search tsvector moves out of articles_search_document into a narrow side table.

Why: a two-word query (two common words, a few per cent of the archive) was ranked by walking the
primary key backwards and testing each wide row (headline, dek, tags, body and the tsvector) until
1,000 matched: some 25,000 rows read, over 100 ms at 100,000 stories. ``articles_search_vector``
holds only (article_id, document); the tsvector itself lives out of line (toast_tuple_target), so
the table proper is a few MB, a bitmap scan of the GIN index visits its rows cheaply, and only the
rows that are ranked have their tsvector read. The GIN index has fastupdate off: a search never
scans a pending list. A trigger keeps the side table in step with every write to the text table,
so the writing code does not change. SQLite is untouched.
"""

from django.db import migrations

DOCUMENT = """
    setweight(to_tsvector('english'::regconfig, {row}headline), 'A') || $$' ':64$$::tsvector
    || setweight(to_tsvector('english'::regconfig, {row}dek), 'B') || $$' ':64$$::tsvector
    || setweight(to_tsvector('english'::regconfig, {row}tags), 'B') || $$' ':64$$::tsvector
    || setweight(to_tsvector('english'::regconfig, {row}body), 'C')
"""

FORWARD = [
    """
    CREATE TABLE articles_search_vector (
        article_id bigint PRIMARY KEY,
        document tsvector NOT NULL
    ) WITH (toast_tuple_target = 128)
    """,
    # Out of line and uncompressed: reading one for ranking is one toast fetch, no decompression.
    "ALTER TABLE articles_search_vector ALTER COLUMN document SET STORAGE EXTERNAL",
    "INSERT INTO articles_search_vector (article_id, document) "
    "SELECT article_id, document FROM articles_search_document ORDER BY article_id",
    "CREATE INDEX articles_search_vector_gin ON articles_search_vector USING gin (document) "
    "WITH (fastupdate = off)",
    f"""
    CREATE FUNCTION articles_search_vector_sync() RETURNS trigger LANGUAGE plpgsql AS $body$
    BEGIN
        IF TG_OP = 'DELETE' THEN
            DELETE FROM articles_search_vector WHERE article_id = OLD.article_id;
            RETURN OLD;
        END IF;
        INSERT INTO articles_search_vector (article_id, document)
        VALUES (NEW.article_id, {DOCUMENT.format(row="NEW.")})
        ON CONFLICT (article_id) DO UPDATE SET document = EXCLUDED.document;
        RETURN NEW;
    END
    $body$
    """,
    "CREATE TRIGGER articles_search_vector_sync AFTER INSERT OR UPDATE OR DELETE "
    "ON articles_search_document FOR EACH ROW EXECUTE FUNCTION articles_search_vector_sync()",
    "ALTER TABLE articles_search_document DROP COLUMN document",  # its GIN index goes with it
    # The ids of the matches in (low, high], through the GIN index and the key's range (a bitmap
    # scan), never by a scan that reads each row's tsvector to test it: the planner does not count
    # that reading, and took such scans for words in a fifth of the archive (some 25,000 rows).
    """
    CREATE FUNCTION articles_search_matches(query tsquery, low bigint, high bigint)
    RETURNS SETOF bigint LANGUAGE sql STABLE SET enable_seqscan = off SET enable_indexscan = off
    AS $body$
        SELECT article_id FROM articles_search_vector
        WHERE document @@ query AND article_id > low AND article_id <= high
    $body$
    """,
    # The visibility check (status and publication time by id) answered from the index alone.
    "CREATE INDEX article_id_visibility ON articles_article (id) INCLUDE (status, published_at)",
    "ANALYZE articles_search_vector",
]

BACKWARD = [
    "DROP INDEX article_id_visibility",
    "DROP FUNCTION articles_search_matches(tsquery, bigint, bigint)",
    f"ALTER TABLE articles_search_document ADD COLUMN document tsvector GENERATED ALWAYS AS "
    f"({DOCUMENT.format(row='')}) STORED",
    "CREATE INDEX articles_search_document_gin ON articles_search_document USING gin (document)",
    "DROP TRIGGER articles_search_vector_sync ON articles_search_document",
    "DROP FUNCTION articles_search_vector_sync()",
    "DROP TABLE articles_search_vector",
]


def _run(statements):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            for statement in statements:
                schema_editor.execute(statement)

    return run


class Migration(migrations.Migration):
    dependencies = [
        ("articles", "0014_sitemap_lastmod_indexes"),
    ]

    operations = [
        migrations.RunPython(_run(FORWARD), _run(BACKWARD), elidable=False),
    ]
