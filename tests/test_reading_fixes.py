"""Reading fixes (issue 16, point 8): a reader never reads the same paragraph twice; author pages
show the author's photo and bio, and bylines lead to them; every section, topic and author has RSS
and Atom, advertised on its page; the front page carries Open Graph and Twitter card tags."""

import importlib
import io
from datetime import timedelta
from html.parser import HTMLParser
from pathlib import Path
from types import SimpleNamespace

import feedparser
import pytest
from django.apps import apps
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from PIL import Image

from articles.importing import import_paths
from articles.models import Article, Status
from articles.portraits import PORTRAIT_SIDE

SEEDS = Path(__file__).parent / "fixtures" / "seeds"
SEED_000 = SEEDS / "000_036b39410185443a.txt"
SEED_001 = SEEDS / "001_b8534e62939162e0.txt"


class Page(HTMLParser):
    """What a browser, a crawler and a share card read from a page: the <head>'s meta and link
    elements, every element's attributes, and the text of each element with a class."""

    def __init__(self, html):
        super().__init__(convert_charrefs=True)
        self.meta, self.links, self.elements = {}, [], []
        self.texts, self._open = [], []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.elements.append((tag, attrs))
        if tag == "meta" and ("property" in attrs or "name" in attrs):
            self.meta.setdefault(attrs.get("property") or attrs["name"], []).append(attrs.get("content"))
        elif tag == "link":
            self.links.append(attrs)
        elif tag in ("p", "h1", "h2"):
            self._open.append([tag, attrs.get("class", ""), ""])

    def handle_data(self, data):
        for element in self._open:
            element[2] += data

    def handle_endtag(self, tag):
        if tag in ("p", "h1", "h2") and self._open:
            self.texts.append(tuple(self._open.pop()))

    def one(self, key):
        values = self.meta.get(key, [])
        assert len(values) == 1, f"{key}: {values}"
        return values[0]

    def paragraphs(self):
        return [" ".join(text.split()) for tag, _, text in self.texts if tag == "p"]

    def with_class(self, name):
        return [" ".join(text.split()) for _, classes, text in self.texts if name in classes.split()]

    def alternates(self):
        return [link for link in self.links if link.get("rel") == "alternate"]


def page(client, url):
    response = client.get(url)
    assert response.status_code == 200, url
    return Page(response.content.decode())


def imported(path, **options):
    report = import_paths([path], section="World", author="Ana Ruiz", **options)
    assert not report.problems
    return Article.objects.get(source_id=path.stem)


def parse_feed(response):
    assert response.status_code == 200
    feed = feedparser.parse(response.content, response_headers={"content-type": response["Content-Type"]})
    assert not feed.bozo, feed.get("bozo_exception")
    return feed


# A dek drawn from the lede is not printed above the lede.


def test_seed_story_prints_its_lede_once_not_as_a_dek_too(client, db):
    story = imported(SEED_000, status=Status.PUBLISHED)
    shown = page(client, story.get_absolute_url())
    lede = " ".join(story.dek.split())
    assert story.dek_repeats_lede
    assert shown.with_class("story__dek") == []
    assert sum(lede in paragraph for paragraph in shown.paragraphs()) == 1
    # Where no lede is shown, the dek is: the meta description, share cards, the list's card, feeds.
    assert shown.one("description") == (story.dek if len(story.dek) <= 200 else story.dek[:199] + "…")
    assert shown.one("og:description").startswith(story.dek[:100])
    assert page(client, "/articles/").with_class("card__dek") == [lede]
    entry = parse_feed(client.get("/feeds/latest/")).entries[0]
    assert entry.summary.startswith(story.dek[:100])


def test_seed_story_without_a_headline_prints_its_lede_once_when_published(client, db, editor):
    story = imported(SEED_001)
    assert story.status == Status.DRAFT  # kept back: its headline was drawn from the lede
    story.headline = "Blinken goes to Beijing to ease tensions"
    story.status, story.published_at = Status.PUBLISHED, timezone.now() - timedelta(minutes=5)
    story.save()
    shown = page(client, story.get_absolute_url())
    opening = [text for text in shown.paragraphs() if text.startswith(story.dek[:60])]
    assert len(opening) == 1  # the lede, and no dek above it
    assert len(story.dek) < len(opening[0])  # the dek was its opening sentences, cut at a sentence end
    assert shown.with_class("story__dek") == []


