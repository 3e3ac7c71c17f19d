# Bylines carry their story's release time, as taggings do (0013): an author's page is read newest
# first, and counted, from the bylines' own index.

from django.db import migrations, models
from django.db.models import OuterRef, Subquery


def copy_release_times(apps, schema_editor):
    Article = apps.get_model("articles", "Article")
    ArticleAuthor = apps.get_model("articles", "ArticleAuthor")
    released = Article.objects.filter(pk=OuterRef("article_id"), status="published")
    when = released.values("published_at")[:1]
    ArticleAuthor.objects.using(schema_editor.connection.alias).update(published_at=Subquery(when))


class Migration(migrations.Migration):
    dependencies = [
        ("articles", "0015_search_vector_side_table"),
    ]

    operations = [
        migrations.AddField(
            model_name="articleauthor",
            name="published_at",
            field=models.DateTimeField(blank=True, editable=False, null=True),
        ),
        migrations.RunPython(copy_release_times, migrations.RunPython.noop),
        migrations.AddIndex(
            model_name="articleauthor",
            index=models.Index(fields=["author", "-published_at", "-article"], name="byline_newest"),
        ),
    ]
