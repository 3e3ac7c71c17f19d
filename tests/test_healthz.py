import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

PROJECT = Path(__file__).resolve().parent.parent

# A fresh process with an unreachable database: the failure is real, not simulated.
PROBE = """
import django, json
django.setup()
from django.test import Client
response = Client(HTTP_HOST="127.0.0.1").get("/healthz")
print(json.dumps({"status": response.status_code, "body": response.json()}))
"""


def test_healthz_is_200_with_the_database_reachable(client, db):
    response = client.get("/healthz")
    assert response.status_code == 200
    expected = {"status": "ok", "database": "ok", "cache": "off", "purges": "off", "replica": "off"}
    assert response.json() == expected
    assert "no-cache" in response["Cache-Control"]


@pytest.mark.parametrize(
    "database_url",
    ["sqlite:////nonexistent-dir/newsroom.sqlite3", "postgres://postgres@127.0.0.1:1/newsroom"],
)
def test_healthz_is_503_without_the_database(database_url):
    env = {**os.environ, "DATABASE_URL": database_url, "DJANGO_SETTINGS_MODULE": "newsroom.settings"}
    result = subprocess.run(
        [sys.executable, "-c", PROBE], cwd=PROJECT, env=env, capture_output=True, text=True, timeout=60
    )
    answer = json.loads(result.stdout.strip().splitlines()[-1])
    assert answer == {"status": 503, "body": {"status": "error", "database": "unreachable", "cache": "off"}}