def test_dek_cut_from_one_overlong_sentence_with_an_ellipsis_is_not_printed(client, db, tmp_path):
    sentence = "The envoy " + "and the minister " * 25 + "met in Beijing on Monday for talks."
    path = tmp_path / "long.txt"
    path.write_text(f"Envoy meets minister\n\n{sentence}\n\nA second paragraph.\n")
    story = imported(path, status=Status.PUBLISHED)
    assert story.dek.endswith("…")
    assert story.dek_repeats_lede
    assert page(client, story.get_absolute_url()).with_class("story__dek") == []


@pytest.mark.parametrize(
    ("dek", "printed"),
    [
        ("Diplomats met on Monday. They talked for hours.", False),  # the whole lede
        ("Diplomats met on Monday.", False),  # its first sentence
        ("Diplomats  met on\nMonday.", False),  # spacing does not count
        ("Diplomats met", True),  # its opening words, but not cut like a dek drawn from it
        ("Two days of talks ended without a deal.", True),  # the editor's own
        ("", False),  # nothing to print
    ],
)
def test_only_a_dek_drawn_from_the_lede_is_left_out(client, make_article, dek, printed):
    story = make_article(
        "Talks in Geneva", dek=dek, body="Diplomats met on Monday. They talked for hours.\n\nMore."
    )
    deks = page(client, story.get_absolute_url()).with_class("story__dek")
    assert deks == ([" ".join(dek.split())] if printed else [])


def test_the_lede_is_the_first_paragraph_after_a_subheading_and_not_a_quote(client, make_article):
    story = make_article(
        "Talks in Geneva",
        dek="The envoy spoke first.",
        body="> The envoy spoke first.\n\n## The talks\n\nDiplomats met on Monday.\n",
    )
    assert not story.dek_repeats_lede  # the quote is not the lede
    story.body = "## The talks\n\nThe envoy spoke first. Then the minister.\n"
    story.save()
    assert story.dek_repeats_lede
    assert page(client, story.get_absolute_url()).with_class("story__dek") == []


def test_a_paragraph_holding_only_a_picture_is_not_the_lede(make_article):
    story = make_article(
        dek="Diplomats met on Monday.",
        body="![The hall](https://example.org/hall.jpg)\n\nDiplomats met on Monday. Late.\n",
    )
    assert story.dek_repeats_lede


def test_decided_on_save_so_a_rewritten_lede_brings_the_dek_back(client, make_article):
    story = make_article("Talks", dek="Diplomats met on Monday.", body="Diplomats met on Monday. Late.\n")
    assert Article.objects.get(pk=story.pk).dek_repeats_lede
    story.body = "A new lede, written after the talks.\n"
    story.save()
    assert not Article.objects.get(pk=story.pk).dek_repeats_lede
    assert page(client, story.get_absolute_url()).with_class("story__dek") == ["Diplomats met on Monday."]


def test_reimport_of_a_changed_file_decides_again(db, tmp_path):
    path = tmp_path / "story.md"
    front = "---\ntitle: Talks Resume in Geneva\ndek: {}\n---\n\nDiplomats met on Monday. Late.\n"
    path.write_text(front.format("Diplomats met on Monday."))
    assert imported(path).dek_repeats_lede
    path.write_text(front.format("An editor's own dek."))
    story = imported(path)
    assert (story.dek, story.dek_repeats_lede) == ("An editor's own dek.", False)


def test_the_migration_marks_stories_written_before_it(make_article):
    drawn = make_article(dek="Diplomats met on Monday.", body="Diplomats met on Monday. Late.\n")
    own = make_article(dek="An editor's own dek.", body="Diplomats met on Monday.\n")
    Article.objects.update(dek_repeats_lede=False)
    migration = importlib.import_module("articles.migrations.0021_author_photo")
    migration.mark_deks_drawn_from_ledes(apps, SimpleNamespace(connection=connection))
    assert set(Article.objects.filter(dek_repeats_lede=True)) == {drawn}
    assert Article.objects.get(pk=own.pk).dek == "An editor's own dek."  # nothing else touched


