"""Reporters post and edit draft updates and keep a live story's key points; editors do everything,
including publishing, correcting and removing published updates."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

ROLES = {
    "Reporter": (
        "add_liveupdate", "change_liveupdate", "view_liveupdate", "delete_liveupdate",
        "add_livestory", "change_livestory", "view_livestory",
    ),
    "Editor": (
        "add_liveupdate", "change_liveupdate", "view_liveupdate", "delete_liveupdate", "publish_liveupdate",
        "add_livestory", "change_livestory", "view_livestory", "delete_livestory",
    ),
}  # fmt: skip


def _make_permissions(apps):
    # Permissions are normally created after all migrations; the groups need them now.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None


def grant(apps, schema_editor):
    _make_permissions(apps)
    fill_groups(apps)


def fill_groups(apps):
    """Add the live permissions to both groups (made by articles' 0003); their others stay."""
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    live = Permission.objects.filter(content_type__app_label="live")
    for name, codenames in ROLES.items():
        group, _ = Group.objects.get_or_create(name=name)
        group.permissions.add(*live.filter(codename__in=codenames))


def revoke(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    live = Permission.objects.filter(content_type__app_label="live")
    for group in Group.objects.filter(name__in=ROLES):
        group.permissions.remove(*live)


class Migration(migrations.Migration):
    dependencies = [
        ("articles", "0003_reporter_and_editor_groups"),
        ("live", "0001_live_stories"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
