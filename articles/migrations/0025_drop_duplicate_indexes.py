"""Indexes that another index already answers for, dropped: every story written paid for each.

- The section and creator foreign keys' own indexes: article_section_newest, article_section_updated
  and article_by_creator begin with those columns.
- PostgreSQL's article_id_visibility (migration 0015, id INCLUDE status, published_at): the same
  as article_visibility (migration 0017, on both databases), which took its place.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


def _on_postgresql(statement):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(statement)

    return run


class Migration(migrations.Migration):

    dependencies = [
        ('articles', '0024_search_gin_pending_list'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RunPython(
            _on_postgresql("DROP INDEX IF EXISTS article_id_visibility"),
            _on_postgresql(
                "CREATE INDEX article_id_visibility ON articles_article (id) INCLUDE (status, published_at)"
            ),
            elidable=False,
        ),
        migrations.AlterField(
            model_name='article',
            name='created_by',
            field=models.ForeignKey(blank=True, db_index=False, editable=False, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL),
        ),
        migrations.AlterField(
            model_name='article',
            name='section',
            field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name='articles', to='articles.section'),
        ),
    ]
