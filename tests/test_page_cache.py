"""Anonymous pages come from the shared cache, and never with a stale visibility."""

import os
import subprocess
import sys
import time
import urllib.request
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
from django.db import connection, connections
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from articles import publishing
from articles.models import Status
from tests.conftest import free_port

PROJECT = Path(__file__).resolve().parent.parent
REDIS_URL = os.environ.get("NEWSROOM_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


def get(client, url):
    response = client.get(url)
    return response, response.content.decode()


@pytest.mark.django_db(transaction=True)
def test_second_request_is_served_from_the_cache_with_one_query(client, shared_cache, make_article):
    make_article("Envoy lands in Beijing", tags=["China"])
    first, _ = get(client, "/articles/")
    assert first["X-Cache"] == "miss"
    with CaptureQueriesContext(connection) as queries:
        second, page = get(client, "/articles/")
    assert second["X-Cache"] == "hit"
    # The content version, read from the database so a change made while Redis was unreachable
    # is never undone (tests/test_cache_outage.py): the one query a hit costs.
    assert len(queries) == 1
    assert "Envoy lands in Beijing" in page


@pytest.mark.django_db(transaction=True)
def test_unpublishing_retires_every_cached_page_at_once(client, shared_cache, make_article, editor):
    article = make_article("Envoy lands in Beijing", tags=["China"], section="Asia")
    urls = [
        "/", "/articles/", "/tags/china/", "/sections/asia/", article.get_absolute_url(),
        "/feeds/latest/", "/sitemap-articles.xml", "/api/articles/", "/search/?q=envoy",
    ]  # fmt: skip
    for url in urls:
        assert "Envoy lands in Beijing" in get(client, url)[1] or url.endswith(".xml"), url
        assert get(client, url)[0]["X-Cache"] == "hit", url
    publishing.unpublish(article, by=editor)
    for url in urls:
        response, page = get(client, url)
        assert "Envoy lands in Beijing" not in page, url
        assert article.slug not in page, url


@pytest.mark.django_db(transaction=True)
def test_a_scheduled_article_appears_when_its_time_comes(client, shared_cache, make_article, time_machine):
    make_article("Already out")
    time_machine.move_to(timezone.now())
    make_article("Embargoed communique", published_at=timezone.now() + timedelta(minutes=30))
    assert "Embargoed communique" not in get(client, "/articles/")[1]
    assert get(client, "/articles/")[0]["X-Cache"] == "hit"
    time_machine.shift(timedelta(minutes=31))
    response, page = get(client, "/articles/")
    assert "Embargoed communique" in page
    assert response["X-Cache"] == "miss"


@pytest.mark.django_db(transaction=True)
def test_signed_in_staff_and_previews_are_never_cached(client, shared_cache, make_article, editor):
    make_article("Envoy lands in Beijing")
    client.force_login(editor)
    for _ in range(2):
        response = client.get("/articles/")
        assert "X-Cache" not in response
    client.logout()
    client.cookies.clear()
    from articles.preview import preview_token

    draft = make_article("Secret draft", status=Status.DRAFT, published_at=None)
    for _ in range(2):
        assert "X-Cache" not in client.get(f"/preview/{preview_token(draft)}/")


@pytest.fixture
def unreachable_redis(settings):
    """The page cache pointed at a Redis that is not there."""
    settings.CACHES = {
        "default": {
            "BACKEND": "newsroom.redis_cache.SharedClientRedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",  # nothing listens there
            "OPTIONS": {"socket_connect_timeout": 0.2, "socket_timeout": 0.2},
        }
    }
    settings.NEWSROOM_PAGE_CACHE = True


@pytest.mark.django_db(transaction=True)
def test_site_keeps_serving_when_redis_is_down(client, unreachable_redis, make_article, caplog):
    make_article("Envoy lands in Beijing")
    response, page = get(client, "/articles/")
    assert response.status_code == 200 and "Envoy lands in Beijing" in page
    assert "X-Cache" not in response
    health = client.get("/healthz")
    assert health.status_code == 200
    expected = {"status": "ok", "database": "ok", "cache": "unreachable", "purges": "off", "replica": "off"}
    assert health.json() == expected


@pytest.mark.django_db(transaction=True)
def test_a_redis_outage_is_logged_once_not_on_every_request(client, unreachable_redis, make_article, caplog):
    make_article("Envoy lands in Beijing")
    for url in ("/articles/", "/", "/articles/"):
        assert client.get(url).status_code == 200
    outages = [record for record in caplog.records if "Page cache unreachable" in record.getMessage()]
    assert len(outages) == 1


@pytest.mark.django_db(transaction=True)
def test_a_long_url_is_cached_without_a_key_warning(client, shared_cache, make_article, recwarn):
    make_article("Envoy lands in Beijing")
    url = "/articles/?utm_campaign=" + "spring-" * 60  # past the 250 characters of a portable key
    assert get(client, url)[0]["X-Cache"] == "miss"
    response, page = get(client, url)
    assert response["X-Cache"] == "hit" and "Envoy lands in Beijing" in page
    assert [str(warning.message) for warning in recwarn] == []


def manage(env, *args):
    command = [sys.executable, "manage.py", *args]
    return subprocess.run(command, cwd=PROJECT, env=env, capture_output=True, text=True, timeout=120)


def fetch(url):
    with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 - loopback only
        return response.read().decode(), response.headers.get("X-Cache")


@pytest.mark.usefixtures("shared_cache")
def test_two_gunicorn_workers_sharing_redis_agree_after_an_unpublish(tmp_path):
    """Two real worker processes: after an editor unpublishes, neither serves the story again."""
    port = free_port()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "newsroom.settings",
        "DJANGO_SECRET_KEY": "test-only-" + uuid.uuid4().hex,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'site.sqlite3'}",
        "REDIS_URL": REDIS_URL,
        "NEWSROOM_PAGE_CACHE": "1",
        "DJANGO_STATIC_ROOT": str(tmp_path / "static"),
    }
    assert manage(env, "migrate", "--noinput").returncode == 0
    manage(env, "collectstatic", "--noinput")
    setup = manage(env, "load_sample_content")
    assert setup.returncode == 0, setup.stderr
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "newsroom.wsgi", "--workers", "2", "--bind", f"127.0.0.1:{port}"],
        cwd=PROJECT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                fetch(base + "/healthz")
                break
            except OSError:
                assert time.monotonic() < deadline, "gunicorn did not start"
                time.sleep(0.2)
        headline = "US Secretary of State Blinken Arrives in China"
        # Warm both workers' view of the cache: every request is a hit or a miss, all show the story.
        states = [fetch(base + "/articles/") for _ in range(20)]
        assert all(headline in page for page, _ in states)
        assert {state for _, state in states} >= {"hit"}

        unpublish = manage(
            env,
            "shell",
            "-c",
            "from articles.models import Article, Status; "
            f"a = Article.objects.get(headline__startswith={headline!r}); a.status = Status.DRAFT; a.save()",
        )
        assert unpublish.returncode == 0, unpublish.stderr
        for _ in range(20):  # the kernel spreads these over both workers
            for url in ("/articles/", "/", "/tags/china/", "/feeds/latest/", "/api/articles/"):
                page, _ = fetch(base + url)
                assert headline not in page, url
    finally:
        server.terminate()
        server.wait(timeout=10)


