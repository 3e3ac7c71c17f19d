"""Related coverage: up to five public stories sharing the most tags, newest first on ties."""

import re
from datetime import timedelta

from django.utils import timezone

from articles.models import Status


def related(client, article):
    page = client.get(article.get_absolute_url()).content.decode()
    box = page.split('id="related-heading"', 1)[1] if 'id="related-heading"' in page else ""
    return re.findall(r'<li><a href="[^"]+">([^<]+)</a>', box)


def test_most_shared_tags_first_then_newest(client, make_article):
    now = timezone.now()
    story = make_article("Main story", tags=["China", "Trade", "Taiwan"])
    make_article("Shares one, newest", tags=["China"], published_at=now - timedelta(minutes=1))
    make_article("Shares two", tags=["China", "Trade"], published_at=now - timedelta(days=3))
    make_article("Shares three", tags=["China", "Trade", "Taiwan"], published_at=now - timedelta(days=9))
    make_article("Shares one, older", tags=["Taiwan"], published_at=now - timedelta(days=5))
    make_article("Shares nothing", tags=["Brazil"])
    assert related(client, story) == ["Shares three", "Shares two", "Shares one, newest", "Shares one, older"]


def test_at_most_five(client, make_article):
    story = make_article("Main story", tags=["China"])
    for n in range(8):
        make_article(f"Other {n}", tags=["China"])
    assert len(related(client, story)) == 5


def test_hidden_stories_never_show_as_related(client, make_article):
    story = make_article("Main story", tags=["China"])
    make_article("Draft sibling", tags=["China"], status=Status.DRAFT, published_at=None)
    make_article("Review sibling", tags=["China"], status=Status.REVIEW, published_at=None)
    make_article("Scheduled sibling", tags=["China"], published_at=timezone.now() + timedelta(hours=1))
    make_article("Public sibling", tags=["China"])
    assert related(client, story) == ["Public sibling"]


def test_untagged_story_has_no_related_box(client, make_article):
    story = make_article("Main story")
    make_article("Other story")
    assert 'id="related-heading"' not in client.get(story.get_absolute_url()).content.decode()
