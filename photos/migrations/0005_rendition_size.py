from django.db import migrations, models


def measure_stored(apps, schema_editor):
    # Renditions made before sizes were recorded: ask the storage once, here, not on every feed.
    Rendition = apps.get_model("photos", "Rendition")
    for rendition in Rendition.objects.filter(size=0).iterator():
        try:
            rendition.size = rendition.file.size
        except OSError:
            continue  # a missing file stays 0; re-making it records the size
        rendition.save(update_fields=["size"])


class Migration(migrations.Migration):
    dependencies = [
        ("photos", "0004_lead_image_permissions"),
    ]

    operations = [
        migrations.AddField(
            model_name="rendition",
            name="size",
            field=models.PositiveIntegerField(default=0, help_text="Bytes: a feed's enclosure states it."),
        ),
        migrations.RunPython(measure_stored, migrations.RunPython.noop),
    ]