# Author pages: photo and bio; bylines link to them.


def picture_file(width=900, height=1200, fmt="JPEG", name="ana.jpg", exif=None):
    # A PNG is see-through (alpha 0) wherever nothing was drawn.
    image = (
        Image.new("RGB", (width, height), (90, 120, 160))
        if fmt == "JPEG"
        else Image.new("RGBA", (width, height))
    )
    out = io.BytesIO()
    image.save(out, format=fmt, **({"exif": exif} if exif is not None else {}))
    return SimpleUploadedFile(name, out.getvalue(), content_type=f"image/{fmt.lower()}")


def with_location():
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    exif[0x8825] = {1: "N", 2: (39.0, 54.0, 0.0)}  # GPS: where the picture was taken
    return exif


def upload_photo(client, author, file, **fields):
    data = {"name": author.name, "slug": author.slug, "bio": author.bio, "photo": file, "user": "", **fields}
    return client.post(f"/admin/articles/author/{author.pk}/change/", data)


@pytest.fixture
def ana(make_author):
    return make_author("Ana Ruiz", bio="Ana Ruiz covers China from Beijing.")


def test_editor_uploads_a_photo_and_the_author_page_shows_it_with_the_bio(client, editor, ana, media):
    client.force_login(editor)
    response = upload_photo(client, ana, picture_file(exif=with_location()))
    assert response.status_code == 302, response.content.decode()[-2000:]
    client.logout()
    ana.refresh_from_db()
    shown = page(client, "/authors/ana-ruiz/")
    portraits = [attrs for tag, attrs in shown.elements if tag == "img"]
    assert portraits == [
        {
            "class": "list-header__portrait",
            "src": ana.portrait.url,
            "width": str(PORTRAIT_SIDE),
            "height": str(PORTRAIT_SIDE),
            "alt": "Ana Ruiz",
            "decoding": "async",
        }
    ]
    assert "Ana Ruiz covers China from Beijing." in shown.with_class("list-header__description")
    assert shown.one("og:image") == f"http://testserver{ana.portrait.url}"
    assert shown.one("og:image:alt") == "Ana Ruiz"
    served = client.get(ana.portrait.url)
    assert served.status_code == 200 and served["Content-Type"] == "image/jpeg"
    with Image.open(io.BytesIO(b"".join(served.streaming_content))) as portrait:
        assert portrait.size == (PORTRAIT_SIDE, PORTRAIT_SIDE)
    with Image.open(ana.photo.path) as stored:
        assert stored.size == (900, 1200) and (ana.photo_width, ana.photo_height) == (900, 1200)
        assert not stored.getexif()  # where it was taken, and with what, stays on the phone


def test_a_small_photo_is_not_enlarged_and_a_transparent_one_is_on_white(editor, client, ana, media):
    client.force_login(editor)
    assert upload_photo(client, ana, picture_file(100, 80, fmt="PNG", name="ana.png")).status_code == 302
    ana.refresh_from_db()
    assert ana.portrait_side == 80
    with Image.open(ana.portrait.path) as portrait:
        assert portrait.size == (80, 80) and portrait.format == "JPEG"
        assert portrait.getpixel((40, 40)) == (255, 255, 255)


def test_a_new_photo_replaces_the_old_files(client, editor, ana, media, django_capture_on_commit_callbacks):
    client.force_login(editor)
    upload_photo(client, ana, picture_file())
    ana.refresh_from_db()
    old = [Path(ana.photo.path), Path(ana.portrait.path)]
    with django_capture_on_commit_callbacks(execute=True):
        upload_photo(client, ana, picture_file(600, 600, name="new.jpg"))
    ana.refresh_from_db()
    assert not any(path.exists() for path in old)
    assert Path(ana.portrait.path).exists() and ana.portrait_side == PORTRAIT_SIDE
    with django_capture_on_commit_callbacks(execute=True):
        upload_photo(client, ana, "", **{"photo-clear": "on"})
    ana.refresh_from_db()
    assert not ana.photo and not ana.portrait
    assert [path for path in media.rglob("*") if path.is_file()] == []
    assert not [tag for tag, _ in page(client, "/authors/ana-ruiz/").elements if tag == "img"]


