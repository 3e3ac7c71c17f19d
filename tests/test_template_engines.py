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
PUBLIC = {"base.html", "400.html", "404.html", "500.html"}


def project_templates():
    return sorted(str(path.relative_to(TEMPLATES_DIR)) for path in TEMPLATES_DIR.rglob("*") if path.is_file())


@pytest.mark.parametrize("name", project_templates())
def test_each_project_template_belongs_to_one_engine(name):
    public = name in PUBLIC or name.startswith(("articles/", "includes/"))
    assert isinstance(loader.get_template(name).backend, Jinja2 if public else DjangoTemplates)


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
