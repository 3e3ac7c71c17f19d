"""A whole Newsroom cluster on this machine, for the cluster load test and its fault tests: PostgreSQL
primary and streaming replica, a Redis of its own, the task worker, two Newsroom servers (gunicorn,
two workers each) and Varnish in front of both, all on free 127.0.0.1 ports under build/cluster/.

    with Cluster(articles=10_000) as cluster:
        status, html = cluster.get("/")          # through Varnish, as a reader gets it
        cluster.kill_server(0)                   # SIGKILL one server's gunicorn, master and workers
        cluster.start_server(0)                  # back on the same port, so Varnish finds it again

The servers read from the replica (DATABASE_REPLICA_URL), write to the primary, cache pages in the
cluster's Redis and purge Varnish by surrogate key (NEWSROOM_PURGE_URLS); a purge that could not be
delivered is retried by the worker. The database holds the sample coverage and ``articles``
generated public stories (perf/seed.py) and a superuser (``EDITOR``, ``PASSWORD``) for the editor's
admin sessions. Every wait is bounded; on leaving the ``with`` block, normally or not, everything
is stopped. Each part's log stays in build/cluster/ for debugging (set-up.log, server-N.log,
worker.log, redis.log, postgres-primary.log, postgres-replica.log and varnish/).
"""

import contextlib
import http.client
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

from perf.harness import BUILD, PROJECT, START_TIMEOUT, Site, free_port, manage, site_env, wait_for_port
from perf.pgcluster import PostgresCluster
from perf.varnish import Varnish

WORKDIR = BUILD / "cluster"
EDITOR = "cluster-editor"
PASSWORD = "a long password for the cluster load test only"
# A purge the proxy missed is tried again this soon (the worker's retry delay, doubling each time):
# the default, 30 s, is a production server's; the fault tests wait for it.
PURGE_RETRY_DELAY = "1"
# Room for every page of 10,000 stories and the lists (an article page is ~15 kB): a proxy that
# evicted pages would measure its size, not the invalidation.
VARNISH_STORAGE = "malloc,512m"


