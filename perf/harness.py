"""What every tool in perf/ needs: the project's paths, a database filled for the run, and the site served by
gunicorn on a free 127.0.0.1 port, as in production (debug off, a secret key made for the run).

    env = site_env(f"sqlite:///{folder / 'db.sqlite3'}", static_root=folder / "static")
    build_site(env)                       # migrate, collect static files, load the sample coverage
    with Site(env, workers=2) as site:
        status, html = site.get("/")

``sample_site(folder)`` does all of that for the tools that look at the sample site (Lighthouse,
screenshots); ``seeded_postgres(env, articles)`` fills a fresh PostgreSQL database for the load tests.
Traffic goes to 127.0.0.1 only, and every wait is bounded.
"""

import contextlib
import http.client
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent
BUILD = PROJECT / "build"
SAMPLES = PROJECT / "content" / "diplomacy"
START_TIMEOUT = 30
# The sample coverage carries these tags (load_sample_content), so the filtered list is never empty.
FILTERED_LIST = "/articles/?tag=china&tag=trade"


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_port(port, timeout=START_TIMEOUT):
    """Return once something listens on 127.0.0.1:``port``; raise ``RuntimeError`` after ``timeout`` s."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"nothing listened on 127.0.0.1:{port} within {timeout} s")


def setup_django():
    """Make the project's apps importable in this process (a tool that needs their rules, not a site).

    Uses the environment's DJANGO_SECRET_KEY, or a key made for this run: the settings refuse the
    development key with debug off, and nothing this process signs outlives it.
    """
    import django
    from django.apps import apps

    if apps.ready:
        return
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "newsroom.settings")
    os.environ.setdefault("DJANGO_SECRET_KEY", secrets.token_urlsafe(50))
    if str(PROJECT) not in sys.path:
        sys.path.insert(0, str(PROJECT))
    django.setup()


def site_env(database_url, *, static_root, redis_url=None, **extra):
    """The environment of a production-style site on ``database_url``: debug off, the environment's
    DJANGO_SECRET_KEY or one made for this run, Redis (and so the page cache) only with ``redis_url``."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "newsroom.settings",
        "DJANGO_SECRET_KEY": os.environ.get("DJANGO_SECRET_KEY") or secrets.token_urlsafe(50),
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
        "DATABASE_URL": database_url,
        "DJANGO_STATIC_ROOT": str(static_root),
        # Pictures beside the static files, in the run's own folder: never the checkout's media/.
        "NEWSROOM_MEDIA_ROOT": str(Path(static_root).parent / "media"),
        "PYTHONUNBUFFERED": "1",
        **extra,
    }
    env.pop("DJANGO_DEBUG", None)  # production settings: debug off, hashed static names, WhiteNoise
    if redis_url:
        env["REDIS_URL"] = redis_url
    else:
        env.pop("REDIS_URL", None)
    return env


def manage(env, *args, log=None):
    """Run ``manage.py args`` in a child process with ``env``; return its standard output.

    With ``log`` (an open file) the command and its output go there. Raises ``RuntimeError`` with the
    end of its output when it fails.
    """
    command = [sys.executable, "manage.py", *map(str, args)]
    if log is not None:
        print(f"$ {' '.join(command)}", file=log, flush=True)
    result = subprocess.run(command, cwd=PROJECT, env=env, capture_output=True, text=True, timeout=900)
    if log is not None:
        log.write(result.stdout + result.stderr)
        log.flush()
    if result.returncode != 0:
        raise RuntimeError(f"manage.py {' '.join(map(str, args))} failed:\n{result.stderr[-2000:]}")
    return result.stdout


def build_site(env, *, articles=None, log=None):
    """Migrate ``env``'s database, collect the static files and fill it: with ``articles``, that many
    generated public stories (perf/seed.py); without, the sample coverage."""
    manage(env, "migrate", "--noinput", log=log)
    manage(env, "collectstatic", "--noinput", "--verbosity", "0", log=log)
    if articles is None:
        manage(env, "load_sample_content", log=log)
        manage(env, "load_sample_pictures", log=log)
    else:
        manage(env, "shell", "-c", f"from perf.seed import seed; seed({int(articles)})", log=log)


