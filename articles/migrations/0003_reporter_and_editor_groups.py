"""The Reporter and Editor groups, so a fresh database has the newsroom's roles."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

EVERY_ACTION = ("add", "change", "delete", "view")
REPORTER = {
    "article": ("add", "change", "delete", "view"),  # the admin keeps published stories out of reach
    "articleauthor": EVERY_ACTION,
    "taggedarticle": EVERY_ACTION,
    "tag": ("add", "view"),
    "author": ("view",),
    "section": ("view",),
    "correction": ("view",),
    "historicalarticle": ("view",),
    "publicationevent": ("view",),
    "slugredirect": ("view",),
}
EDITOR_MODELS = (
    "article", "articleauthor", "taggedarticle", "tag", "author", "section", "correction",
    "historicalarticle", "publicationevent", "slugredirect",
)  # fmt: skip


def _make_permissions(apps):
    # Permissions are normally created after all migrations; the groups need them now.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None


def create_groups(apps, schema_editor):
    _make_permissions(apps)
    fill_groups(apps)


def fill_groups(apps):
    """Create or update both groups; the permissions must exist."""
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    articles = Permission.objects.filter(content_type__app_label="articles")

    reporter, _ = Group.objects.get_or_create(name="Reporter")
    codenames = [f"{action}_{model}" for model, actions in REPORTER.items() for action in actions]
    reporter.permissions.set(articles.filter(codename__in=codenames))

    editor, _ = Group.objects.get_or_create(name="Editor")
    codenames = [f"{action}_{model}" for model in EDITOR_MODELS for action in EVERY_ACTION]
    editor.permissions.set(articles.filter(codename__in=[*codenames, "publish_article"]))


def remove_groups(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=["Reporter", "Editor"]).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("articles", "0002_workflow_roles_revisions_audit"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_groups, remove_groups)]