@pytest.mark.parametrize(
    ("file", "message"),
    [
        (SimpleUploadedFile("cv.jpg", b"%PDF-1.4 not a picture"), "Upload a valid image"),
        (picture_file(fmt="GIF", name="ana.gif"), "upload a JPEG, PNG or WebP"),
    ],
)
def test_a_file_that_is_no_photo_is_refused_with_a_message(client, editor, ana, media, file, message):
    client.force_login(editor)
    response = upload_photo(client, ana, file)
    assert response.status_code == 200
    errors = " ".join(response.context["adminform"].form.errors["photo"])
    assert message in errors
    ana.refresh_from_db()
    assert not ana.photo


def test_a_reporter_cannot_change_an_authors_photo(client, reporter, ana, media):
    client.force_login(reporter)
    response = client.get(f"/admin/articles/author/{ana.pk}/change/")
    assert response.status_code == 200
    assert 'name="photo"' not in response.content.decode()


def test_article_byline_links_every_name_to_its_author_page(client, make_article, ana):
    story = make_article(authors=["Li Wei", "Ana Ruiz"])
    shown = page(client, story.get_absolute_url())
    links = [attrs["href"] for tag, attrs in shown.elements if tag == "a" and "/authors/" in attrs["href"]]
    assert links == ["/authors/li-wei/", "/authors/ana-ruiz/"]
    for link in links:
        assert page(client, link).with_class("kicker") == ["Author"]


def test_author_page_with_a_photo_costs_no_more_queries(client, editor, ana, media, make_article):
    client.force_login(editor)
    upload_photo(client, ana, picture_file())
    client.logout()
    for _ in range(3):
        make_article(authors=["Ana Ruiz", "Li Wei"], tags=["China"])
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/authors/ana-ruiz/")
    assert response.status_code == 200 and b"list-header__portrait" in response.content
    assert len(queries) == 5  # as without a photo (tests/test_query_counts.py): it is on the row read


# Feeds: RSS and Atom for every section, topic and author, advertised on its page.


HIDDEN = {"draft": "Quillwort", "review": "Marrowfat", "scheduled": "Sandgrouse"}


@pytest.fixture
def coverage(make_article):
    public = make_article(
        "Envoy meets minister", tags=["China"], authors=["Ana Ruiz"], dek="Talks in Beijing."
    )
    make_article(f"{HIDDEN['draft']} draft", tags=["China"], status=Status.DRAFT, published_at=None)
    make_article(f"{HIDDEN['review']} review", tags=["China"], status=Status.REVIEW, published_at=None)
    make_article(
        f"{HIDDEN['scheduled']} embargo", tags=["China"], published_at=timezone.now() + timedelta(days=1)
    )
    return public


PAGES_AND_FEEDS = {
    "/sections/world/": ("Newsroom: World", "/feeds/sections/world/"),
    "/tags/china/": ("Newsroom: China", "/feeds/tags/china/"),
    "/authors/ana-ruiz/": ("Newsroom: Ana Ruiz", "/feeds/authors/ana-ruiz/"),
}


@pytest.mark.parametrize("url", PAGES_AND_FEEDS)
def test_each_section_topic_and_author_page_advertises_its_rss_and_atom(client, coverage, url):
    title, feed = PAGES_AND_FEEDS[url]
    alternates = page(client, url).alternates()
    own = [(link["type"], link["title"], link["href"]) for link in alternates[:2]]
    assert own == [
        ("application/rss+xml", f"{title} (RSS)", feed),
        ("application/atom+xml", f"{title} (Atom)", f"{feed}atom/"),
    ]
    for link, version in zip(alternates[:2], ("rss20", "atom10"), strict=True):
        parsed = parse_feed(client.get(link["href"]))
        assert parsed.version == version and parsed.feed.title == title
        assert [entry.title for entry in parsed.entries] == ["Envoy meets minister"]


