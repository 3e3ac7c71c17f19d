"""Shared fixtures. ``make_article`` defaults to a public article; a test states every other value."""

import importlib
import io
import itertools
import os
import shutil
import signal
import socket
import subprocess
import time
import uuid
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db import transaction
from django.test import override_settings
from django.utils import timezone

from articles.models import Article, ArticleAuthor, Author, Section, Status, Tag

_sequence = itertools.count(1)
# The default publication time given to the story made last in this test (see _default_published_at).
_previous_default = None


@pytest.fixture(scope="session", autouse=True)
def collected_static(tmp_path_factory):
    """Pages link hashed static names, as in production, so collect the static files once."""
    static_root = tmp_path_factory.mktemp("static")
    with override_settings(STATIC_ROOT=static_root):
        call_command("collectstatic", interactive=False, verbosity=0)
        yield static_root


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    # The real hasher costs ~0.2 s a hash; tests create and sign in many users.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _publication_order():
    """Each test (and each class's shared rows, made between tests) orders its own stories."""
    global _previous_default
    _previous_default = None
    yield
    _previous_default = None


def _default_published_at(n):
    """An hour ago, and a second older than the story made before it: stories made one after the
    other list newest first in the order they were made, however long each took to make (on a
    loaded machine one can take over a second). A jump of over a minute is a test travelling in
    time, and is left alone."""
    global _previous_default
    at = timezone.now() - timedelta(hours=1, seconds=n)
    if _previous_default is not None:
        older = _previous_default - timedelta(seconds=1)
        if older < at < _previous_default + timedelta(minutes=1):
            at = older
    _previous_default = at
    return at


@pytest.fixture
def media(settings, tmp_path):
    """Uploaded pictures and their renditions go to the test's own folder."""
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def build_photo(width=1600, height=1200, color=(70, 110, 150), **fields):
    """Add a picture to the library (a real JPEG, checked, stored and with its renditions made)."""
    from PIL import Image

    from photos.library import add_photo

    image = Image.new("RGB", (width, height), color)
    image.paste((200, 60, 40), (width // 3, height // 3, width // 2, height // 2))
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=90)
    out.seek(0)
    texts = {"alt_text": "The envoy on the tarmac", "credit": "Ana Ruiz/Desk", **fields}
    return add_photo(out, **texts)


def build_lead(article, photo):
    """Make ``photo`` the lead picture of ``article``."""
    from photos.models import LeadImage

    LeadImage.objects.update_or_create(article=article, defaults={"photo": photo})
    return article


def build_section(name="World", **fields):
    section, _ = Section.objects.get_or_create(
        name=name, defaults={"slug": fields.pop("slug", None) or _slug(name), **fields}
    )
    return section


def build_author(name="Ana Ruiz", **fields):
    author, _ = Author.objects.get_or_create(
        name=name, defaults={"slug": fields.pop("slug", None) or _slug(name), **fields}
    )
    return author


def build_article(
    headline=None,
    *,
    section="World",
    authors=("Ana Ruiz",),
    tags=(),
    status=Status.PUBLISHED,
    published_at="default",
    **fields,
):
    """An article; public (published an hour ago) unless the caller says otherwise. Its bylines and
    topics are saved as the admin saves them, with its card worked out once at the end."""
    from articles import cards

    n = next(_sequence)
    headline = headline or f"Story number {n}"
    if published_at == "default":
        published_at = _default_published_at(n)
    with cards.batched():
        article = Article.objects.create(
            headline=headline,
            slug=fields.pop("slug", None) or f"{_slug(headline)}-{n}",
            section=build_section(section),
            status=status,
            published_at=published_at,
            body=fields.pop("body", f"The body of story {n}.\n\nA second paragraph."),
            **fields,
        )
        for position, name in enumerate(authors):
            ArticleAuthor.objects.create(article=article, author=build_author(name), position=position)
        if tags:
            article.tags.set([_tag(name) for name in tags])
    return article


def keep_public(stories):
    """Unpublish every story but ``stories``, in one update, and retire the cached pages as a bulk
    write does: a test on one of a module's shared archives (``shared_rows``) reads only that one."""
    from articles import caching

    Article.objects.exclude(pk__in=[story.pk for story in stories]).update(status=Status.DRAFT)
    caching.content_changed(withdrawn=True)
    return stories


@pytest.fixture
def make_photo(db, media):
    return build_photo


@pytest.fixture
def lead_with(db):
    return build_lead


@pytest.fixture
def make_section(db):
    return build_section


@pytest.fixture
def make_author(db):
    return build_author


@pytest.fixture
def make_article(db):
    """``build_article``: a public article unless the test says otherwise."""
    return build_article


@pytest.fixture(scope="class")
def shared_rows(django_db_setup, django_db_blocker, tmp_path_factory):
    """For rows that a class's read-only tests share, made once (``build_*``) instead of for each
    test: they live in a transaction rolled back after the class's last test, and each test runs in
    a savepoint inside it (pytest-django's ``db``), so what one test writes the next never sees.
    Only from a class's fixtures (outside a class, pytest makes a class-scoped fixture again for
    every test). Pictures go to a media folder of their own. Not for tests that need
    ``transactional_db``: its flush would empty the shared rows."""
    media = tmp_path_factory.mktemp("media")
    with django_db_blocker.unblock(), override_settings(MEDIA_ROOT=media), transaction.atomic():
        yield
        transaction.set_rollback(True)
        transaction.set_rollback(True)


def _slug(name):
    from django.utils.text import slugify

    return slugify(name)


def _tag(name):
    tag, _ = Tag.objects.get_or_create(name=name, defaults={"slug": _slug(name)})
    return tag


def _ensure_roles():
    """The groups come from a data migration; a transactional test's flush empties them, so put
    them back the same way the migration made them."""
    from django.apps import apps
    from django.contrib.auth.models import Group

    if Group.objects.filter(name__in=["Reporter", "Editor"]).count() != 2:
        migration = importlib.import_module("articles.migrations.0003_reporter_and_editor_groups")
        migration.fill_groups(apps)
    if not Group.objects.filter(name="Editor", permissions__content_type__app_label="photos").exists():
        for name in ("0002_reporter_and_editor_photo_permissions", "0004_lead_image_permissions"):
            importlib.import_module(f"photos.migrations.{name}").fill_groups(apps)
    if not Group.objects.filter(name="Editor", permissions__content_type__app_label="live").exists():
        importlib.import_module("live.migrations.0002_reporter_and_editor_live_permissions").fill_groups(apps)
    if not Group.objects.filter(name="Editor", permissions__codename="view_webhookendpoint").exists():
        importlib.import_module("distribution.migrations.0002_editor_webhook_permissions").fill_groups(apps)
    if not Group.objects.filter(name="Editor", permissions__codename="view_mailing").exists():
        importlib.import_module("distribution.migrations.0004_editor_newsletter_permissions").fill_groups(apps)


@pytest.fixture
def make_user(db):
    def make(username, group, *, first_name="", last_name=""):
        from django.contrib.auth.models import Group, User

        _ensure_roles()
        user = User.objects.create_user(
            username, password=PASSWORD, is_staff=True, first_name=first_name, last_name=last_name
        )
        user.groups.add(Group.objects.get(name=group))
        return user

    return make


@pytest.fixture
def reporter(make_user):
    return make_user("rita", "Reporter", first_name="Rita", last_name="Reyes")


@pytest.fixture
def editor(make_user):
    return make_user("ed", "Editor", first_name="Ed", last_name="Moss")


PASSWORD = "correct horse battery staple"


def totp_code(device):
    """The six digits an authenticator app shows now for ``device`` (a TOTPDevice). A code is
    accepted once: to sign in twice, move the clock on a step (30 s) in between."""
    from django_otp.oath import totp

    return f"{totp(device.bin_key, device.step, device.t0, device.digits, device.drift):06d}"


@pytest.fixture
def make_authenticator(db):
    """Give ``user`` a confirmed authenticator app (TOTP device); read its codes with totp_code()."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    def make(user):
        return TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=True)

    return make


@pytest.fixture
def write(tmp_path, request):
    """Write ``content`` (text as UTF-8, or bytes as given) to ``name`` under tmp_path and return
    its path; the default content is the test module's SAMPLE_FILE."""

    def write(name, content=None):
        content = getattr(request.module, "SAMPLE_FILE", "") if content is None else content
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content.encode() if isinstance(content, str) else content)
        return path

    return write


