"""Pictures in a story's body: ``![alt](photo:ID "caption")`` becomes a <figure> with AVIF, WebP and
JPEG versions, rendered once on save; an unknown picture is refused in the form and dropped anywhere
else; a picture a body shows cannot be deleted from the picture desk."""

import re

import pytest

from articles.models import Article
from articles.rendering import render_markdown
from photos.models import Photo
from tests.formdata import form_data
from tests.test_rendering import ElementCollector, executable_parts

CHANGE = "/admin/articles/article/{}/change/"
PHOTO_DELETE = "/admin/photos/photo/{}/delete/"

pytestmark = pytest.mark.usefixtures("media")


def elements(html, tag):
    return [attrs for name, attrs in ElementCollector(html).elements if name == tag]


@pytest.mark.django_db
def test_a_picture_in_the_body_renders_as_a_figure_with_sources_size_and_lazy_loading(
    make_photo, make_article
):
    photo = make_photo(caption="The envoy arrives at dawn.", credit="Jane Doe/Reuters")
    story = make_article(body=f"The plane landed.\n\n![](photo:{photo.pk})\n\nTalks began.")
    html = story.body_html

    assert '<figure class="story-figure"><picture>' in html
    sources = elements(html, "source")
    assert [s["type"] for s in sources] == ["image/avif", "image/webp"]
    assert all(s["srcset"].count("w,") == 2 and s["sizes"] for s in sources)  # 480, 960 and 1440 px
    [img] = elements(html, "img")
    assert img["src"].startswith("/media/photos/renditions/") and img["src"].endswith(".jpg")
    assert (img["width"], img["height"]) == ("960", "720")  # the picture's own 4:3 shape
    assert (img["loading"], img["decoding"]) == ("lazy", "async")
    assert img["sizes"] == "(min-width: 48rem) 40rem, calc(100vw - 2rem)"
    assert '<figcaption>The envoy arrives at dawn. <span class="credit">Jane Doe/Reuters</span>' in html


@pytest.mark.django_db
def test_alt_text_and_caption_come_from_the_body_when_given_and_from_the_library_otherwise(make_photo):
    photo = make_photo(alt_text="The envoy on the tarmac", caption="Library caption.")
    own = render_markdown(f'![Wang Yi greets the envoy](photo:{photo.pk} "Our own caption.")')
    library = render_markdown(f"![](photo:{photo.pk})")

    assert elements(own, "img")[0]["alt"] == "Wang Yi greets the envoy"
    assert "<figcaption>Our own caption. " in own and "Library caption." not in own
    assert elements(library, "img")[0]["alt"] == "The envoy on the tarmac"
    assert "<figcaption>Library caption. " in library


@pytest.mark.django_db
def test_a_figure_is_never_inside_a_paragraph(make_photo):
    photo = make_photo()
    alone = render_markdown(f"![](photo:{photo.pk})")
    mid_sentence = render_markdown(f"Before the talks ![](photo:{photo.pk}) and after.")

    assert alone.startswith("<figure") and "<p>" not in alone
    assert mid_sentence.startswith("<p>Before the talks </p>\n<figure")
    assert mid_sentence.endswith("</figure>\n<p> and after.</p>\n")


@pytest.mark.django_db
def test_an_unknown_picture_is_dropped_when_rendered(make_article):
    story = make_article(body="Before.\n\n![The envoy](photo:999999)\n\nAfter.")
    assert story.body_html == "<p>Before.</p>\n\n<p>After.</p>\n"
    assert "photo:" not in story.body_html


@pytest.mark.django_db
def test_the_article_form_refuses_a_body_naming_a_picture_that_does_not_exist(client, editor, make_article):
    story = make_article(body="Unchanged body.")
    client.force_login(editor)
    data = form_data(client.get(CHANGE.format(story.pk)).content.decode(), "article_form")
    data["body"] = "Talks began.\n\n![The envoy](photo:999999)"
    response = client.post(CHANGE.format(story.pk), data)

    assert response.status_code == 200
    assert "The body shows photo:999999, which the picture desk does not have." in response.content.decode()
    story.refresh_from_db()
    assert story.body == "Unchanged body."


@pytest.mark.django_db
def test_the_article_form_saves_a_body_with_a_library_picture(client, editor, make_article, make_photo):
    photo, story = make_photo(), make_article(body="Unchanged body.")
    client.force_login(editor)
    page = client.get(CHANGE.format(story.pk)).content.decode()
    assert "photo:ID" in page  # the body's help text says how
    data = form_data(page, "article_form")
    data["body"] = f"Talks began.\n\n![The envoy](photo:{photo.pk})"
    response = client.post(CHANGE.format(story.pk), data)

    assert response.status_code == 302, response.content.decode()[:2000]
    story.refresh_from_db()
    assert '<figure class="story-figure">' in story.body_html


INJECTIONS = [
    '<img src="x" onerror="alert(1)" srcset="javascript:alert(1) 1x">',
    '<picture><source srcset="https://evil.example/x.jpg"></picture>',
    '<figure class="story-figure" onclick="alert(1)">x</figure>',
    '![x](https://evil.example/x.jpg "t\\" onerror=\\"alert(1)")',
    '![x" onerror="alert(1)](photo:{pk})',
    '![x](photo:{pk} "t\\" srcset=\\"javascript:alert(1)")',
]


