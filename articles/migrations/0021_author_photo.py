"""Authors' photos (articles/portraits.py), and the stored answer to whether a story's dek repeats
its lede (articles/standfirst.py), worked out here for the stories already written."""

import articles.portraits
from articles.standfirst import repeats_lede
from django.db import migrations, models

CHUNK = 1000


def mark_deks_drawn_from_ledes(apps, schema_editor):
    Article = apps.get_model("articles", "Article")
    stories = Article.objects.using(schema_editor.connection.alias).exclude(dek="").order_by("pk")
    last = 0
    while chunk := list(stories.filter(pk__gt=last).only("pk", "dek", "body_html")[:CHUNK]):
        last = chunk[-1].pk
        repeating = [story.pk for story in chunk if repeats_lede(story.dek, story.body_html)]
        if repeating:
            stories.filter(pk__in=repeating).update(dek_repeats_lede=True)


class Migration(migrations.Migration):

    dependencies = [
        ('articles', '0020_dashboard_indexes'),
    ]

    operations = [
        migrations.AddField(
            model_name='article',
            name='dek_repeats_lede',
            field=models.BooleanField(default=False, editable=False),
        ),
        migrations.AddField(
            model_name='author',
            name='photo',
            field=models.ImageField(blank=True, height_field='photo_height', help_text="Head and shoulders, shown on the author's page (JPEG, PNG or WebP, up to 10 MB).", max_length=255, upload_to='authors/', validators=[articles.portraits.validate_photo], width_field='photo_width'),
        ),
        migrations.AddField(
            model_name='author',
            name='photo_height',
            field=models.PositiveIntegerField(blank=True, editable=False, null=True),
        ),
        migrations.AddField(
            model_name='author',
            name='photo_width',
            field=models.PositiveIntegerField(blank=True, editable=False, null=True),
        ),
        migrations.AddField(
            model_name='author',
            name='portrait',
            field=models.ImageField(blank=True, editable=False, max_length=255, upload_to='authors/'),
        ),
        # A plain update, not a save: nobody edited the stories, so no revision or new updated time.
        migrations.RunPython(mark_deks_drawn_from_ledes, migrations.RunPython.noop, elidable=True),
    ]