@pytest.mark.django_db(transaction=True)
def test_an_import_retires_cached_pages(client, shared_cache, make_article, tmp_path):
    from articles.importing import import_paths

    make_article("Already out")
    assert "Wire story arrives" not in get(client, "/articles/")[1]
    assert get(client, "/articles/")[0]["X-Cache"] == "hit"
    (tmp_path / "wire.txt").write_text("Wire story arrives\n\nThe envoy landed at dawn.\n", encoding="utf-8")
    report = import_paths([tmp_path], status="published")
    assert report.created == 1
    assert "Wire story arrives" in get(client, "/articles/")[1]


GZIP = {"accept-encoding": "gzip, deflate, br"}
# Set on the way out by middleware above the page cache, or by the cache itself.
PER_RESPONSE = {"X-Cache"}


def headers_of(response):
    return {name: value for name, value in response.items() if name not in PER_RESPONSE}


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("url", ["/", "/articles/", "/articles/?tag=china", "/no-such-page/"])
def test_a_hit_is_the_miss_byte_for_byte_with_the_same_headers(client, shared_cache, make_article, url):
    make_article("Envoy lands in Beijing", tags=["China"])
    for headers in (GZIP, {}):
        miss = client.get(url, headers=headers)
        with CaptureQueriesContext(connection) as queries:
            hit = client.get(url, headers=headers)
        assert (miss["X-Cache"], hit["X-Cache"]) == ("miss", "hit")
        assert len(queries) == 1  # the content version
        assert hit.status_code == miss.status_code
        assert hit.content == miss.content
        assert headers_of(hit) == headers_of(miss)
        for name in ("Content-Security-Policy", "X-Frame-Options", "Content-Type", "Vary", "ETag"):
            assert hit[name], name
        assert "Cookie" in hit["Vary"] and "Accept-Encoding" in hit["Vary"]
        assert hit["X-Content-Type-Options"] == "nosniff"  # SecurityMiddleware, above the cache
        assert hit["Content-Length"] == str(len(hit.content))


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("first", ["gzip", "identity"])
def test_gzip_and_identity_clients_each_get_their_own_encoding(client, shared_cache, make_article, first):
    import gzip

    make_article("Envoy lands in Beijing", tags=["China"])
    order = (GZIP, {}) if first == "gzip" else ({}, GZIP)
    pages = {}
    for headers in order + order:  # a miss and then a hit for each
        response = client.get("/articles/", headers=headers)
        encoding = "gzip" if headers else "identity"
        assert response.get("Content-Encoding", "identity") == encoding
        body = gzip.decompress(response.content) if headers else response.content
        pages.setdefault(encoding, []).append((response["X-Cache"], body, response["ETag"]))
    gz, identity = pages["gzip"], pages["identity"]
    assert [state for state, _, _ in gz] == [state for state, _, _ in identity] == ["miss", "hit"]
    assert gz[0][1] == gz[1][1] == identity[0][1] == identity[1][1]
    assert b"Envoy lands in Beijing" in identity[0][1]
    # One ETag for both encodings: the gzipped page carries the weak form of the same tag.
    assert gz[0][2] == gz[1][2] == "W/" + identity[0][2] == "W/" + identity[1][2]


