"""Imports at scale, in small: generated coverage goes in with batched writes and comes back unchanged.

``make bench-import`` measures the real thing (100,000 articles); these check, on a few hundred
generated files, what makes it scale: the write phase's queries do not grow with the articles, an
unchanged re-import writes nothing, and the batch writes leave what one-by-one saves would (search
index, revisions, redirects).
"""

import pytest
from django.db import DataError, connection, transaction
from django.test.utils import CaptureQueriesContext

from articles.importing import import_paths
from articles.models import Article, ArticleAuthor, SlugRedirect, Status, TaggedArticle
from articles.search import search_articles
from perf.generate import write_articles


def generate(folder, count, *, seed=7, format="md"):
    write_articles(folder, count=count, seed=seed, extension=format)
    return folder


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    """300 generated Markdown files, made once for the module."""
    return generate(tmp_path_factory.mktemp("generated"), 300)


def queries_to_import(folder):
    """Return (queries, report) of importing ``folder``, rolled back afterwards."""
    with transaction.atomic():
        with CaptureQueriesContext(connection) as queries:
            report = import_paths([folder])
        transaction.set_rollback(True)
    return len(queries), report


def test_the_generator_is_deterministic_and_a_smaller_set_starts_a_larger_one(tmp_path):
    small, large, other = tmp_path / "small", tmp_path / "large", tmp_path / "other"
    generate(small, 3, seed=1)
    generate(large, 5, seed=1)
    generate(other, 3, seed=2)

    files = sorted(path.relative_to(small) for path in small.rglob("*.md"))
    assert [str(path) for path in files] == ["000/s1-000000.md", "000/s1-000001.md", "000/s1-000002.md"]
    for path in files:
        assert (small / path).read_bytes() == (large / path).read_bytes()
    assert (small / files[0]).read_text() != (other / "000" / "s2-000000.md").read_text()


@pytest.mark.parametrize("format", ["md", "txt"])
def test_every_generated_file_imports_cleanly(db, tmp_path, format):
    folder = generate(tmp_path, 120, format=format)

    report = import_paths([folder])

    assert (report.problems, report.warnings) == ([], [])
    assert report.summary() == "120 created, 0 updated, 0 unchanged, 0 skipped, 0 failed"
    assert Article.objects.count() == 120
    assert Article.objects.filter(body_html__contains="<h2>").exists()  # subheadings
    if format == "md":
        assert Article.objects.values("section").distinct().count() > 3
        assert ArticleAuthor.objects.count() >= 120
        assert TaggedArticle.objects.count() >= 240
        assert Article.objects.filter(status=Status.PUBLISHED).count() > 90


def test_write_phase_queries_do_not_grow_with_the_articles(db, tmp_path):
    fewer, report_fewer = queries_to_import(generate(tmp_path / "fewer", 100))
    more, report_more = queries_to_import(generate(tmp_path / "more", 300))

    assert (report_fewer.created, report_more.created) == (100, 300)
    # Rows go in multi-row statements, as many rows to a statement as the database's limit on
    # parameters allows (about 45 articles on SQLite): 200 more articles cost a handful of
    # statements, where one save per article would cost over a thousand.
    assert more - fewer <= 200 // 10, (fewer, more)


def test_reimporting_unchanged_files_reports_all_unchanged_and_writes_nothing(db, generated):
    import_paths([generated])
    versions = dict(Article.objects.values_list("pk", "edit_version"))

    with CaptureQueriesContext(connection) as queries:
        report = import_paths([generated])

    assert report.summary() == "0 created, 0 updated, 300 unchanged, 0 skipped, 0 failed"
    assert dict(Article.objects.values_list("pk", "edit_version")) == versions
    writes = [query["sql"] for query in queries if query["sql"].startswith(("INSERT", "UPDATE", "DELETE"))]
    assert writes == []


def test_batch_written_articles_are_searchable_with_their_tags(db, generated):
    import_paths([generated])
    article = Article.objects.filter(tags__isnull=False).order_by("pk").first()
    tag = article.tags.first()
    just_this = Article.objects.filter(pk=article.pk)

    assert list(search_articles(article.headline, just_this)) == [article]
    assert list(search_articles(f'"{tag.name}"', just_this)) == [article]
    assert len(search_articles(article.headline.split()[-1], Article.objects.all())) > 1


def test_batch_writes_keep_a_revision_of_every_article(db, generated):
    import_paths([generated])

    article = Article.objects.order_by("pk").first()
    assert Article.history.filter(history_type="+").count() == 300
    assert article.history.get().headline == article.headline
    assert article.edit_version == 1  # as a first save leaves it
    assert article.body_html.startswith("<p>") and article.word_count > 100


