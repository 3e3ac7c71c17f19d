"""One slug rule: every address, filter, API path and import takes exactly the slugs an editor can save
(Django's validate_slug, which our SlugFields keep), and each refuses the rest in its own way."""

import json
import re
from xml.sax.saxutils import escape

import pytest
from django.core.exceptions import ValidationError
from django.core.validators import validate_slug
from django.urls import Resolver404, resolve

from articles.importers import ImportProblem, markdown
from articles.importing import import_paths
from articles.models import Article
from tests.test_import_wxr import post, wxr_file  # noqa: F401  (a fixture)

VALUES = ["tariff-talks", "Tariff_Talks-2", "a", "ä", "café", "中国", "a b", "a.b", "<script>", "a'b", "a+b"]
ADDRESSES = [
    "/articles/{}/",
    "/sections/{}/",
    "/tags/{}/",
    "/authors/{}/",
    "/feeds/sections/{}/",
    "/feeds/tags/{}/",
]


def editor_can_save(value):
    try:
        validate_slug(value)
    except ValidationError:
        return False
    return True


@pytest.mark.parametrize("value", VALUES)
def test_addresses_route_only_slugs(value):
    # Anything else is the site's 404 before a view runs.
    for address in ADDRESSES:
        try:
            resolve(address.format(value))
            routed = True
        except Resolver404:
            routed = False
        assert routed == editor_can_save(value), address


@pytest.mark.parametrize("value", VALUES)
@pytest.mark.parametrize("parameter", ["tag", "section"])
@pytest.mark.parametrize("path", ["/articles/", "/search/", "/api/articles/"])
def test_list_filters_refuse_only_what_is_no_slug(client, db, path, parameter, value):
    # Well formed but unknown is a 404; malformed a 400.
    status = client.get(path, {parameter: value}).status_code
    assert status == (404 if editor_can_save(value) else 400)


@pytest.mark.parametrize("value", VALUES)
def test_api_documents_the_article_slug_it_checks(client, db, value):
    document = client.get("/api/openapi.json").json()
    (parameter,) = document["paths"]["/api/articles/{slug}/"]["get"]["parameters"]
    assert bool(re.search(parameter["schema"]["pattern"], value)) == editor_can_save(value)


@pytest.mark.parametrize("value", VALUES)
def test_markdown_import_refuses_only_what_is_no_slug(tmp_path, value):
    path = tmp_path / "talks.md"
    text = f"---\ntitle: Talks\nslug: {json.dumps(value)}\n---\nBody.\n"
    try:
        markdown.parse(path, text)
        accepted = True
    except ImportProblem as problem:
        assert "may hold only letters a-z, digits, hyphens and underscores" in problem.reason
        accepted = False
    assert accepted == editor_can_save(value)


@pytest.mark.parametrize("value", VALUES)
def test_wordpress_import_keeps_only_slugs(db, wxr_file, value):  # noqa: F811  (the fixture imported above)
    # A WordPress name that is no slug here is remade into one, with a warning.
    import_paths([wxr_file(post(extra=f"<wp:post_name>{escape(value)}</wp:post_name>\n"))])
    assert (Article.objects.get().slug == value) == editor_can_save(value)
