"""The public pages are Jinja2, everything else Django templates; the Jinja2 helpers match Django's tags."""

from pathlib import Path

import pytest
from django.conf import settings
from django.template import engines, loader
from django.template.backends.django import DjangoTemplates
from django.template.backends.jinja2 import Jinja2
from django.test import RequestFactory
from django.utils import timezone

from newsroom.jinja2 import date, querystring

TEMPLATES_DIR = Path(settings.BASE_DIR) / "templates"
JINJA2_DIR = TEMPLATES_DIR / "jinja2"


def names_in(folder, *, leave_out=None):
    paths = (path for path in folder.rglob("*") if path.is_file())
    return sorted(str(path.relative_to(folder)) for path in paths if leave_out not in path.parents)


JINJA2_TEMPLATES = names_in(JINJA2_DIR)
DJANGO_TEMPLATES = names_in(TEMPLATES_DIR, leave_out=JINJA2_DIR)


def test_the_public_pages_are_in_the_jinja2_folder():
    assert {"base.html", "400.html", "404.html", "500.html"} <= set(JINJA2_TEMPLATES)
    assert {"articles/article_detail.html", "includes/card.html"} <= set(JINJA2_TEMPLATES)
    assert {"robots.txt", "sitemaps/sitemap.xml", "admin/newsroom_index.html"} <= set(DJANGO_TEMPLATES)


@pytest.mark.parametrize("name", JINJA2_TEMPLATES)
def test_each_template_in_the_jinja2_folder_is_rendered_by_jinja2(name):
    assert isinstance(loader.get_template(name).backend, Jinja2)


@pytest.mark.parametrize("name", DJANGO_TEMPLATES)
def test_each_other_project_template_is_rendered_by_the_django_engine(name):
    assert isinstance(loader.get_template(name).backend, DjangoTemplates)


def test_no_template_name_is_in_both_folders():
    # Jinja2 is asked first: a Django template of the same name would never be rendered.
    assert set(JINJA2_TEMPLATES) & set(DJANGO_TEMPLATES) == set()


@pytest.mark.parametrize(
    "name", ["admin/index.html", "admin/login.html", "registration/password_change_form.html"]
)
def test_templates_django_and_the_apps_bring_stay_with_the_django_engine(name):
    assert isinstance(loader.get_template(name).backend, DjangoTemplates)


@pytest.mark.parametrize(
    ("query", "updates", "expected"),
    [
        ("q=envoy&page=2", {"page": 3}, "?q=envoy&page=3"),
        ("q=envoy&page=2", {"page": None}, "?q=envoy"),
        ("tag=china&tag=trade&page=2", {"tag": ["trade"], "page": None}, "?tag=trade"),
        ("section=asia", {"section": None}, "?"),
        ("", {"page": None}, ""),
        ("", {"page": 2}, "?page=2"),
    ],
)
def test_querystring_is_djangos(query, updates, expected):
    request = RequestFactory().get(f"/search/?{query}")
    assert querystring(request, **updates) == expected
    tag = "{% querystring " + " ".join(f"{key}={key}" for key in updates) + " %}"
    django_says = engines["django"].from_string(tag).render(updates, request)
    assert django_says.replace("&amp;", "&") == expected


@pytest.mark.parametrize("format", ["c", "j M Y", "j F Y, H:i e"])
def test_dates_are_shown_in_the_current_time_zone_like_djangos(format):
    moment = timezone.now()
    with timezone.override("Asia/Tokyo"):
        django_says = (
            engines["django"]
            .from_string("{{ moment|date:format }}")
            .render({"moment": moment, "format": format})
        )
        assert date(moment, format) == django_says
    assert date(None, format) == ""


def test_server_error_page_needs_no_request():
    assert "Something went wrong" in loader.get_template("500.html").render()


def test_list_titles_are_escaped(client, make_article):
    tag = make_article(tags=["<b>Trade & aid</b>"]).topics[0]
    page = client.get(tag.get_absolute_url()).content.decode()
    assert "<title>&lt;b&gt;Trade &amp; aid&lt;/b&gt; — " in page
    assert "<h1>&lt;b&gt;Trade &amp; aid&lt;/b&gt;</h1>" in page
    assert 'content="&lt;b&gt;Trade &amp; aid&lt;/b&gt;"' in page
    assert "<b>Trade" not in page
