"""Reporters and editors choose a story's lead image in the article form (the inline needs these)."""

import importlib

from django.db import migrations

ROLES = {
    "Reporter": ("add_leadimage", "change_leadimage", "delete_leadimage", "view_leadimage"),
    "Editor": ("add_leadimage", "change_leadimage", "delete_leadimage", "view_leadimage"),
}
_photo_permissions = importlib.import_module("photos.migrations.0002_reporter_and_editor_photo_permissions")


def grant(apps, schema_editor):
    _photo_permissions._make_permissions(apps)
    fill_groups(apps)


def fill_groups(apps):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, codenames in ROLES.items():
        group, _ = Group.objects.get_or_create(name=name)
        group.permissions.add(*Permission.objects.filter(content_type__app_label="photos", codename__in=codenames))


def revoke(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    lead_image = Permission.objects.filter(content_type__app_label="photos", codename__endswith="_leadimage")
    for group in Group.objects.filter(name__in=ROLES):
        group.permissions.remove(*lead_image)


class Migration(migrations.Migration):
    dependencies = [("photos", "0003_lead_image")]

    operations = [migrations.RunPython(grant, revoke)]
