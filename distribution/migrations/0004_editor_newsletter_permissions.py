"""Editors run the newsletters: the daily briefing, breaking-news alerts, the mailings and their send
log, and the subscribers (looked up and deleted on request, never added: readers sign themselves
up). Reporters get none of it."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

CODENAMES = (
    "add_briefing", "change_briefing", "view_briefing", "delete_briefing",
    "add_briefingitem", "change_briefingitem", "view_briefingitem", "delete_briefingitem",
    "add_breakingalert", "change_breakingalert", "view_breakingalert",
    "view_mailing", "view_delivery",
    "view_subscriber", "delete_subscriber", "view_subscription", "delete_subscription",
)  # fmt: skip


def _make_permissions(apps):
    # Permissions are normally created after all migrations; the group needs them now.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None


def grant(apps, schema_editor):
    _make_permissions(apps)
    fill_groups(apps)


def fill_groups(apps):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _ = Group.objects.get_or_create(name="Editor")
    group.permissions.add(
        *Permission.objects.filter(content_type__app_label="distribution", codename__in=CODENAMES)
    )


def revoke(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for group in Group.objects.filter(name="Editor"):
        group.permissions.remove(*Permission.objects.filter(codename__in=CODENAMES))


class Migration(migrations.Migration):
    dependencies = [
        ("articles", "0003_reporter_and_editor_groups"),
        ("distribution", "0003_newsletters"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
