"""Each story's card data (articles/cards.py) follows everything its pages show, whichever way it
changes: readers never see a renamed author, a dropped tag or a replaced picture as it was."""

from datetime import timedelta

from django.core.management import call_command
from django.utils import timezone

from articles.models import Article, ArticleAuthor, Author, Correction, Status, Tag
from tests.formdata import form_data

CHANGE = "/admin/articles/article/{}/change/"


def page(client, url):
    response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


def test_a_renamed_author_is_renamed_on_every_card(client, make_article):
    stories = [make_article(f"Envoy story {n}", authors=["Ana Ruiz"]) for n in range(3)]
    author = Author.objects.get(name="Ana Ruiz")
    author.name, author.slug = "Ana Ruiz-Lee", "ana-ruiz-lee"
    author.save()
    listing = page(client, "/articles/")
    assert listing.count('<a href="/authors/ana-ruiz-lee/">Ana Ruiz-Lee</a>') == 3
    assert ">Ana Ruiz<" not in listing
    assert ">Ana Ruiz-Lee</a>" in page(client, stories[0].get_absolute_url())


def test_a_renamed_tag_is_renamed_on_the_story_and_its_cards(client, make_article):
    story = make_article("Trade talks", tags=["Trade"])
    tag = Tag.objects.get(name="Trade")
    tag.name = "Trade policy"
    tag.save()
    assert '<a class="tag" href="/tags/trade/">Trade policy</a>' in page(client, story.get_absolute_url())
    assert ">Trade policy</a>" in page(client, "/articles/")


def test_bylines_tags_and_corrections_follow_their_own_saves_and_deletes(client, make_article, make_author):
    story = make_article("Envoy lands", authors=["Ana Ruiz"], tags=["China", "Trade"])
    ArticleAuthor.objects.create(article=story, author=make_author("Li Wei"), position=1)
    story.tags.remove(Tag.objects.get(name="Trade"))
    Correction.objects.create(article=story, text="An earlier version misspelled the envoy's name.")
    text = page(client, story.get_absolute_url())
    assert 'By <a href="/authors/ana-ruiz/">Ana Ruiz</a> and <a href="/authors/li-wei/">Li Wei</a>' in text
    assert ">China</a>" in text and ">Trade</a>" not in text
    assert "misspelled the envoy" in text

    ArticleAuthor.objects.filter(author__name="Ana Ruiz").delete()
    Correction.objects.all().delete()
    story.tags.clear()
    text = page(client, story.get_absolute_url())
    assert ">Ana Ruiz<" not in text and ">Li Wei</a>" in text
    assert "misspelled the envoy" not in text and 'class="tag"' not in text


def test_the_lead_picture_follows_its_story_and_its_texts(client, make_article, make_photo, lead_with):
    story = make_article("Envoy lands")
    assert "<picture>" not in page(client, story.get_absolute_url())
    photo = make_photo(alt_text="The envoy on the tarmac")
    lead_with(story, photo)
    assert 'alt="The envoy on the tarmac"' in page(client, story.get_absolute_url())

    photo.alt_text = "The envoy greeted at the airport"
    photo.save()
    assert 'alt="The envoy greeted at the airport"' in page(client, story.get_absolute_url())

    photo.leads.all().delete()
    assert "<picture>" not in page(client, story.get_absolute_url())


def test_new_crops_after_a_focal_point_move_reach_the_cards(
    client, admin_client, make_article, make_photo, lead_with
):
    from photos.models import Rendition

    story = lead_with(make_article("Envoy lands"), make_photo())
    before = set(Rendition.objects.values_list("file", flat=True))
    photo = story.lead_image.photo
    change = f"/admin/photos/photo/{photo.pk}/change/"
    data = form_data(admin_client.get(change).content.decode(), "photo_form")
    data.update({"focal_x": "0.2", "focal_y": "0.3"})
    assert admin_client.post(change, data).status_code == 302
    new_crops = set(Rendition.objects.values_list("file", flat=True)) - before
    assert new_crops
    text = page(client, story.get_absolute_url())
    assert any(name in text for name in new_crops), "the page still points at the old crops"


