"""Embargoes: a story can carry a time before which it cannot go out. The check constraint
holds it on every path; the partial index reads the few embargoed stories for the admin."""

from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('articles', '0021_author_photo'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name='article',
            name='embargoed_until',
            field=models.DateTimeField(blank=True, help_text='Not to go out before this time, as agreed with the source: it can be scheduled for then or later, never published earlier. Set and lifted by an editor.', null=True),
        ),
        migrations.AddField(
            model_name='historicalarticle',
            name='embargoed_until',
            field=models.DateTimeField(blank=True, help_text='Not to go out before this time, as agreed with the source: it can be scheduled for then or later, never published earlier. Set and lifted by an editor.', null=True),
        ),
        migrations.AddIndex(
            model_name='article',
            index=models.Index(condition=models.Q(('embargoed_until__isnull', False)), fields=['embargoed_until', 'id'], name='article_embargoed'),
        ),
        migrations.AddConstraint(
            model_name='article',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('status', 'published'), _negated=True), ('embargoed_until__isnull', True), ('published_at__gte', models.F('embargoed_until')), _connector='OR'), name='published_after_embargo', violation_error_message='An embargoed article can go out only at its embargo time or later.'),
        ),
    ]
