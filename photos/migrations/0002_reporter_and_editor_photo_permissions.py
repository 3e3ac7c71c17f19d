"""The Reporter and Editor groups may add, change and view photos; editors may also delete them."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

ROLES = {
    "Reporter": ("add_photo", "change_photo", "view_photo"),
    "Editor": ("add_photo", "change_photo", "delete_photo", "view_photo"),
}


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
    """Add the photo permissions to both groups (made by articles' 0003); their others stay."""
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    photos = Permission.objects.filter(content_type__app_label="photos")
    for name, codenames in ROLES.items():
        group, _ = Group.objects.get_or_create(name=name)
        group.permissions.add(*photos.filter(codename__in=codenames))


def revoke(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    photos = Permission.objects.filter(content_type__app_label="photos")
    for group in Group.objects.filter(name__in=ROLES):
        group.permissions.remove(*photos)


class Migration(migrations.Migration):
    dependencies = [
        ("articles", "0003_reporter_and_editor_groups"),
        ("photos", "0001_image_library"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
