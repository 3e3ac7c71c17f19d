"""Shared fixtures. ``make_article`` defaults to a public article; a test states every other value."""

import importlib
import itertools
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.test import override_settings
from django.utils import timezone

from articles.models import Article, ArticleAuthor, Author, Section, Status, Tag

_sequence = itertools.count(1)


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


@pytest.fixture
def make_section(db):
    def make(name="World", **fields):
        section, _ = Section.objects.get_or_create(
            name=name, defaults={"slug": fields.pop("slug", None) or _slug(name), **fields}
        )
        return section

    return make


@pytest.fixture
def make_author(db):
    def make(name="Ana Ruiz", **fields):
        author, _ = Author.objects.get_or_create(
            name=name, defaults={"slug": fields.pop("slug", None) or _slug(name), **fields}
        )
        return author

    return make


@pytest.fixture
def make_article(db, make_section, make_author):
    """Create an article; public (published an hour ago) unless the test says otherwise."""

    def make(
        headline=None,
        *,
        section="World",
        authors=("Ana Ruiz",),
        tags=(),
        status=Status.PUBLISHED,
        published_at="default",
        **fields,
    ):
        n = next(_sequence)
        headline = headline or f"Story number {n}"
        if published_at == "default":
            published_at = timezone.now() - timedelta(hours=1, seconds=n)  # later ones a second older
        article = Article.objects.create(
            headline=headline,
            slug=fields.pop("slug", None) or f"{_slug(headline)}-{n}",
            section=make_section(section),
            status=status,
            published_at=published_at,
            body=fields.pop("body", f"The body of story {n}.\n\nA second paragraph."),
            **fields,
        )
        for position, name in enumerate(authors):
            ArticleAuthor.objects.create(article=article, author=make_author(name), position=position)
        if tags:
            article.tags.set([_tag(name) for name in tags])
        return article

    return make


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