@pytest.mark.django_db(transaction=True)
def test_an_accept_encoding_without_gzip_never_gets_gzip(client, shared_cache, make_article):
    make_article("Envoy lands in Beijing")
    assert client.get("/", headers=GZIP)["Content-Encoding"] == "gzip"
    for accept in ("", "identity", "br", "deflate", "gzipped"):
        response = client.get("/", headers={"accept-encoding": accept})
        assert "Content-Encoding" not in response, accept
        assert b"Envoy lands in Beijing" in response.content


@pytest.mark.django_db(transaction=True)
def test_a_conditional_get_on_a_hit_answers_304_without_a_body(client, shared_cache, make_article):
    make_article("Envoy lands in Beijing")
    first = client.get("/articles/", headers=GZIP)
    identity = client.get("/articles/")
    assert first["X-Cache"] == identity["X-Cache"] == "miss"
    for headers in (GZIP, {}):
        for etag in (first["ETag"], identity["ETag"], f'"other", {first["ETag"]}', "*"):
            with CaptureQueriesContext(connection) as queries:
                response = client.get("/articles/", headers={**headers, "if-none-match": etag})
            assert response.status_code == 304, etag
            assert response.content == b""
            assert len(queries) == 1  # the content version
            assert response["ETag"] and response["Cache-Control"] and "Accept-Encoding" in response["Vary"]
        stale = client.get("/articles/", headers={**headers, "if-none-match": '"not-this-page"'})
        assert stale.status_code == 200 and stale["X-Cache"] == "hit"


@pytest.mark.django_db(transaction=True)
def test_a_reader_revalidating_after_a_change_still_fills_the_cache(client, shared_cache, make_article):
    make_article("Envoy lands in Beijing")
    etag = client.get("/articles/")["ETag"]
    make_article("Unrelated story", section="Sport")  # new version; /articles/ changes
    changed = client.get("/articles/", headers={"if-none-match": etag})
    assert changed.status_code == 200 and changed["X-Cache"] == "miss"
    make_article("Other", status=Status.DRAFT, published_at=None)  # new version; nothing visible changes
    unchanged = client.get("/articles/", headers={"if-none-match": changed["ETag"]})
    assert unchanged.status_code == 304 and unchanged.content == b""
    assert client.get("/articles/")["X-Cache"] == "hit"  # the revalidation stored the page


@pytest.mark.django_db(transaction=True)
def test_a_head_request_on_a_hit_has_no_body(client, shared_cache, make_article, rf):
    from articles.caching import PageCacheMiddleware

    make_article("Envoy lands in Beijing")
    page = client.get("/articles/", headers=GZIP)
    head = client.head("/articles/", headers=GZIP)
    assert head["X-Cache"] == "hit" and head.content == b""
    assert head["Content-Length"] == page["Content-Length"] and head["ETag"] == page["ETag"]

    # The middleware itself sends no body (the test client would strip one), and never asks the
    # stack below.
    def below(request):
        raise AssertionError("a hit must not reach the middleware below")

    request = rf.head("/articles/", headers=GZIP)
    response = PageCacheMiddleware(below)(request)
    assert response["X-Cache"] == "hit" and response.content == b""
    assert response["Content-Encoding"] == "gzip"


