"""Settings come from the environment and default to safe."""

import os
import subprocess
import sys
from pathlib import Path

from django.conf import settings
from django.db import connection

PROJECT = Path(__file__).resolve().parent.parent


def run_settings(env_overrides, code="from django.conf import settings; print(settings.DEBUG)"):
    env = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    env.update({"DJANGO_SETTINGS_MODULE": "newsroom.settings", **env_overrides})
    return subprocess.run(
        [sys.executable, "-c", f"import django; django.setup(); {code}"],
        cwd=PROJECT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_debug_is_off_unless_the_environment_turns_it_on():
    assert settings.DEBUG is False
    assert run_settings({"DJANGO_SECRET_KEY": "k" * 50}).stdout.strip() == "False"
    assert run_settings({"DJANGO_DEBUG": "1"}).stdout.strip() == "True"


def settings_checkout(tmp_path, key_file=None):
    """A copy of the settings package alone, so a local .secret_key in the project cannot interfere."""
    import shutil

    project = tmp_path / "checkout"
    shutil.copytree(PROJECT / "newsroom", project / "newsroom")
    if key_file is not None:
        (project / ".secret_key").write_text(key_file)
    return project


def print_secret_key(project):
    env = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    env.update(DJANGO_SETTINGS_MODULE="newsroom.settings", PYTHONPATH=str(project))
    return subprocess.run(
        [sys.executable, "-c", "from django.conf import settings; print(settings.SECRET_KEY)"],
        cwd=project, env=env, capture_output=True, text=True, timeout=60,
    )  # fmt: skip


def test_refuses_to_start_without_a_secret_key_when_debug_is_off(tmp_path):
    result = print_secret_key(settings_checkout(tmp_path))
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY is not set" in result.stderr


def test_allowed_hosts_and_database_url_come_from_the_environment():
    code = (
        "from django.conf import settings; "
        "print(settings.ALLOWED_HOSTS, settings.DATABASES['default']['ENGINE'], "
        "settings.DATABASES['default']['NAME'])"
    )
    result = run_settings(
        {
            "DJANGO_SECRET_KEY": "k" * 50,
            "DJANGO_ALLOWED_HOSTS": "news.example, www.news.example",
            "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/newsroom",
        },
        code,
    )
    assert result.stdout.split() == [
        "['news.example',",
        "'www.news.example']",
        "django.db.backends.postgresql",
        "newsroom",
    ]


def test_default_database_is_sqlite_in_wal_mode_with_immediate_transactions(tmp_path):
    code = (
        "from django.conf import settings; from django.db import connection; "
        "c = connection.cursor(); c.execute('PRAGMA journal_mode'); "
        "print(settings.DATABASES['default']['OPTIONS']['transaction_mode'], c.fetchone()[0])"
    )
    database_url = f"sqlite:///{tmp_path / 'newsroom.sqlite3'}"
    result = run_settings({"DJANGO_SECRET_KEY": "k" * 50, "DATABASE_URL": database_url}, code)
    assert result.stdout.split() == ["IMMEDIATE", "wal"], result.stderr


def test_times_are_stored_in_utc():
    assert settings.USE_TZ is True and settings.TIME_ZONE == "UTC"
    assert connection.vendor in {"sqlite", "postgresql"}


def test_the_key_make_run_made_is_used_when_the_environment_has_none(tmp_path):
    result = print_secret_key(settings_checkout(tmp_path, key_file="k" * 50 + "\n"))
    assert result.stdout.strip() == "k" * 50, result.stderr


def test_the_desk_time_zone_comes_from_the_environment():
    code = "from django.conf import settings; print(settings.TIME_ZONE)"
    result = run_settings({"DJANGO_SECRET_KEY": "k" * 50, "NEWSROOM_TIME_ZONE": "America/New_York"}, code)
    assert result.stdout.strip() == "America/New_York", result.stderr
    assert run_settings({"DJANGO_SECRET_KEY": "k" * 50}, code).stdout.strip() == "UTC"


def test_an_unknown_desk_time_zone_stops_the_start_with_its_name():
    result = run_settings({"DJANGO_SECRET_KEY": "k" * 50, "NEWSROOM_TIME_ZONE": "Mars/Olympus"})
    assert result.returncode != 0
    assert "NEWSROOM_TIME_ZONE='Mars/Olympus' is not a time zone name" in result.stderr