# The shared page cache, on a real Redis.

REDIS_URL = os.environ.get("NEWSROOM_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


def redis_reachable():
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=0.5):
            return True
    except OSError:
        return False


def _missing_service(reason):
    if os.environ.get("NEWSROOM_REQUIRE_BROWSER") == "1":  # CI: every service must be there
        pytest.fail(reason)
    pytest.skip(reason)


def _use_redis(settings, url):
    settings.CACHES = {
        "default": {
            "BACKEND": "newsroom.redis_cache.SharedClientRedisCache",
            "LOCATION": url,
            "KEY_PREFIX": f"test-{uuid.uuid4().hex}",  # each test its own keys
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
        }
    }
    settings.NEWSROOM_PAGE_CACHE = True


@pytest.fixture
def shared_cache(settings):
    """The page cache on the machine's Redis."""
    if not redis_reachable():
        _missing_service(f"Redis is not running at {REDIS_URL} (start it: redis-server --daemonize yes)")
    _use_redis(settings, REDIS_URL)


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class RedisServer:
    """A redis-server of the test's own, on its own port, that the test may pause and resume."""

    def __init__(self, process, port):
        self.process, self.port = process, port
        self.url = f"redis://127.0.0.1:{port}/0"

    def pause(self):
        self.process.send_signal(signal.SIGSTOP)

    def resume(self):
        self.process.send_signal(signal.SIGCONT)


@pytest.fixture
def private_redis(settings):
    """The page cache on a Redis server this test started and controls."""
    binary = shutil.which("redis-server")
    if binary is None:
        _missing_service("redis-server is not installed")
    port = free_port()
    process = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 10
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            break
        except OSError:
            assert time.monotonic() < deadline, "redis-server did not start"
            time.sleep(0.05)
    server = RedisServer(process, port)
    _use_redis(settings, server.url)
    yield server
    server.resume()
    process.terminate()
    process.wait(timeout=10)


@pytest.fixture
def article_ids_from_one(db):
    """Stories numbered from 1, as on a new site: the articles sitemap is cut into pages by id
    range, and PostgreSQL's sequences, unlike the rows, are not rolled back between tests."""
    from django.db import connection

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT setval(pg_get_serial_sequence('articles_article', 'id'), 1, false)")


# Real worker processes on the test's database (tests/workers.py), for any test module.
from tests.workers import shared_database, start_worker  # noqa: E402, F401