@pytest.mark.parametrize("url", ["/", "/articles/"])
def test_front_page_and_all_stories_advertise_the_latest_feeds(client, coverage, url):
    alternates = [(link["type"], link["href"]) for link in page(client, url).alternates()]
    assert alternates == [
        ("application/rss+xml", "/feeds/latest/"),
        ("application/atom+xml", "/feeds/latest/atom/"),
    ]


FEEDS = [f"{feed}{suffix}" for _, feed in PAGES_AND_FEEDS.values() for suffix in ("", "atom/")]


@pytest.mark.parametrize("url", FEEDS)
def test_no_draft_review_or_scheduled_story_is_in_any_feed(client, coverage, url):
    response = client.get(url)
    parsed = parse_feed(response)
    assert [entry.title for entry in parsed.entries] == ["Envoy meets minister"]
    assert not any(word in response.content.decode() for word in HIDDEN.values())


def test_author_feed_carries_only_that_authors_stories_with_their_byline(client, coverage, make_article):
    make_article("Li Wei on trade", authors=["Li Wei"])
    atom = parse_feed(client.get("/feeds/authors/ana-ruiz/atom/"))
    assert [entry.title for entry in atom.entries] == ["Envoy meets minister"]
    assert atom.entries[0].authors == [{"name": "Ana Ruiz", "href": "http://testserver/authors/ana-ruiz/"}]
    assert atom.feed.link == "http://testserver/authors/ana-ruiz/"


@pytest.mark.parametrize(
    "url", ["/feeds/authors/nobody/", "/feeds/authors/nobody/atom/", "/feeds/sections/nowhere/atom/"]
)
def test_unknown_author_or_section_feed_is_not_found(client, coverage, url):
    assert client.get(url).status_code == 404


@pytest.mark.parametrize("count", [3, 60])
@pytest.mark.parametrize("url", ["/feeds/authors/ana-ruiz/", "/feeds/authors/ana-ruiz/atom/"])
def test_author_feed_query_count_is_flat(client, make_article, url, count):
    for _ in range(count):
        make_article(tags=["China", "Trade"], authors=["Ana Ruiz", "Li Wei"])
    with CaptureQueriesContext(connection) as queries:
        parsed = parse_feed(client.get(url))
    assert len(parsed.entries) == min(count, 50)
    assert len(queries) == 2, "\n".join(q["sql"] for q in queries)  # the author, the stories


# The front page's share tags.


def test_front_page_carries_open_graph_and_twitter_tags(client, make_article, settings):
    settings.NEWSROOM_SITE_URL = "https://news.example.org"
    make_article("Envoy meets minister")
    shown = page(client, "/")
    assert shown.one("og:type") == "website"
    assert shown.one("og:site_name") == "Newsroom"
    assert shown.one("og:title") == "Newsroom — Foreign affairs and diplomacy"
    assert shown.one("og:url") == "https://news.example.org/"
    assert shown.one("og:description") == shown.one("description")
    assert shown.one("og:description").startswith("Foreign-affairs coverage")
    assert shown.one("twitter:card") == "summary"
    assert shown.one("twitter:title") == "Newsroom — Foreign affairs and diplomacy"
    assert shown.one("twitter:description") == shown.one("og:description")
    assert "og:image" not in shown.meta


def test_front_page_shares_the_top_storys_picture(client, make_article, make_photo, lead_with, settings):
    settings.NEWSROOM_SITE_URL = "https://news.example.org"
    lead_with(make_article("Envoy meets minister", featured=True), make_photo())
    shown = page(client, "/")
    images = shown.meta["og:image"]
    assert images and all(url.startswith("https://news.example.org/media/") for url in images)
    assert shown.meta["og:image:alt"][0] == "The envoy on the tarmac"
    assert shown.one("twitter:card") == "summary_large_image"
    assert shown.one("twitter:image") in images
    for url in images:
        assert client.get(url.removeprefix("https://news.example.org")).status_code == 200
