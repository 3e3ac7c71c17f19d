"""Editors manage the partners' webhook endpoints and read the delivery log; they may also read
the task queue's results, where a failed background task (a webhook attempt, a hub ping) shows
its error. Reporters get none of it: an endpoint's secret is the desk's."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

EDITOR = {
    "distribution": (
        "add_webhookendpoint", "change_webhookendpoint", "view_webhookendpoint", "delete_webhookendpoint",
        "view_webhookdelivery", "view_webhookattempt",
    ),
    "django_tasks_database": ("view_dbtaskresult",),
}  # fmt: skip


def _make_permissions(apps):
    # Permissions are normally created after all migrations; the group needs them now.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None


def grant(apps, schema_editor):
    _make_permissions(apps)
    fill_groups(apps)


def _permissions(apps):
    Permission = apps.get_model("auth", "Permission")
    found = Permission.objects.none()
    for app_label, codenames in EDITOR.items():
        found |= Permission.objects.filter(content_type__app_label=app_label, codename__in=codenames)
    return found


def fill_groups(apps):
    """Add the webhook and task-result permissions to the Editor group (made by articles' 0003)."""
    Group = apps.get_model("auth", "Group")
    group, _ = Group.objects.get_or_create(name="Editor")
    group.permissions.add(*_permissions(apps))


def revoke(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    for group in Group.objects.filter(name="Editor"):
        group.permissions.remove(*_permissions(apps))


class Migration(migrations.Migration):
    dependencies = [
        ("articles", "0003_reporter_and_editor_groups"),
        ("distribution", "0001_webhooks"),
        ("django_tasks_database", "0001_initial"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
