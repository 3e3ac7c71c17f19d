"""A throwaway PostgreSQL primary and a streaming replica of it, on free 127.0.0.1 ports, for tests and
load tests of the read replica (newsroom/replica.py).

    with PostgresCluster() as cluster:          # a few seconds: initdb, start, base backup, start
        env = site_env(cluster.primary_url, static_root=..., DATABASE_REPLICA_URL=cluster.replica_url)
        cluster.pause_replay()                  # the replica stops applying WAL: lag grows
        cluster.resume_replay()
        cluster.wait_replayed(timeout=10)       # until it has applied all the primary has written
        cluster.stop_replica()                  # down, as a crashed replica is
        cluster.start_replica()                 # back; it catches up by itself

Both servers run from the binaries of the newest /usr/lib/postgresql/<version>/bin (Debian's layout),
with trust authentication on 127.0.0.1 only, fsync off (nothing here outlives the ``with``) and their
sockets inside the cluster's own temporary folder, which is removed on exit. PostgreSQL refuses to
run as root, so as root every server command runs as the ``postgres`` OS user (runuser). Every wait
is bounded; a failure names the step and ends with the server's log.
"""

import contextlib
import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

DATABASE = "newsroom"
START_TIMEOUT = 30  # seconds, for each server start, stop and the base backup


class ClusterError(RuntimeError):
    """A step of setting up or controlling the cluster failed."""


def postgres_bin():
    """The folder of the newest installed PostgreSQL server binaries; raise ClusterError without one."""
    candidates = [
        Path(folder) for folder in glob.glob("/usr/lib/postgresql/*/bin") if Path(folder, "initdb").is_file()
    ]
    if not candidates:
        raise ClusterError(
            "The PostgreSQL server binaries (initdb, pg_ctl, pg_basebackup) are not installed under "
            "/usr/lib/postgresql/<version>/bin; install them with: apt-get install postgresql"
        )
    return max(candidates, key=lambda folder: _version_key(folder.parent.name))


def _version_key(name):
    return tuple(int(part) if part.isdigit() else 0 for part in name.split("."))


def missing_reason():
    """Why a cluster cannot be started on this machine, or None when it can (for a test's skip)."""
    try:
        postgres_bin()
    except ClusterError as error:
        return str(error)
    if os.geteuid() == 0:
        if shutil.which("runuser") is None:
            return "running as root, and runuser (to run PostgreSQL as the postgres user) is missing"
        try:
            pwd.getpwnam("postgres")
        except KeyError:
            return "running as root, and there is no postgres OS user to run PostgreSQL as"
    return None


