"""The content version moves into the database, and stored text loses its control characters.

The version row starts at the clock in microseconds, past every version the shared cache stored
pages under while it held the counter, so no page from before this migration is served again.
"""

import re
import time

from django.db import migrations, models

# articles/plain_text.py's rule, written out: a migration must not change when that module does.
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff]")
# Each model's text fields a reader, a feed or a sitemap may show.
TEXT_FIELDS = {
    "Article": ["headline", "dek", "body", "body_html", "dateline"],
    "Section": ["name", "description"],
    "Author": ["name", "bio"],
    "Tag": ["name", "description", "aliases"],
    "Correction": ["text"],
}


def start_version(apps, schema_editor):
    Article = apps.get_model("articles", "Article")
    ContentVersion = apps.get_model("articles", "ContentVersion")
    upcoming = (
        Article.objects.filter(status="published", published_at__gt=models.functions.Now())
        .order_by("published_at")
        .values_list("published_at", flat=True)
        .first()
    )
    ContentVersion.objects.update_or_create(
        pk=1, defaults={"version": time.time_ns() // 1000, "next_publication": upcoming}
    )


def strip_control_characters(apps, schema_editor):
    """Clean the rows that hold one, read in Python: a regex lookup would differ by database."""
    for model_name, fields in TEXT_FIELDS.items():
        model = apps.get_model("articles", model_name)
        for row in model.objects.only("pk", *fields).iterator(chunk_size=500):
            dirty = {
                field: CONTROL_CHARACTERS.sub("", getattr(row, field))
                for field in fields
                if CONTROL_CHARACTERS.search(getattr(row, field) or "")
            }
            if dirty:
                model.objects.filter(pk=row.pk).update(**dirty)


class Migration(migrations.Migration):
    dependencies = [("articles", "0007_public_index_order")]

    operations = [
        migrations.CreateModel(
            name="ContentVersion",
            fields=[
                ("id", models.PositiveSmallIntegerField(default=1, primary_key=True, serialize=False)),
                ("version", models.BigIntegerField()),
                ("next_publication", models.DateTimeField(blank=True, null=True)),
                (
                    "withdrawn_at",
                    models.DateTimeField(blank=True, help_text="When a story last left the site.", null=True),
                ),
            ],
            options={
                "constraints": [
                    models.CheckConstraint(condition=models.Q(("id", 1)), name="content_version_one_row")
                ],
            },
        ),
        migrations.RunPython(start_version, migrations.RunPython.noop),
        migrations.RunPython(strip_control_characters, migrations.RunPython.noop),
    ]