@pytest.mark.django_db(transaction=True)
def test_a_head_miss_is_answered_but_not_stored(client, shared_cache, make_article):
    make_article("Envoy lands in Beijing")
    client.get("/")  # settle the version
    head = client.head("/articles/")
    assert head.status_code == 200 and head.content == b"" and "X-Cache" not in head
    assert client.get("/articles/")["X-Cache"] == "miss"


@pytest.mark.django_db(transaction=True)
def test_staff_neither_see_nor_create_cached_pages(client, shared_cache, make_article, editor):
    make_article("Envoy lands in Beijing")
    assert client.get("/articles/", headers=GZIP)["X-Cache"] == "miss"
    assert client.get("/articles/", headers=GZIP)["X-Cache"] == "hit"
    client.force_login(editor)
    for url in ("/articles/", "/"):
        for headers in (GZIP, {}):
            response = client.get(url, headers=headers)
            assert response.status_code == 200 and "X-Cache" not in response
            assert client.head(url, headers=headers).get("X-Cache") is None
    client.logout()
    client.cookies.clear()
    # The editor's visit to / stored nothing: the first anonymous visit renders it.
    assert client.get("/", headers=GZIP)["X-Cache"] == "miss"


@pytest.mark.django_db(transaction=True)
def test_unpublishing_retires_both_encodings_at_once(client, shared_cache, make_article, editor):
    import gzip

    article = make_article("Envoy lands in Beijing", tags=["China"])
    for headers in (GZIP, {}, GZIP, {}):
        client.get("/articles/", headers=headers)
    assert client.get("/articles/", headers=GZIP)["X-Cache"] == "hit"
    publishing.unpublish(article, by=editor)
    for headers in (GZIP, {}):
        response = client.get("/articles/", headers=headers)
        body = gzip.decompress(response.content) if headers else response.content
        assert response["X-Cache"] == "miss"
        assert b"Envoy lands in Beijing" not in body


@pytest.mark.django_db(transaction=True)
def test_a_disallowed_host_is_refused_even_for_a_cached_page(client, shared_cache, make_article):
    make_article("Envoy lands in Beijing")
    client.get("/articles/")
    assert client.get("/articles/")["X-Cache"] == "hit"
    assert client.get("/articles/", headers={"host": "evil.example"}).status_code == 400


@pytest.mark.django_db(transaction=True)
def test_uncacheable_requests_and_responses_pass_through(client, shared_cache, make_article):
    make_article("Envoy lands in Beijing")
    page = client.get("/articles/")
    assert page["X-Cache"] == "miss"
    # If-Match is left to the stack below (a weak gzip ETag could never match it here).
    response = client.get("/articles/", headers={"if-match": page["ETag"]})
    assert response.status_code == 200 and "X-Cache" not in response
    assert "X-Cache" not in client.post("/articles/")
    assert "X-Cache" not in client.get("/healthz")


@pytest.mark.django_db(transaction=True)
def test_a_deploy_retires_pages_rendered_by_the_previous_code(client, shared_cache, make_article):
    from django.core.management import call_command

    make_article("Envoy lands in Beijing")
    get(client, "/articles/")
    assert get(client, "/articles/")[0]["X-Cache"] == "hit"
    call_command("migrate", verbosity=0)  # what `make serve` runs on every deploy
    assert get(client, "/articles/")[0]["X-Cache"] == "miss"


def cached_after(client, url, change):
    """Whether ``url`` is still served from the cache after ``change`` runs."""
    get(client, url)
    assert get(client, url)[0]["X-Cache"] == "hit"
    change()
    return get(client, url)[0]["X-Cache"] == "hit"


@pytest.mark.django_db(transaction=True)
def test_work_on_drafts_and_reviews_keeps_the_cached_pages(client, shared_cache, make_article, reporter):
    from articles.models import Author, Correction

    make_article("Envoy lands in Beijing", tags=["China", "Trade"])  # both topics exist already
    draft = make_article("Quillwort draft", tags=["China"], status=Status.DRAFT, published_at=None)

    def edit():
        draft.headline = "Quillwort draft, rewritten"
        draft.save()

    assert cached_after(client, "/articles/", edit)
    assert cached_after(client, "/articles/", lambda: draft.tags.add("Trade"))
    assert cached_after(client, "/articles/", lambda: draft.tags.remove("China"))
    assert cached_after(client, "/articles/", lambda: Correction.objects.create(article=draft, text="Fixed."))
    other = Author.objects.create(name="Li Wei", slug="li-wei")
    assert cached_after(client, "/articles/", lambda: draft.bylines.create(author=other, position=1))
    assert cached_after(client, "/articles/", lambda: publishing.send_to_review(draft, by=reporter))
    new = lambda: make_article("Another draft", status=Status.REVIEW, published_at=None)  # noqa: E731
    assert cached_after(client, "/articles/", new)
    assert cached_after(client, "/articles/", draft.delete)