def _free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class PostgresCluster:
    """A primary and its streaming replica, each on a free 127.0.0.1 port, holding database
    ``database`` (made on the primary before the replica is copied from it).

    ``primary_url`` and ``replica_url`` are postgres:// URLs for DATABASE_URL and DATABASE_REPLICA_URL.
    ``parent`` is where the temporary folder goes (default: the system's temporary folder; as root it
    must be one the postgres user can reach).
    """

    def __init__(self, parent=None, database=DATABASE):
        self.parent, self.database = parent, database
        self.bin = None
        self.root = None
        self.primary_port = self.replica_port = None

    # -- the URLs ------------------------------------------------------------------------------------

    @property
    def primary_url(self):
        return f"postgres://postgres@127.0.0.1:{self.primary_port}/{self.database}"

    @property
    def replica_url(self):
        return f"postgres://postgres@127.0.0.1:{self.replica_port}/{self.database}"

    # -- life cycle ----------------------------------------------------------------------------------

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc):
        self.close()

    def start(self):
        """Make and start the primary, create the database, copy it to the replica and start that."""
        self.bin = postgres_bin()
        self.root = Path(tempfile.mkdtemp(prefix="pgcluster-", dir=self.parent))
        self.root.chmod(0o755)
        (self.root / "sockets").mkdir()
        self._own(self.root, self.root / "sockets")
        try:
            self._start_primary()
            self._create_database()
            self._make_replica()
            self.start_replica()
        except BaseException:
            self.close()
            raise

    def close(self):
        """Stop both servers (fast shutdown, bounded) and remove the folder."""
        if self.root is None:
            return
        for name in ("replica", "primary"):
            if (self.root / name / "postmaster.pid").exists():
                with contextlib.suppress(ClusterError):
                    self._pg_ctl(name, "stop", "-m", "fast")
        shutil.rmtree(self.root, ignore_errors=True)
        self.root = None

    def stop_replica(self):
        """Shut the replica down (fast): its clients' connections break, new ones are refused."""
        self._pg_ctl("replica", "stop", "-m", "fast")

    def start_replica(self):
        """Start the replica (again) and wait until it accepts connections; it then streams from the
        primary and catches up by itself (see wait_replayed)."""
        self._pg_ctl("replica", "start", "-l", str(self.root / "replica.log"))
        self._wait_accepting(self.replica_port, "replica")

    # -- replication -----------------------------------------------------------------------------------

    def pause_replay(self):
        """Stop the replica applying WAL (it keeps receiving it): from now on it falls behind."""
        self._sql(self.replica_port, "SELECT pg_wal_replay_pause()")

    def resume_replay(self):
        self._sql(self.replica_port, "SELECT pg_wal_replay_resume()")

    def wait_replayed(self, timeout=10.0):
        """Wait until the replica has applied everything the primary had written when called; raise
        ClusterError after ``timeout`` seconds."""
        # The inserted position, not the written one: with synchronous_commit off (as here) a
        # commit returns before its record is written, and waiting for the written position could
        # return before that commit is replayed.
        target = self._sql(self.primary_port, "SELECT pg_current_wal_insert_lsn()")
        deadline = time.monotonic() + timeout
        while True:
            with contextlib.suppress(ClusterError):  # a replica just started may still refuse
                if self._sql(self.replica_port, "SELECT pg_last_wal_replay_lsn() >= %s::pg_lsn", [target]):
                    return
            if time.monotonic() > deadline:
                raise ClusterError(f"the replica did not replay up to {target} within {timeout} s")
            time.sleep(0.02)

    # -- the steps ---------------------------------------------------------------------------------------

    def _start_primary(self):
        self.primary_port = _free_port()
        data = self.root / "primary"
        self._run(
            "initdb", "--pgdata", data, "--username", "postgres", "--auth", "trust",
            "--encoding", "UTF8", "--locale", "C", "--no-sync", "--no-instructions",
        )  # fmt: skip
        with open(data / "postgresql.conf", "a") as conf:
            conf.write(
                "\n# perf/pgcluster.py\n"
                "listen_addresses = '127.0.0.1'\n"
                f"port = {self.primary_port}\n"
                f"unix_socket_directories = '{self.root / 'sockets'}'\n"
                "wal_level = replica\n"
                "max_wal_senders = 4\n"
                # Room for a stopped replica to catch up from, without archiving.
                "wal_keep_size = '256MB'\n"
                "shared_buffers = '32MB'\n"
                "max_connections = 60\n"
                # Test data only: durability is not wanted, speed is.
                "fsync = off\n"
                "synchronous_commit = off\n"
            )
        with open(data / "pg_hba.conf", "a") as hba:
            hba.write("host replication postgres 127.0.0.1/32 trust\n")
        self._pg_ctl("primary", "start", "-l", str(self.root / "primary.log"))
        self._wait_accepting(self.primary_port, "primary")

    def _create_database(self):
        import psycopg

        url = f"postgres://postgres@127.0.0.1:{self.primary_port}/postgres"
        with psycopg.connect(url, autocommit=True, connect_timeout=5) as conn:
            conn.execute(f'CREATE DATABASE "{self.database}"')

    def _make_replica(self):
        self.replica_port = _free_port()
        data = self.root / "replica"
        # -R writes standby.signal and primary_conninfo: the copy starts as a streaming replica.
        self._run(
            "pg_basebackup", "--pgdata", data, "--host", "127.0.0.1", "--port", self.primary_port,
            "--username", "postgres", "--write-recovery-conf", "--wal-method", "stream",
            "--checkpoint", "fast", "--no-sync",
        )  # fmt: skip
        with open(data / "postgresql.conf", "a") as conf:
            # The copied settings are the primary's; a later line wins.
            conf.write(
                f"port = {self.replica_port}\n"
                "hot_standby = on\n"
                # Report replay progress to the primary often (pg_stat_replication).
                "wal_receiver_status_interval = '1s'\n"
            )

    def _wait_accepting(self, port, name):
        import psycopg

        deadline = time.monotonic() + START_TIMEOUT
        while True:
            try:
                # The postgres database: the primary is waited for before ours exists.
                psycopg.connect(f"postgres://postgres@127.0.0.1:{port}/postgres", connect_timeout=2).close()
                return
            except psycopg.OperationalError as error:
                if time.monotonic() > deadline:
                    message = f"the {name} did not accept connections: {error}{self._log(name)}"
                    raise ClusterError(message) from None
                time.sleep(0.05)

    def _sql(self, port, sql, params=None):
        """The first column of the one row of ``sql`` on 127.0.0.1:``port``."""
        import psycopg

        url = f"postgres://postgres@127.0.0.1:{port}/{self.database}"
        try:
            with psycopg.connect(url, autocommit=True, connect_timeout=2) as conn:
                return conn.execute(sql, params).fetchone()[0]
        except psycopg.Error as error:
            raise ClusterError(f"{sql} on port {port} failed: {error}") from error

    def _pg_ctl(self, name, action, *args):
        self._run("pg_ctl", action, "--pgdata", self.root / name, "--wait", "--timeout", START_TIMEOUT, *args)

    def _run(self, program, *args):
        command = [str(self.bin / program), *map(str, args)]
        if os.geteuid() == 0:
            command = ["runuser", "-u", "postgres", "--", *command]
        try:
            result = subprocess.run(command, capture_output=True, text=True, timeout=START_TIMEOUT + 10)
        except subprocess.TimeoutExpired as error:
            raise ClusterError(f"{program} {args[0] if args else ''} took over {error.timeout} s") from None
        if result.returncode != 0:
            raise ClusterError(
                f"{' '.join(command)} failed ({result.returncode}):\n{result.stdout}{result.stderr}"
                f"{self._log('primary')}{self._log('replica')}"
            )

    def _own(self, *paths):
        if os.geteuid() == 0:
            user = pwd.getpwnam("postgres")
            for path in paths:
                os.chown(path, user.pw_uid, user.pw_gid)

    def _log(self, name):
        path = self.root / f"{name}.log" if self.root else None
        if path is None or not path.exists():
            return ""
        return f"\n--- end of the {name}'s log ---\n" + path.read_text(errors="replace")[-2000:]


if __name__ == "__main__":  # a quick check: python -m perf.pgcluster
    began = time.monotonic()
    with PostgresCluster() as cluster:
        print(f"primary {cluster.primary_url}\nreplica {cluster.replica_url}")
        cluster.wait_replayed()
        print(f"up and replayed in {time.monotonic() - began:.1f} s")
