"""Cached pages are retired by the keys of what they show (articles/caching.py): the content
version gets an epoch, and the page scopes' old clock-based versions go (they would read as retired
far in the future)."""

from django.db import migrations, models


def start_epoch(apps, schema_editor):
    ContentVersion = apps.get_model("articles", "ContentVersion")
    PageScope = apps.get_model("articles", "PageScope")
    ContentVersion.objects.update(epoch=models.F("version"))
    PageScope.objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [("articles", "0026_lz4_story_text")]

    operations = [
        migrations.AddField(
            model_name="contentversion", name="epoch", field=models.BigIntegerField(default=0)
        ),
        migrations.RunPython(start_epoch, migrations.RunPython.noop),
    ]
