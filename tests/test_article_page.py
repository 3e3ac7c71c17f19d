"""The article page: what it shows, its old addresses, its metadata."""

from datetime import timedelta

from articles.models import Correction, Status


def test_renamed_article_answers_301_at_its_old_slug(client, make_article):
    article = make_article("Envoy lands in Beijing", slug="envoy-lands")
    article.slug = "envoy-lands-in-beijing"
    article.save()

    response = client.get("/articles/envoy-lands/")
    assert response.status_code == 301
    assert response["Location"] == "/articles/envoy-lands-in-beijing/"
    assert client.get("/articles/envoy-lands-in-beijing/").status_code == 200


def test_two_renames_both_lead_to_the_current_slug(client, make_article):
    article = make_article("Envoy lands", slug="first")
    article.slug = "second"
    article.save()
    article.slug = "third"
    article.save()
    assert client.get("/articles/first/")["Location"] == "/articles/third/"
    assert client.get("/articles/second/")["Location"] == "/articles/third/"


def test_old_slug_of_an_unpublished_article_is_404(client, make_article):
    article = make_article("Envoy lands", slug="old")
    article.slug = "new"
    article.status = Status.DRAFT
    article.save()
    assert client.get("/articles/old/").status_code == 404


def test_taking_back_an_old_slug_serves_the_article_there(client, make_article):
    article = make_article("Envoy lands", slug="one")
    article.slug = "two"
    article.save()
    article.slug = "one"
    article.save()
    assert client.get("/articles/one/").status_code == 200
    assert client.get("/articles/two/")["Location"] == "/articles/one/"


def test_page_shows_byline_dateline_times_and_metadata(client, make_article):
    article = make_article(
        "Envoy lands in Beijing",
        authors=["Ana Ruiz", "Li Wei"],
        tags=["China"],
        dek="The visit comes as tensions rise.",
        dateline="BEIJING",
        body="## Arrival\n\nThe plane landed at dawn.",
    )
    page = client.get(article.get_absolute_url()).content.decode()
    assert "<title>Envoy lands in Beijing — Newsroom</title>" in page
    assert '<meta name="description" content="The visit comes as tensions rise.">' in page
    assert f'<link rel="canonical" href="http://testserver/articles/{article.slug}/">' in page
    assert 'By <a href="/authors/ana-ruiz/">Ana Ruiz</a> and <a href="/authors/li-wei/">Li Wei</a>' in page
    assert "BEIJING" in page
    assert f'<time datetime="{article.published_at.isoformat()}"' in page
    assert "<h2>Arrival</h2>" in page
    assert '<a class="tag" href="/tags/china/">China</a>' in page
    assert "1 min read" in page


def test_correction_is_shown_and_moves_the_updated_time(client, make_article, time_machine):
    article = make_article("Envoy lands in Beijing")
    before = article.updated_at
    time_machine.move_to(before + timedelta(hours=1))
    Correction.objects.create(article=article, text="An earlier version misspelt the envoy's name.")
    article.refresh_from_db()
    assert article.updated_at > before
    page = client.get(article.get_absolute_url()).content.decode()
    assert "Correction" in page
    assert "An earlier version misspelt the envoy&#39;s name." in page  # escaped, as Jinja2 writes it
    assert "Updated <time" in page


def test_public_pages_are_revalidated_with_etags(client, make_article):
    article = make_article("Envoy lands in Beijing")
    response = client.get(article.get_absolute_url())
    assert "no-cache" in response["Cache-Control"] and "public" in response["Cache-Control"]
    again = client.get(article.get_absolute_url(), HTTP_IF_NONE_MATCH=response["ETag"])
    assert again.status_code == 304


def test_a_story_imported_with_an_old_publication_time_is_not_marked_updated(client, make_article):
    from django.utils import timezone

    article = make_article("From the archive", published_at=timezone.now() - timedelta(days=300))
    assert "Updated <time" not in client.get(article.get_absolute_url()).content.decode()
