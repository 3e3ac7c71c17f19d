"""The public site as a reader gets it, for tools that need a real server (Lighthouse, screenshots).

``sample_site(workdir)`` makes a fresh SQLite database under ``workdir``, migrates it, loads the sample
coverage, collects the static files and serves the project with gunicorn on 127.0.0.1 (a free port),
with debug off and a secret key made for this run. It yields a ``Site`` with the base URL and the
pages the tools look at: the front page, a tag-filtered list and the sample article.
"""

import contextlib
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
# The sample coverage carries these tags (load_sample_content), so the filtered list is never empty.
FILTERED_LIST = "/articles/?tag=china&tag=trade"
START_TIMEOUT = 30


@dataclass
class Site:
    url: str
    article_path: str

    def pages(self):
        """Name -> absolute URL of the three pages the tools check."""
        return {
            "home": f"{self.url}/",
            "filtered list": f"{self.url}{FILTERED_LIST}",
            "article": f"{self.url}{self.article_path}",
        }


def _free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _run(args, env, log):
    print(f"$ {' '.join(str(a) for a in args)}", file=log, flush=True)
    subprocess.run(args, cwd=ROOT, env=env, check=True, stdout=log, stderr=subprocess.STDOUT)


def _get_json(url):
    with urllib.request.urlopen(url, timeout=10) as response:
        return json.load(response)


def _wait_until_up(url, process):
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server exited with status {process.returncode}")
        try:
            with urllib.request.urlopen(f"{url}/healthz", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"the server did not answer {url}/healthz within {START_TIMEOUT} s")


@contextlib.contextmanager
def sample_site(workdir):
    workdir = Path(workdir)
    shutil.rmtree(workdir, ignore_errors=True)
    workdir.mkdir(parents=True)
    port = _free_port()
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{workdir / 'db.sqlite3'}",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
        "PYTHONUNBUFFERED": "1",
    }
    env.pop("DJANGO_DEBUG", None)  # production settings: debug off, hashed static names, WhiteNoise
    env.pop("REDIS_URL", None)
    log_path = workdir / "server.log"
    with open(log_path, "w") as log:
        try:
            _run([PYTHON, "manage.py", "migrate", "--noinput"], env, log)
            _run([PYTHON, "manage.py", "load_sample_content"], env, log)
            _run([PYTHON, "manage.py", "collectstatic", "--noinput", "--verbosity", "0"], env, log)
        except subprocess.CalledProcessError as error:
            raise RuntimeError(f"setting up the sample site failed; see {log_path}") from error
        server = subprocess.Popen(
            [PYTHON, "-m", "gunicorn", "newsroom.wsgi:application", "--bind", f"127.0.0.1:{port}",
             "--workers", "2", "--access-logfile", "-"],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
        url = f"http://127.0.0.1:{port}"
        try:
            _wait_until_up(url, server)
            listing = _get_json(f"{url}/api/articles/?tag=china")
            if not listing["results"]:
                raise RuntimeError("the sample content has no public article tagged China")
            yield Site(url=url, article_path=f"/articles/{listing['results'][0]['slug']}/")
        finally:
            # Our own gunicorn: its master and workers share the session we started it in.
            with contextlib.suppress(ProcessLookupError):
                os.killpg(server.pid, signal.SIGTERM)
            try:
                server.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(server.pid, signal.SIGKILL)
                server.wait()
