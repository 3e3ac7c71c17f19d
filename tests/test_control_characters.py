"""A control character in a story never breaks a feed or a sitemap.

XML 1.0 cannot carry C0 controls other than tab, newline and return. They are stripped on every
save (admin, shell, fixtures), cleaned out of existing rows by a data migration, and the XML
surfaces strip them again, so a row written some other way still gives well-formed feeds.
"""

import importlib

import feedparser
import pytest
from django.apps import apps
from lxml import etree

from articles.models import Article, Author, Correction, Section, Tag

VT = "\x0b"


def test_saving_strips_control_characters_from_every_text_field(make_article):
    story = make_article(
        f"Envoy{VT} lands", dek=f"Talks{VT} begin.", body=f"First{VT} line.\n\nSecond\tline."
    )
    story.refresh_from_db()
    assert (story.headline, story.dek) == ("Envoy lands", "Talks begin.")
    assert story.body == "First line.\n\nSecond\tline."
    assert VT not in story.body_html
    tag = Tag.objects.create(name=f"Trade{VT} war", slug="trade-war", description=f"Tariffs{VT}.")
    section = Section.objects.create(name=f"Asia{VT}", slug="asia", description=f"East{VT}.")
    author = Author.objects.create(name=f"Li{VT} Wei", slug="li-wei", bio=f"Reporter{VT}.")
    correction = Correction.objects.create(article=story, text=f"Fixed{VT}.")
    for obj in (tag, section, author, correction):
        obj.refresh_from_db()
    assert (tag.name, tag.description) == ("Trade war", "Tariffs.")
    assert (section.name, section.description) == ("Asia", "East.")
    assert (author.name, author.bio) == ("Li Wei", "Reporter.")
    assert correction.text == "Fixed."


def test_the_admin_stores_a_pasted_vertical_tab_as_clean_text(client, editor):
    client.force_login(editor)
    response = client.post(
        "/admin/articles/tag/add/", {"name": f"Human{VT} rights", "slug": "human-rights", "aliases": ""}
    )
    assert response.status_code == 302
    assert Tag.objects.get(slug="human-rights").name == "Human rights"


@pytest.fixture
def dirty_rows(make_article):
    """A public story whose rows hold control characters, written past save() as a raw write or an
    old import would."""
    story = make_article("Envoy lands", tags=["China"], slug="envoy-lands")
    Article.objects.filter(pk=story.pk).update(
        headline=f"Envoy{VT} lands\x1f",
        dek=f"Talks{VT} begin\x1b.",
        body_html=f"<p>First{VT} line.</p>",
        dateline=f"BEIJING{VT}",
    )
    Tag.objects.filter(slug="china").update(name=f"China{VT}", description=f"The PRC{VT}.")
    Author.objects.filter(slug="ana-ruiz").update(name=f"Ana{VT} Ruiz")
    Section.objects.filter(slug="world").update(description=f"Abroad{VT}.")
    return story


@pytest.mark.parametrize(
    "url", ["/feeds/latest/", "/feeds/latest/atom/", "/feeds/sections/world/", "/feeds/tags/china/"]
)
def test_feeds_stay_well_formed_with_a_control_character_in_the_row(client, dirty_rows, url):
    response = client.get(url)
    assert response.status_code == 200
    feed = feedparser.parse(response.content)
    assert not feed.bozo, feed.get("bozo_exception")
    (entry,) = feed.entries
    assert entry.title == "Envoy lands"
    assert entry.author == "Ana Ruiz"
    assert [tag.term for tag in entry.tags] == ["China"]


def test_the_news_sitemap_stays_well_formed(client, dirty_rows):
    response = client.get("/news-sitemap.xml")
    tree = etree.fromstring(response.content)  # raises on a control character
    titles = tree.xpath(
        "//news:title/text()", namespaces={"news": "http://www.google.com/schemas/sitemap-news/0.9"}
    )
    assert titles == ["Envoy lands"]


def test_the_data_migration_cleans_existing_rows(dirty_rows):
    migration = importlib.import_module("articles.migrations.0009_content_version_and_plain_text")
    migration.strip_control_characters(apps, None)
    story = Article.objects.get(pk=dirty_rows.pk)
    assert (story.headline, story.dek, story.body_html, story.dateline) == (
        "Envoy lands",
        "Talks begin.",
        "<p>First line.</p>",
        "BEIJING",
    )
    assert Tag.objects.get(slug="china").name == "China"
    assert Author.objects.get(slug="ana-ruiz").name == "Ana Ruiz"
    assert Section.objects.get(slug="world").description == "Abroad."


def test_the_migration_and_the_runtime_rule_agree():
    """The migration writes the rule out (it must not change with the code); this keeps them one."""
    from articles.plain_text import CONTROL_CHARACTERS

    migration = importlib.import_module("articles.migrations.0009_content_version_and_plain_text")
    assert migration.CONTROL_CHARACTERS.pattern == CONTROL_CHARACTERS.pattern
