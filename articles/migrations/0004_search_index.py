"""The full-text search index (see articles/search.py), for whichever database this is.

Neither structure is a model: Article is shared by SQLite and PostgreSQL, and each keeps its own
kind of index beside it. Rows are keyed by the article id without a foreign key: on PostgreSQL a
foreign key would make Django's ``flush`` (TRUNCATE, used by transactional tests and live-server
tests) refuse to empty articles_article. Deleting an article deletes its row through a signal, and
every search joins to articles_article anyway.

SQL is written out here, not imported, so this migration keeps doing what it did when the search
module changes; only the Markdown-free text extraction is shared.
"""

from django.db import migrations

SQLITE_CREATE = """
CREATE VIRTUAL TABLE articles_search_index USING fts5(
    headline, dek, tags, body, tokenize = 'porter unicode61 remove_diacritics 2'
)
"""
SQLITE_DROP = "DROP TABLE IF EXISTS articles_search_index"
SQLITE_WRITE = """
INSERT OR REPLACE INTO articles_search_index (rowid, headline, dek, tags, body)
VALUES (%s, %s, %s, (
    SELECT coalesce(group_concat(t.name, ', '), '') FROM articles_taggedarticle ta
    JOIN articles_tag t ON t.id = ta.tag_id WHERE ta.content_object_id = %s
), %s)
"""

POSTGRESQL_CREATE = [
    """
    CREATE TABLE articles_search_document (
        article_id bigint PRIMARY KEY,
        headline text NOT NULL DEFAULT '',
        dek text NOT NULL DEFAULT '',
        tags text NOT NULL DEFAULT '',
        body text NOT NULL DEFAULT '',
        -- The ' ' lexeme (no query can contain it) opens a gap of 64 positions between
        -- fields, so a "quoted phrase" never matches across the end of one and the start of the
        -- next, just as FTS5 keeps its columns apart.
        document tsvector GENERATED ALWAYS AS (
            setweight(to_tsvector('english'::regconfig, headline), 'A') || $$' ':64$$::tsvector
            || setweight(to_tsvector('english'::regconfig, dek), 'B') || $$' ':64$$::tsvector
            || setweight(to_tsvector('english'::regconfig, tags), 'B') || $$' ':64$$::tsvector
            || setweight(to_tsvector('english'::regconfig, body), 'C')
        ) STORED
    )
    """,
    "CREATE INDEX articles_search_document_gin ON articles_search_document USING gin (document)",
]
POSTGRESQL_DROP = "DROP TABLE IF EXISTS articles_search_document"
POSTGRESQL_WRITE = """
INSERT INTO articles_search_document (article_id, headline, dek, tags, body)
VALUES (%s, %s, %s, (
    SELECT coalesce(string_agg(t.name, ', ' ORDER BY t.name), '') FROM articles_taggedarticle ta
    JOIN articles_tag t ON t.id = ta.tag_id WHERE ta.content_object_id = %s
), %s)
"""
# Private-use characters the search module reserves for its own markers (see search.py).
MARKERS = str.maketrans("", "", "\ue000\ue001\ue002\ue003")


def _text(value, vendor):
    import unicodedata

    value = unicodedata.normalize("NFC", (value or "").translate(MARKERS))
    if vendor == "postgresql":  # ts_headline drops tag-shaped text; the search module maps these back
        value = value.replace("<", "\ue002").replace(">", "\ue003")
    return value


def create_index(apps, schema_editor):
    from articles.search import plain_text

    vendor = schema_editor.connection.vendor
    if vendor == "sqlite":
        schema_editor.execute(SQLITE_CREATE)
        write = SQLITE_WRITE
    elif vendor == "postgresql":
        for statement in POSTGRESQL_CREATE:
            schema_editor.execute(statement)
        write = POSTGRESQL_WRITE
    else:
        return
    Article = apps.get_model("articles", "Article")
    articles = Article.objects.using(schema_editor.connection.alias).only("headline", "dek", "body_html")
    with schema_editor.connection.cursor() as cursor:
        for article in articles.iterator(chunk_size=500):
            cursor.execute(
                write,
                [
                    article.pk,
                    _text(article.headline, vendor),
                    _text(article.dek, vendor),
                    article.pk,
                    _text(plain_text(article.body_html), vendor),
                ],
            )


def drop_index(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "sqlite":
        schema_editor.execute(SQLITE_DROP)
    elif vendor == "postgresql":
        schema_editor.execute(POSTGRESQL_DROP)


class Migration(migrations.Migration):
    dependencies = [
        ("articles", "0003_reporter_and_editor_groups"),
    ]

    operations = [
        migrations.RunPython(create_index, drop_index, elidable=False),
    ]