def test_an_editor_saving_the_form_sees_the_new_tags_at_once(client, editor, make_article):
    story = make_article("Envoy lands", tags=["China"])
    added = [Tag.objects.create(name=name, slug=name.lower()) for name in ("Trade", "Climate")]
    client.force_login(editor)
    data = form_data(client.get(CHANGE.format(story.pk)).content.decode(), "article_form")
    data["tags"] = [*data["tags"], *(str(tag.pk) for tag in added)]
    assert client.post(CHANGE.format(story.pk), data).status_code == 302
    client.logout()
    text = page(client, story.get_absolute_url())
    assert all(f">{name}</a>" in text for name in ("China", "Climate", "Trade"))
    topics = Article.objects.get(pk=story.pk).card["topics"]
    assert [name for _, _, name in topics] == ["China", "Climate", "Trade"]  # by name


def test_refresh_cards_fills_in_what_stories_saved_before_cards_lack(make_article, capsys):
    stories = [make_article(authors=["Ana Ruiz"], tags=["China"]) for _ in range(3)]
    Article.objects.filter(pk__in=[s.pk for s in stories[:2]]).update(card=None)
    call_command("refresh_cards")
    assert capsys.readouterr().out.strip() == "2 stories refreshed."
    assert all(card["authors"][0][2] == "Ana Ruiz" for card in Article.objects.values_list("card", flat=True))
    call_command("refresh_cards", "--all")
    assert capsys.readouterr().out.strip() == "3 stories refreshed."


def test_a_topic_lists_its_stories_newest_first_and_only_public_ones(client, make_article):
    now = timezone.now()
    old = make_article("Old story", tags=["China"], published_at=now - timedelta(days=3))
    new = make_article("New story", tags=["China"], published_at=now - timedelta(days=1))
    make_article("Draft story", tags=["China"], status=Status.DRAFT, published_at=now - timedelta(hours=1))
    make_article("Scheduled story", tags=["China"], published_at=now + timedelta(days=1))
    text = page(client, "/tags/china/")
    assert text.index("New story") < text.index("Old story")
    assert "Draft story" not in text and "Scheduled story" not in text
    assert "2 stories" in text

    old.published_at = now - timedelta(minutes=5)  # moved: now the newest
    old.save()
    text = page(client, "/tags/china/")
    assert text.index("Old story") < text.index("New story")

    new.status = Status.DRAFT  # unpublished: gone from the topic and its count
    new.save()
    text = page(client, "/articles/?tag=china")
    assert "New story" not in text and "1 story" in text


def test_a_list_of_more_than_ten_thousand_says_so(client, make_article, monkeypatch):
    from articles import paging

    monkeypatch.setattr(paging.BoundedPaginator, "bound", 3)
    for n in range(5):
        make_article(f"Story {n}", tags=["China"])
    for url in ("/articles/", "/tags/china/"):
        text = page(client, url)
        assert "More than 3 stories" in text
    assert client.get("/articles/?page=1").status_code == 200
    response = client.get("/api/articles/")
    assert response.json()["count"] == 3 and response.json()["more_than_count"] is True


def test_a_list_narrowed_two_ways_counts_to_a_lower_bound(client, make_article, monkeypatch):
    """Two topics at once, or a topic in a section, are counted only so far (paging's
    NARROWED_COUNT_BOUND, 1,000): each story is found by testing one topic's stories against the
    other. Narrowed one way, the same stories are counted as far as any list."""
    from articles import paging

    monkeypatch.setattr(paging, "NARROWED_COUNT_BOUND", 3)
    for n in range(5):
        make_article(f"Story {n}", tags=["China", "Trade"])
    for url in ("/articles/?tag=china&tag=trade", "/tags/china/?tag=trade", "/sections/world/?tag=china"):
        text = page(client, url)
        assert "More than 3 stories" in text, url
        assert "The newest 3 are listed here" in text, url
    for url in ("/articles/?tag=china", "/tags/china/", "/sections/world/"):
        assert "5 stories" in page(client, url), url
