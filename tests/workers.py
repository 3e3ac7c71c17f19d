"""Real worker processes for tests of background work: the test's database shared with a
``manage.py db_worker`` subprocess, and a way to wait for what the worker does.

Use the fixtures by importing them into a test module:
``from tests.workers import shared_database, start_worker, wait_until``.
"""

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connections

PROJECT = Path(__file__).resolve().parent.parent
RETRY_DELAY = 0.5


@pytest.fixture
def shared_database(transactional_db, tmp_path):
    """The test database's URL, for the worker process. SQLite's test database lives in memory,
    where no other process can see it: the test runs on a migrated file instead."""
    connection = connections["default"]
    if connection.vendor != "sqlite":
        info = connection.settings_dict
        yield f"postgres://{info['USER']}@{info['HOST'] or '127.0.0.1'}:{info['PORT'] or 5432}/{info['NAME']}"
        return
    in_memory, name = connection.connection, connection.settings_dict["NAME"]
    path = tmp_path / "shared.sqlite3"
    connection.connection = None
    connection.settings_dict["NAME"] = str(path)
    call_command("migrate", verbosity=0)
    try:
        yield f"sqlite:///{path}"
    finally:
        connection.close()
        connection.settings_dict["NAME"] = name
        connection.connection = in_memory


def wait_until(condition, timeout=30):
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


@pytest.fixture
def start_worker(shared_database, settings):
    workers = []

    def start(command="db_worker", **extra_env):
        """Start a worker (``manage.py worker`` also starts the distribution clock); ``extra_env``
        adds to (or overrides) its environment."""
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "newsroom.settings",
            "DJANGO_SECRET_KEY": settings.SECRET_KEY,  # links the worker signs work on the site
            "DATABASE_URL": shared_database,
            "NEWSROOM_SITE_URL": settings.NEWSROOM_SITE_URL,
            "NEWSROOM_WEBSUB_HUB": settings.NEWSROOM_WEBSUB_HUB or "",
            "NEWSROOM_TASK_RETRY_DELAY": str(RETRY_DELAY),
            **extra_env,
        }
        command = [sys.executable, "manage.py", command, "--interval", "0.05", "--no-startup-delay"]
        process = subprocess.Popen(
            [*command, "--no-reload"], cwd=PROJECT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
        )
        workers.append(process)
        return process

    yield start
    for process in workers:
        process.terminate()
        process.wait(timeout=10)