@pytest.mark.django_db
@pytest.mark.parametrize("source", INJECTIONS)
def test_an_author_cannot_inject_attributes_or_picture_markup(make_photo, source):
    photo = make_photo()
    html = render_markdown(source.format(pk=photo.pk))
    assert executable_parts(html) == []
    ours = html.count('<figure class="story-figure">')
    # srcset, sizes and <source> appear only inside the figures our renderer built, never from the author.
    assert html.count("<source") == 2 * ours
    assert all("javascript" not in value and "evil" not in value for value in _srcsets(html))


def _srcsets(html):
    return [attrs["srcset"] for _, attrs in ElementCollector(html).elements if "srcset" in attrs]


@pytest.mark.django_db
def test_the_published_article_page_shows_the_figure(client, make_photo, make_article):
    photo = make_photo(caption="The envoy arrives at dawn.")
    story = make_article(body=f"The plane landed.\n\n![Wang Yi greets the envoy](photo:{photo.pk})")
    page = client.get(story.get_absolute_url()).content.decode()
    assert '<figure class="story-figure">' in page
    assert 'alt="Wang Yi greets the envoy"' in page and "The envoy arrives at dawn." in page


@pytest.mark.django_db
def test_a_feed_sends_the_body_pictures_and_links_as_full_addresses(client, make_photo, make_article):
    from xml.etree import ElementTree

    photo = make_photo()
    body = f"See [the earlier story](/articles/earlier/), 1/2 done.\n\n![The envoy](photo:{photo.pk})"
    make_article("Envoy lands", body=body)
    contents = {
        "/feeds/latest/": ".//{http://purl.org/rss/1.0/modules/content/}encoded",
        "/feeds/latest/atom/": ".//{http://www.w3.org/2005/Atom}content",
    }
    for url, path in contents.items():
        html = ElementTree.fromstring(client.get(url).content).find(path).text
        assert 'href="http://testserver/articles/earlier/"' in html
        srcsets = re.findall(r'srcset="([^"]+)"', html)
        candidates = [candidate.split()[0] for srcset in srcsets for candidate in srcset.split(", ")]
        assert len(candidates) == 9  # three widths in AVIF, WebP and JPEG
        assert all(c.startswith("http://testserver/media/photos/") for c in candidates)
        assert re.search(r'src="http://testserver/media/photos/[^"]+\.jpg"', html)
        assert "1/2 done" in html  # text is left as it was


@pytest.mark.django_db
def test_deleting_a_picture_a_body_shows_is_refused_with_the_story_named(
    admin_client, make_photo, make_article
):
    photo = make_photo()
    make_article("Envoy lands in Beijing", body=f"![](photo:{photo.pk})")
    response = admin_client.post(PHOTO_DELETE.format(photo.pk), {"post": "yes"})

    assert response.status_code == 200
    page = response.content.decode()
    assert "Envoy lands in Beijing" in page and f"photo:{photo.pk}" in page
    assert Photo.objects.filter(pk=photo.pk).exists()


@pytest.mark.django_db
def test_a_body_naming_a_longer_number_does_not_keep_a_picture(admin_client, make_photo, make_article):
    photo = make_photo()
    make_article(body=f"![](photo:{photo.pk}0) and ![](photo:{photo.pk}1)")  # not this picture
    assert not Article.objects.showing_picture(photo.pk).exists()
    response = admin_client.post(PHOTO_DELETE.format(photo.pk), {"post": "yes"})
    assert response.status_code == 302
    assert not Photo.objects.filter(pk=photo.pk).exists()


@pytest.mark.django_db
def test_editing_a_pictures_caption_updates_the_stories_showing_it(make_photo, make_article):
    photo = make_photo(caption="Old caption.")
    story = make_article(body=f"![](photo:{photo.pk})")
    untouched = story.updated_at
    photo.caption = "New caption."
    photo.save()

    story.refresh_from_db()
    assert "New caption." in story.body_html and "Old caption." not in story.body_html
    assert story.updated_at == untouched  # nobody edited the story itself


@pytest.mark.django_db
def test_an_imported_story_shows_a_library_picture_and_drops_an_unknown_one(make_photo, write):
    from articles.importing import import_paths

    photo = make_photo(caption="The envoy arrives at dawn.")
    body = f"The plane landed.\n\n![](photo:{photo.pk})\n\n![Gone](photo:999999)\n"
    import_paths([write("arrival.md", f"---\ntitle: Envoy lands in Beijing\n---\n{body}")])

    html = Article.objects.get(headline="Envoy lands in Beijing").body_html
    assert html.count('<figure class="story-figure">') == 1 and "The envoy arrives at dawn." in html
    assert "Gone" not in html and "photo:" not in html


@pytest.mark.django_db
def test_a_pictures_address_is_not_counted_as_words(make_photo, make_article):
    photo = make_photo()
    story = make_article(body=f'Talks began.\n\n![](photo:{photo.pk} "At dawn.")')
    assert story.word_count == 4  # "Talks began", and the caption readers see