class PinnedSite(Site):
    """A ``Site`` on a port chosen once: started again after a kill, it answers where Varnish
    already looks for it."""

    def __init__(self, env, port, log_path, **options):
        self.pinned_port, self.log_path = port, log_path
        super().__init__(env, **options)

    def __enter__(self):
        # The log is gunicorn's standard output (the access log too); this process needs no copy.
        with open(self.log_path, "a") as self.log:
            return super().__enter__()

    # Site.__enter__ takes a free port each time it starts; this one keeps its own.
    port = property(lambda self: self.pinned_port, lambda self, _: None)

    def kill(self):
        """SIGKILL the master and every worker at once (its own process group), as a crash would."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=15)


class Process:
    """A long-running child (redis-server, the task worker) with its output in ``log_path``,
    in its own process group so stopping it reaches its children too."""

    def __init__(self, command, log_path, *, env=None, port=None):
        self.command, self.log_path, self.env, self.port = command, log_path, env, port
        self.process = None

    def start(self):
        with open(self.log_path, "a") as log:
            print(f"$ {' '.join(map(str, self.command))}", file=log, flush=True)
            self.process = subprocess.Popen(
                self.command, cwd=PROJECT, env=self.env, stdout=log, stderr=subprocess.STDOUT,
                start_new_session=True,
            )  # fmt: skip
        if self.port is not None:
            wait_for_port(self.port)

    def stop(self, timeout=15):
        if self.process is None or self.process.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=timeout)

    @property
    def running(self):
        return self.process is not None and self.process.poll() is None


class Cluster:
    """The cluster as a context manager; see the module's docstring."""

    def __init__(self, articles=10_000, *, workdir=WORKDIR, servers=2, workers=2, log=sys.stdout):
        self.articles, self.workdir = articles, Path(workdir)
        self.server_count, self.workers = servers, workers
        self.progress = log  # where set-up steps are announced (None: silent)
        self.servers = []
        self.postgres = self.redis = self.worker = self.varnish = None
        self._stack = None

    # Start and stop.

    def __enter__(self):
        shutil.rmtree(self.workdir, ignore_errors=True)
        self.workdir.mkdir(parents=True)
        self._stack = contextlib.ExitStack()
        try:
            self._start()
        except BaseException:
            self._stack.close()
            raise
        return self

    def __exit__(self, *exc):
        self._stack.close()

    def _say(self, message):
        if self.progress is not None:
            print(message, file=self.progress, flush=True)

    def _start(self):
        stack = self._stack
        started = time.monotonic()
        # Varnish's port is known before the servers start: they are told where to purge.
        varnish_port, redis_port = free_port(), free_port()
        server_ports = [free_port() for _ in range(self.server_count)]

        self._say("PostgreSQL primary and replica …")
        # In the system's temporary folder, which the postgres user can reach wherever the checkout
        # is; its logs are copied here before it is removed.
        self.postgres = stack.enter_context(PostgresCluster())
        stack.callback(self._keep_postgres_logs)

        self.redis = Process(
            ["redis-server", "--port", str(redis_port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--daemonize", "no"],
            self.workdir / "redis.log", port=redis_port,
        )  # fmt: skip
        self.redis.start()
        stack.callback(self.redis.stop)
        self.redis_url = f"redis://127.0.0.1:{redis_port}/0"
        self.proxy_url = f"http://127.0.0.1:{varnish_port}"

        static_root = self.workdir / "static"
        # Set-up writes to the primary alone, with nothing to purge yet.
        setup_env = site_env(self.postgres.primary_url, redis_url=self.redis_url, static_root=static_root)
        self._say(f"Migrating and seeding {self.articles} stories …")
        self._seed(setup_env)

        self.env = site_env(
            self.postgres.primary_url, redis_url=self.redis_url, static_root=static_root,
            DATABASE_REPLICA_URL=self.postgres.replica_url, NEWSROOM_PURGE_URLS=self.proxy_url,
            NEWSROOM_TASK_RETRY_DELAY=PURGE_RETRY_DELAY,
        )  # fmt: skip
        self.worker = Process(
            [sys.executable, "manage.py", "worker"], self.workdir / "worker.log", env=self.env
        )
        self.worker.start()
        stack.callback(self.worker.stop)

        self._say(f"{self.server_count} Newsroom servers, {self.workers} gunicorn workers each …")
        for index, port in enumerate(server_ports):
            log_path = self.workdir / f"server-{index + 1}.log"
            server = PinnedSite(self.env, port, log_path, workers=self.workers)
            self.servers.append(server)
            server.__enter__()
            stack.callback(server.stop)

        self._say("Varnish in front of them …")
        self.varnish = stack.enter_context(
            Varnish(self.workdir / "varnish", backends=[("127.0.0.1", port) for port in server_ports],
                    port=varnish_port, storage=VARNISH_STORAGE)
        )  # fmt: skip
        self._wait_for(lambda: self.get("/")[0] == 200, "the front page through Varnish")
        self._say(f"Cluster up in {time.monotonic() - started:.0f} s: Varnish at {self.proxy_url}")

    def _keep_postgres_logs(self):
        for log in Path(self.postgres.root).glob("*.log"):
            shutil.copy(log, self.workdir / f"postgres-{log.name}")

    def _seed(self, env):
        import psycopg

        with open(self.workdir / "set-up.log", "a") as log:
            manage(env, "migrate", "--noinput", log=log)
            manage(env, "collectstatic", "--noinput", "--verbosity", "0", log=log)
            manage(env, "load_sample_content", log=log)
            manage(env, "shell", "-c", f"from perf.seed import seed; seed({int(self.articles)})", log=log)
            manage(
                {**env, "DJANGO_SUPERUSER_PASSWORD": PASSWORD},
                "createsuperuser", "--noinput", "--username", EDITOR, "--email", "editor@example.org",
                log=log,
            )  # fmt: skip
        # A live database has planner statistics and a visibility map (perf.harness.seeded_postgres).
        with psycopg.connect(self.postgres.primary_url, autocommit=True) as conn:
            conn.execute("VACUUM ANALYZE")
        self.postgres.wait_replayed(timeout=120)

    def _wait_for(self, check, what, timeout=START_TIMEOUT):
        deadline = time.monotonic() + timeout
        while True:
            try:
                if check():
                    return
            except (OSError, http.client.HTTPException):
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"{what} was not ready within {timeout} s; logs in {self.workdir}")
            time.sleep(0.2)

    # Faults, and recovery from them.

    def kill_server(self, index):
        """SIGKILL Newsroom server ``index`` (its gunicorn master and workers)."""
        self.servers[index].kill()

    def start_server(self, index):
        """Start server ``index`` again on its port; returns once it answers its health check."""
        self.servers[index].__enter__()

    def stop_replica(self):
        self.postgres.stop_replica()

    def start_replica(self):
        self.postgres.start_replica()

    def stop_redis(self):
        self.redis.stop()

    def start_redis(self):
        self.redis.start()

    def restart_varnish(self):
        """Restart Varnish on its port: it comes back with an empty cache."""
        self.varnish.restart()

    def stop_varnish(self):
        self.varnish.stop()

    def start_varnish(self):
        """Start Varnish again on its port (empty) after ``stop_varnish``."""
        self.varnish.start()

    def health(self, index=0):
        """Server ``index``'s /healthz, asked directly: (status, its JSON report)."""
        import json

        status, body = self.servers[index].get("/healthz")
        return status, json.loads(body)

    # Talking to it.

    @property
    def proxy_port(self):
        return int(self.proxy_url.rsplit(":", 1)[1])

    def connection(self, timeout=10):
        """A keep-alive connection to Varnish."""
        return http.client.HTTPConnection("127.0.0.1", self.proxy_port, timeout=timeout)

    def get(self, path, headers=None, timeout=10):
        """GET ``path`` through Varnish; return (status, text, headers)."""
        connection = self.connection(timeout)
        try:
            connection.request("GET", path, headers=headers or {})
            response = connection.getresponse()
            return response.status, response.read().decode("utf-8", "replace"), response.headers
        finally:
            connection.close()

    def purge_keys(self, *keys):
        """Purge ``keys`` from Varnish directly (as the servers do), returning its status."""
        connection = self.connection()
        try:
            connection.request("PURGE", "/", headers={"xkey-purge": " ".join(keys)})
            response = connection.getresponse()
            response.read()
            return response.status
        finally:
            connection.close()

    def query(self, sql, *params):
        """Rows of ``sql`` on the primary (for the tools' bookkeeping: slugs, sections, tags)."""
        import psycopg

        with psycopg.connect(self.postgres.primary_url) as conn:
            return conn.execute(sql, params).fetchall()
