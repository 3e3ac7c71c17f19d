"""Bodies follow the pictures they show: a body naming ``photo:ID`` holds the picture's alt text and
caption as rendered on save, so when the picture desk changes them (or the picture goes), the bodies
showing it are rendered again, with their search index entries."""

from articles import search
from articles.models import Article
from articles.rendering import render_markdown


def render_bodies_showing(picture_id):
    """Render anew the bodies that show library picture ``picture_id`` and store the HTML where it
    differs; return the ids of the stories changed. Not a save: no revision, no new edit_version or
    updated time, since nobody edited the stories."""
    changed = []
    for article in Article.objects.showing_picture(picture_id).only(
        "pk", "headline", "dek", "body", "body_html"
    ):
        html = render_markdown(article.body)
        if html != article.body_html:
            article.body_html = html
            changed.append(article)
    if changed:
        Article.objects.bulk_update(changed, ["body_html"])
        search.index_articles(changed)
    return [article.pk for article in changed]
