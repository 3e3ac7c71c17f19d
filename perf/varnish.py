"""A real Varnish (Debian's varnishd, with varnish-modules' xkey) in front of Newsroom servers, on a
free 127.0.0.1 port, for tests and load tests:

    with Varnish(workdir, backends=[("127.0.0.1", 8001), ("127.0.0.1", 8002)]) as proxy:
        proxy.url          # "http://127.0.0.1:PORT"
        proxy.port
        proxy.restart()    # stop and start again on the same port: an empty cache
        proxy.stop(); proxy.start()   # down for a while, then back on the same port

It runs the project's VCL (edge/varnish/newsroom.vcl) rendered for those backends into
``workdir/newsroom.vcl``; varnishd's own files and its log (``workdir/varnishd.log``) are under
``workdir`` too. ``purge="ban"`` runs the BAN variant (for a Varnish without xkey). Every wait is
bounded. A missing varnishd or xkey vmod raises ``VarnishUnavailable`` saying what to install.
"""

import contextlib
import os
import shutil
import signal
import subprocess
import time
from pathlib import Path

from perf.harness import free_port, wait_for_port

START_TIMEOUT = 20


class VarnishUnavailable(RuntimeError):
    """varnishd, or a vmod the VCL imports, is not installed here."""


def varnishd_path():
    places = ("/usr/sbin/varnishd", "/usr/local/sbin/varnishd")
    return shutil.which("varnishd") or next((path for path in places if os.access(path, os.X_OK)), None)


def unavailable_reason():
    """Why a Varnish cannot run here (None when it can): varnishd or the xkey vmod missing."""
    if varnishd_path() is None:
        return "varnishd is not installed (apt-get install varnish varnish-modules)"
    if not any(Path(folder).joinpath("libvmod_xkey.so").exists() for folder in _vmod_folders()):
        return "the xkey vmod is not installed (apt-get install varnish-modules)"
    return None


def _vmod_folders():
    return [*Path("/usr/lib").glob("*/varnish/vmods"), Path("/usr/lib/varnish/vmods"),
            Path("/usr/local/lib/varnish/vmods")]  # fmt: skip


class Varnish:
    """varnishd serving the project's VCL for ``backends`` ([(host, port), ...]) on 127.0.0.1:``port``
    (a free one by default), with ``storage`` (varnishd's -s) and ``purge`` ("xkey" or "ban")."""

    def __init__(self, workdir, backends, *, port=None, purge="xkey", purgers=(), storage="malloc,64m"):
        self.workdir = Path(workdir)
        self.backends, self.purge, self.purgers, self.storage = list(backends), purge, purgers, storage
        self.port = port
        self.process = None

    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}"

    @property
    def vcl(self):
        return self.workdir / "newsroom.vcl"

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc):
        self.stop()

    def start(self):
        """Render the VCL, check it compiles, start varnishd and wait until it listens."""
        from edge.varnish import render_vcl

        varnishd = varnishd_path()
        if varnishd is None:
            raise VarnishUnavailable(unavailable_reason())
        self.workdir.mkdir(parents=True, exist_ok=True)
        render_vcl(self.vcl, self.backends, purge=self.purge, purgers=self.purgers)
        state = self.workdir / "varnishd"
        # -C compiles without starting: a missing vmod (xkey) is reported here, in VCC's words.
        check = subprocess.run([varnishd, "-C", "-j", "none", "-n", str(state), "-f", str(self.vcl)],
                               capture_output=True, text=True, timeout=60)  # fmt: skip
        if check.returncode != 0:
            if "xkey" in check.stderr and self.purge == "xkey":
                raise VarnishUnavailable(f"the xkey vmod is missing (apt-get install varnish-modules):\n"
                                         f"{check.stderr[-2000:]}")  # fmt: skip
            raise RuntimeError(f"{self.vcl} does not compile:\n{check.stderr[-2000:]}")
        if self.port is None:
            self.port = free_port()
        log = open(self.workdir / "varnishd.log", "ab")  # noqa: SIM115 (closed in stop())
        self.process = subprocess.Popen(
            [varnishd, "-F", "-n", str(state), "-a", f"127.0.0.1:{self.port}", "-f", str(self.vcl),
             "-s", self.storage, "-T", "none",
             # No privilege separation: a test's workdir belongs to whoever runs the test.
             "-j", "none",
             # A purge or probe result in a test shows in under a second.
             "-p", "ban_lurker_sleep=0.1"],
            stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
        self._log = log
        try:
            wait_for_port(self.port, timeout=START_TIMEOUT)
        except RuntimeError as error:
            self.stop()
            log = self.workdir / "varnishd.log"
            raise RuntimeError(f"varnishd did not listen on {self.url}; see {log}") from error
        return self

    def stop(self):
        """Stop varnishd (its cache goes with it); waits at most 15 s."""
        if self.process is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=15)
        self.process = None
        self._log.close()
        # Until the port is free again, a restart on it would fail to bind.
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                wait_for_port(self.port, timeout=0.05)
            except RuntimeError:
                return
            time.sleep(0.05)

    def restart(self):
        """Stop and start again on the same port: an empty cache, the same URL."""
        self.stop()
        return self.start()
