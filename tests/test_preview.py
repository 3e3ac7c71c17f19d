"""Drafts are previewed through a signed link that expires; nothing else about them is public."""

import re
from datetime import timedelta

from django.utils import timezone

from articles.models import Status
from articles.preview import preview_token


def test_preview_link_on_the_admin_page_shows_the_draft_with_a_banner(client, editor, make_article):
    draft = make_article("Secret draft", status=Status.DRAFT, published_at=None, dek="Not out yet.")
    client.force_login(editor)
    page = client.get(f"/admin/articles/article/{draft.pk}/change/").content.decode()
    url = re.search(r'<a href="(/preview/[^"]+/)"[^>]*id="preview-link"', page)[1]
    client.logout()

    response = client.get(url)
    assert response.status_code == 200
    html = response.content.decode()
    assert '<h1 class="story__headline">Secret draft</h1>' in html
    assert "Preview — not published" in html
    assert '<meta name="robots" content="noindex, nofollow">' in html
    assert response["X-Robots-Tag"] == "noindex, nofollow"
    assert "no-store" in response["Cache-Control"] and "private" in response["Cache-Control"]


def test_tampered_preview_link_is_404(client, make_article):
    draft = make_article("Secret draft", status=Status.DRAFT, published_at=None)
    other = make_article("Other draft", status=Status.DRAFT, published_at=None)
    token = preview_token(draft)
    assert client.get(f"/preview/{token}x/").status_code == 404
    assert client.get(f"/preview/{token[:-3]}abc/").status_code == 404
    # A token's payload swapped for another article's, keeping the old signature.
    forged = preview_token(other).split(":")[0] + ":" + token.split(":", 1)[1]
    assert client.get(f"/preview/{forged}/").status_code == 404
    assert client.get("/preview/garbage/").status_code == 404


def test_preview_link_expires_after_24_hours(client, make_article, time_machine):
    draft = make_article("Secret draft", status=Status.DRAFT, published_at=None)
    time_machine.move_to(timezone.now())
    url = f"/preview/{preview_token(draft)}/"
    time_machine.shift(timedelta(hours=23, minutes=59))
    assert client.get(url).status_code == 200
    time_machine.shift(timedelta(minutes=2))
    assert client.get(url).status_code == 404


def test_preview_of_a_deleted_article_is_404(client, make_article):
    draft = make_article("Secret draft", status=Status.DRAFT, published_at=None)
    url = f"/preview/{preview_token(draft)}/"
    draft.delete()
    assert client.get(url).status_code == 404
