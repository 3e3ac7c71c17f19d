"""For the caching-proxy tests (tests/test_edge_*.py): a real varnishd (perf/varnish.py), skipped with
the reason when it cannot run here (a failure instead with NEWSROOM_REQUIRE_VARNISH=1, as in CI), and
a small real HTTP origin on 127.0.0.1 that answers as Newsroom's pages will, for testing the VCL
itself: ``/any/path?keys=site+story:1&maxage=60`` carries ``Surrogate-Key: site story:1`` and
``Surrogate-Control: max-age=60``; without ``keys`` it carries none; ``status=503`` answers that;
``version=7&epoch=5`` says the page is current at content version 7 of epoch 5 (``X-Content-*``).
Each body names the origin and counts its fetches, so a test sees which origin answered and whether
the proxy fetched again."""

import gzip
import http.client
import itertools
import os
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import pytest

from perf.varnish import Varnish, unavailable_reason


def require_varnish():
    reason = unavailable_reason()
    if reason is None:
        return
    if os.environ.get("NEWSROOM_REQUIRE_VARNISH") == "1":
        pytest.fail(f"NEWSROOM_REQUIRE_VARNISH=1 but {reason}")
    pytest.skip(reason)


def start_varnish(workdir, backends, **options):
    require_varnish()
    return Varnish(workdir, backends, **options).start()


class Origin:
    """An HTTP server in a thread of the test, on a free 127.0.0.1 port, until ``stop()``."""

    def __init__(self, name):
        self.name = name
        self.fetches = itertools.count(1)
        self.requests = []  # (method, path, headers) as they arrived
        origin = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self):
                origin.requests.append(("GET", self.path, dict(self.headers)))
                query = parse_qs(urlsplit(self.path).query)
                status = int(query.get("status", ["200"])[0])
                body = f"{origin.name} {self.path} fetch {next(origin.fetches)}".encode()
                self.send_response(status)
                if "keys" in query:
                    self.send_header("Surrogate-Key", query["keys"][0])
                    self.send_header("Surrogate-Control", f"max-age={query.get('maxage', ['60'])[0]}")
                if "version" in query:  # the content version the page is current at
                    self.send_header("X-Content-Epoch", query.get("epoch", ["1"])[0])
                    self.send_header("X-Content-Version", query["version"][0])
                if "cookie" in query:
                    self.send_header("Set-Cookie", "csrftoken=abc; Path=/")
                self.send_header("Cache-Control", "max-age=0, public")
                self.send_header("Vary", "Accept-Encoding")
                self.send_header("X-Cache", "miss")
                self.send_header("Content-Type", "text/plain; charset=utf-8")
                if "gzip" in self.headers.get("Accept-Encoding", ""):
                    body = gzip.compress(body)
                    self.send_header("Content-Encoding", "gzip")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.address = ("127.0.0.1", self.port)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


def fetch(proxy, path, method="GET", **headers):
    """One request to ``proxy`` on a fresh connection: (status, headers, body bytes as sent)."""
    connection = http.client.HTTPConnection("127.0.0.1", proxy.port, timeout=10)
    try:
        connection.request(method, path, headers={"Accept-Encoding": "identity", **headers})
        response = connection.getresponse()
        return response.status, response.headers, response.read()
    finally:
        connection.close()


def purge(proxy, keys, version=None, epoch=1):
    connection = http.client.HTTPConnection("127.0.0.1", proxy.port, timeout=10)
    versions = {"xkey-epoch": str(epoch), "xkey-version": str(version)} if version else {}
    headers = {"xkey-purge": keys} | versions
    try:
        connection.request("PURGE", "/", headers=headers)
        response = connection.getresponse()
        return response.status, response.headers, response.read()
    finally:
        connection.close()
