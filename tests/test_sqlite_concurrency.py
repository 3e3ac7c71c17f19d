"""On SQLite, an import and an editor saving at the same moment both finish: writers queue on the
busy timeout (WAL, IMMEDIATE transactions) instead of failing with "database is locked"."""

import os
import subprocess
import sys
import uuid
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent

EDITOR = """
import time
from articles.models import Article
article = Article.objects.get(slug__startswith="us-secretary-of-state")
for n in range(40):
    article.dek = f"Edited by the desk, pass {n}."
    article.save()
    time.sleep(0.02)
print("editor saved", n + 1)
"""


def test_an_import_and_an_editor_save_side_by_side_without_locking_errors(tmp_path):
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "newsroom.settings",
        "DJANGO_SECRET_KEY": "test-" + uuid.uuid4().hex,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'site.sqlite3'}",
    }

    def manage(*args, **kwargs):
        return subprocess.Popen(
            [sys.executable, "manage.py", *args], cwd=PROJECT, env=env, text=True,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, **kwargs,
        )  # fmt: skip

    for setup in (("migrate", "--noinput"), ("load_sample_content",)):
        assert manage(*setup).wait(timeout=120) == 0
    folder = tmp_path / "wire"
    folder.mkdir()
    text = (PROJECT / "content" / "diplomacy" / "000_036b39410185443a.txt").read_text(encoding="utf-8")
    for n in range(800):
        (folder / f"wire-{n:04d}.txt").write_text(f"Wire story {n}\n\n{text}", encoding="utf-8")

    importer = manage("import_articles", str(folder), "--status", "published", "--section", "Wires")
    editor = manage("shell", "-c", EDITOR)
    import_out, import_err = importer.communicate(timeout=300)
    editor_out, editor_err = editor.communicate(timeout=300)

    assert "locked" not in import_err + editor_err
    assert importer.returncode == 0, import_err[-2000:]
    assert editor.returncode == 0, editor_err[-2000:]
    assert "800 created" in import_out
    assert "editor saved 40" in editor_out