def fresh_postgres(database_url):
    """Drop and create the PostgreSQL database of ``database_url`` (its server's ``postgres`` database
    must be reachable with the same credentials)."""
    import psycopg

    server, name = database_url.rsplit("/", 1)
    with psycopg.connect(f"{server}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
        # As README advises for a server on SSD: PostgreSQL's default cost of a random read is a
        # spinning disk's, which steers search and filtered lists to full scans.
        conn.execute(f'ALTER DATABASE "{name}" SET random_page_cost = 1.1')


def seeded_postgres(env, articles):
    """A fresh PostgreSQL database (``env``'s DATABASE_URL) with ``articles`` public stories, vacuumed,
    and ``env``'s Redis database emptied: the steady state of a live site, for measuring."""
    import psycopg
    import redis

    fresh_postgres(env["DATABASE_URL"])
    build_site(env, articles=articles)
    # A live database has planner statistics and a visibility map (autovacuum keeps them); a freshly
    # bulk-loaded one has neither until autovacuum comes round, mid-run. Measure the steady state.
    with psycopg.connect(env["DATABASE_URL"], autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")
    if env.get("REDIS_URL"):
        redis.Redis.from_url(env["REDIS_URL"]).flushdb()


class Site:
    """gunicorn serving the project with ``env`` on a free 127.0.0.1 port, ``workers`` processes of 4
    threads each (as ``make serve`` runs it; ``worker_class`` "sync" for a comparison only), until the
    ``with`` block ends.

    Its log goes to ``log`` (an open file, access log included) or, by default, warnings only to
    standard error.
    """

    def __init__(self, env, workers=2, log=None, *, python=sys.executable, app="newsroom.wsgi:application",
                 cwd=PROJECT, health="/healthz", worker_class="gthread"):  # fmt: skip
        # python, app, cwd and health serve another project the same way (perf/wagtail_bench.py).
        self.env, self.workers, self.log = env, workers, log
        self.python, self.app, self.cwd, self.health = python, app, cwd, health
        self.worker_class = worker_class
        self.port = None
        self.process = None

    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self):
        self.port = free_port()
        logging = ["--access-logfile", "-"] if self.log else ["--log-level", "warning"]
        self.process = subprocess.Popen(
            [self.python, "-m", "gunicorn", self.app, "--workers", str(self.workers),
             # gunicorn turns a sync worker with threads into gthread: sync gets one.
             "--worker-class", self.worker_class, "--threads", "4" if self.worker_class == "gthread" else "1",
             "--bind", f"127.0.0.1:{self.port}", *logging],
            cwd=self.cwd, env=self.env, stdout=self.log, stderr=subprocess.STDOUT if self.log else None,
            start_new_session=True,  # its own process group: stopping it reaches every worker
        )  # fmt: skip
        try:
            self._wait_until_up()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc):
        self.stop()

    def _wait_until_up(self):
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited with status {self.process.returncode}")
            try:
                # 503 is an answer too: the site is up, its database may not be (the fault tests).
                if self.get(self.health, timeout=2)[0] in (200, 503):
                    return
            except OSError:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"gunicorn did not answer {self.url}/healthz within {START_TIMEOUT} s")

    def stop(self):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()

    def connection(self, timeout=10):
        """A keep-alive connection to the site, for readers that send many requests."""
        return http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)

    def get(self, path, connection=None, timeout=10):
        """GET ``path`` (on ``connection``, or a connection of its own); return (status, text)."""
        own = connection is None
        connection = connection or self.connection(timeout)
        try:
            connection.request("GET", path)
            response = connection.getresponse()
            return response.status, response.read().decode("utf-8", "replace")
        finally:
            if own:
                connection.close()


@dataclass
class SamplePages:
    url: str
    article_path: str

    def pages(self):
        """Name -> absolute URL of the three pages the tools check."""
        return {
            "home": f"{self.url}/",
            "filtered list": f"{self.url}{FILTERED_LIST}",
            "article": f"{self.url}{self.article_path}",
        }


@contextlib.contextmanager
def sample_site(workdir):
    """The public site as a reader gets it: a fresh SQLite database under ``workdir`` (emptied first)
    with the sample coverage, served by gunicorn without Redis. Yields its ``SamplePages``: the front
    page, a tag-filtered list and the sample article. Set-up and server logs go to workdir/server.log.
    """
    workdir = Path(workdir)
    shutil.rmtree(workdir, ignore_errors=True)
    workdir.mkdir(parents=True)
    env = site_env(f"sqlite:///{workdir / 'db.sqlite3'}", static_root=workdir / "static")
    log_path = workdir / "server.log"
    with open(log_path, "w") as log:
        try:
            build_site(env, log=log)
        except RuntimeError as error:
            raise RuntimeError(f"setting up the sample site failed; see {log_path}") from error
        with Site(env, workers=2, log=log) as site:
            status, listing = site.get("/api/articles/?tag=china")
            results = json.loads(listing)["results"] if status == 200 else []
            if not results:
                raise RuntimeError("the sample content has no public article tagged China")
            yield SamplePages(url=site.url, article_path=f"/articles/{results[0]['slug']}/")