@pytest.mark.django_db(transaction=True)
def test_every_change_a_reader_could_see_retires_the_cached_pages(client, shared_cache, make_article, editor):
    from articles.models import Article

    story = make_article("Envoy lands in Beijing", tags=["China"])
    draft = make_article("Quillwort draft", status=Status.DRAFT, published_at=None)
    scheduled = make_article("Sandgrouse scheduled", published_at=timezone.now() + timedelta(days=1))

    def edit():
        story.headline = "Envoy lands in Beijing, talks begin"
        story.save()

    assert not cached_after(client, "/articles/", edit)
    assert not cached_after(client, "/articles/", lambda: story.tags.add("Trade"))
    assert not cached_after(client, "/articles/", lambda: story.corrections.create(text="Fixed."))
    assert not cached_after(client, "/articles/", lambda: publishing.publish(draft, by=editor))
    assert not cached_after(client, "/articles/", lambda: publishing.unpublish(draft, by=editor))
    # A scheduled story's new time moves the moment pages must change.
    assert not cached_after(client, "/articles/", lambda: publishing.publish(scheduled, by=editor))

    def save_unread_copy():  # an instance not read from the database: assume it was public
        fields = {field.attname: getattr(story, field.attname) for field in Article._meta.concrete_fields}
        Article(**{**fields, "status": Status.DRAFT}).save()

    assert not cached_after(client, "/articles/", save_unread_copy)
    story.refresh_from_db()
    publishing.publish(story, by=editor)
    assert not cached_after(client, "/articles/", story.delete)


@pytest.mark.django_db(transaction=True)
def test_unpublishing_a_refreshed_copy_retires_the_pages(client, shared_cache, make_article, editor):
    """A copy read as a draft, refreshed after an editor published it elsewhere, then saved as a
    draft: the save takes a public story down, so the pages that showed it must go."""
    from articles.models import Article

    draft = make_article("Envoy lands in Beijing", status=Status.DRAFT, published_at=None)
    copy = Article.objects.get(pk=draft.pk)
    publishing.publish(draft, by=editor)
    copy.refresh_from_db()
    get(client, "/articles/")
    assert get(client, "/articles/")[0]["X-Cache"] == "hit"
    copy.status = Status.DRAFT
    copy.save()
    response, page = get(client, "/articles/")
    assert "Envoy lands in Beijing" not in page


def kept_postgres_connection():
    """Skip unless the test runs on PostgreSQL with CONN_HEALTH_CHECKS, as production does."""
    if connection.vendor != "postgresql" or not connection.settings_dict.get("CONN_HEALTH_CHECKS"):
        pytest.skip("the connection health check is on for PostgreSQL only")


@pytest.mark.django_db(transaction=True)
def test_a_hit_makes_one_trip_to_the_database_the_version_read_being_the_check(
    client, shared_cache, make_article, monkeypatch
):
    kept_postgres_connection()
    make_article("Envoy lands in Beijing")
    assert get(client, "/articles/")[0]["X-Cache"] == "miss"
    checks = []
    monkeypatch.setattr(connection, "is_usable", lambda: checks.append("SELECT 1") or True)
    connection.health_check_done = False  # a new request on the kept connection (close_old_connections)
    assert get(client, "/articles/")[0]["X-Cache"] == "hit"
    assert checks == []


@pytest.mark.django_db(transaction=True)
def test_a_hit_on_a_connection_the_database_dropped_is_served(client, shared_cache, make_article):
    kept_postgres_connection()
    make_article("Envoy lands in Beijing")
    assert get(client, "/articles/")[0]["X-Cache"] == "miss"
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        (pid,) = cursor.fetchone()
    other = connections.create_connection("default")  # as a PostgreSQL restart would, from outside
    try:
        with other.cursor() as cursor:
            cursor.execute("SELECT pg_terminate_backend(%s)", [pid])
    finally:
        other.close()
    connection.health_check_done = False  # the next request on the kept connection
    response, page = get(client, "/articles/")
    assert (response.status_code, response["X-Cache"]) == (200, "hit")
    assert "Envoy lands in Beijing" in page