def test_a_changed_batch_is_updated_with_revisions_redirects_and_search(db, tmp_path):
    folder = generate(tmp_path, 300)
    import_paths([folder])
    changed = sorted(folder.rglob("*.md"))[:5]
    for number, path in enumerate(changed):
        text = path.read_text().replace("---\ntitle: ", f"---\nslug: moved-{number}\ntitle: Revised ", 1)
        path.write_text(text)
    source_id = changed[0].relative_to(folder).with_suffix("").as_posix()  # its path in the folder
    old_slug = Article.objects.get(source_id=source_id).slug

    report = import_paths([folder])

    assert report.summary() == "0 created, 5 updated, 295 unchanged, 0 skipped, 0 failed"
    article = Article.objects.get(source_id=source_id)
    assert (article.slug, article.edit_version) == ("moved-0", 2)
    assert article.headline.startswith("Revised ")
    assert SlugRedirect.objects.get(old_slug=old_slug).article == article
    assert [record.history_type for record in article.history.order_by("history_date")] == ["+", "~"]
    assert Article.history.filter(history_type="~").count() == 5
    assert list(search_articles("revised", Article.objects.all()))[0].headline.startswith("Revised ")


def snapshot():
    articles = Article.objects.order_by("source_id").prefetch_related("tags", "bylines__author")
    return [
        (
            article.source_id, article.slug, article.headline, article.dek, article.body_html,
            article.word_count, article.section.name, article.status, article.published_at,
            [byline.author.name for byline in article.bylines.all()], sorted(article.tags.names()),
        )
        for article in articles.select_related("section")
    ]  # fmt: skip


def test_a_large_import_in_worker_processes_and_many_batches_writes_the_same(db, generated, monkeypatch):
    with transaction.atomic():
        import_paths([generated])
        in_one_process = snapshot()
        transaction.set_rollback(True)
    # What a 100,000-file import does, on 300: parse and render in worker processes, 8 batches.
    monkeypatch.setattr("articles.importing.reading.PARALLEL_MIN_FILES", 1)
    monkeypatch.setattr("articles.importing.writing.WRITE_BATCH", 40)

    report = import_paths([generated])

    assert report.summary() == "300 created, 0 updated, 0 unchanged, 0 skipped, 0 failed"
    assert snapshot() == in_one_process
    assert [outcome.path for outcome in report.outcomes] == sorted(generated.rglob("*.md"))


def test_an_import_of_many_batches_retires_the_cached_pages_once(db, generated, monkeypatch):
    """Every cached page is retired by the import, but once, after the last batch: the content
    version is one row, and updating it per batch inside the import's one transaction made each
    update slower than the last (a quarter of a million-story import's time on PostgreSQL)."""
    from articles import caching

    monkeypatch.setattr("articles.importing.writing.WRITE_BATCH", 40)
    before = caching.current_version()
    with CaptureQueriesContext(connection) as queries:
        report = import_paths([generated])
    assert report.created == 300
    assert caching.current_version() == before + 1
    bump = 'UPDATE "articles_contentversion"'
    assert sum(query["sql"].startswith(bump) for query in queries.captured_queries) == 1


def test_every_batchs_search_rows_are_written_while_the_next_batch_is_made_ready(db, generated, monkeypatch):
    """On PostgreSQL a batch's search rows are written while the importer prepares the next one
    (search.start_indexing): every batch's, the last one's included, must be in the index."""
    monkeypatch.setattr("articles.importing.writing.WRITE_BATCH", 40)
    report = import_paths([generated])
    assert report.created == 300
    for article in Article.objects.all():
        just_this = Article.objects.filter(pk=article.pk)
        assert list(search_articles(f'"{article.headline}"', just_this)) == [article], article.source_id


@pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite writes the search rows at once")
def test_a_search_row_the_database_refuses_while_the_next_batch_is_made_fails_the_import_whole(
    db, generated, monkeypatch
):
    """The index write of a batch is only waited for at the next statement: its error must still
    stop the import and roll every batch back, as an error anywhere else does."""
    from articles.search import backends

    monkeypatch.setattr("articles.importing.writing.WRITE_BATCH", 40)
    stored = backends._stored
    # PostgreSQL refuses a NUL in text: the third batch's rows carry one.
    monkeypatch.setattr(backends, "_stored", lambda text: stored(text) + ("\x00" if "Poison" in text else ""))
    poisoned = sorted(generated.rglob("*.md"))[100]
    original = poisoned.read_text(encoding="utf-8")
    poisoned.write_text(original.replace("\n---\n", "\n---\n\nPoison.\n", 1), encoding="utf-8")
    try:
        with pytest.raises(DataError):
            import_paths([generated])
    finally:
        poisoned.write_text(original, encoding="utf-8")
    assert not Article.objects.exists()
