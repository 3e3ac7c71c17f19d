"""The Varnish configuration (edge/varnish/newsroom.vcl) on a real varnishd, in front of small real
origins that answer as Newsroom's pages do (tests/proxy_backend.py): what it caches, what it never
caches, how a purge by surrogate key removes pages, gzip, and a backend going down."""

import gzip
import time

import pytest

from tests.proxy_backend import Origin, fetch, purge, start_varnish

PAGE = "/articles/envoy/?keys=site+story:1+section:3"
OTHER = "/articles/talks/?keys=site+story:2+section:3"


@pytest.fixture
def origins():
    made = [Origin("one"), Origin("two")]
    yield made
    for origin in made:
        origin.stop()


@pytest.fixture
def proxy(tmp_path, origins):
    varnish = start_varnish(tmp_path / "varnish", [origin.address for origin in origins])
    yield varnish
    varnish.stop()


def cache_state(proxy, path, **headers):
    status, response, _ = fetch(proxy, path, **headers)
    assert status == 200
    return response["X-Proxy-Cache"]


def test_an_anonymous_page_is_a_miss_then_a_hit_without_its_surrogate_headers(proxy):
    status, first, body = fetch(proxy, PAGE)
    assert (status, first["X-Proxy-Cache"]) == (200, "MISS")
    _, second, again = fetch(proxy, PAGE)
    assert second["X-Proxy-Cache"] == "HIT" and again == body
    for header in ("Surrogate-Key", "Surrogate-Control", "xkey"):
        assert header not in second
    # The browser's headers and Newsroom's own cache header come through as the origin sent them.
    assert second["Cache-Control"] == "max-age=0, public"
    assert second["X-Cache"] == "miss"


@pytest.mark.parametrize(
    ("path", "headers"),
    [
        (PAGE, {"Cookie": "sessionid=abc123"}),
        (PAGE, {"Cookie": "csrftoken=x; sessionid=abc123; _ga=GA1"}),
        (PAGE, {"Cookie": "messages=note"}),
        (PAGE, {"Authorization": "Basic ZWQ6cHc="}),
        ("/admin/?keys=site", {}),
        ("/admin/articles/article/?keys=site", {}),
        ("/preview/signed-token/?keys=site", {}),
        ("/healthz?keys=site", {}),
    ],
)
def test_staff_previews_and_the_health_check_pass_and_are_never_cached(proxy, origins, path, headers):
    assert [cache_state(proxy, path, **headers) for _ in range(3)] == ["PASS"] * 3
    # ...and a signed-in request did not fill the cache for readers either.
    assert cache_state(proxy, path) in ("MISS", "PASS")


def test_other_cookies_are_dropped_so_readers_share_the_page(proxy, origins):
    assert cache_state(proxy, PAGE, Cookie="csrftoken=x; _ga=GA1.2") == "MISS"
    assert cache_state(proxy, PAGE) == "HIT"
    assert cache_state(proxy, PAGE, Cookie="_ga=GA1.3") == "HIT"
    assert all("Cookie" not in headers for _, _, headers in origins[0].requests + origins[1].requests)


@pytest.mark.parametrize(
    "path",
    [
        "/articles/?tag=china",  # no Surrogate-Key
        "/articles/?keys=site&cookie=1",  # sets a cookie
        "/articles/?keys=site&maxage=0",  # a proxy may not keep it
    ],
)
def test_a_response_not_marked_cacheable_is_never_cached(proxy, path):
    assert [cache_state(proxy, path) for _ in range(3)] == ["PASS", "PASS", "PASS"]


def test_a_purge_removes_exactly_the_pages_with_that_key(proxy):
    for path in (PAGE, OTHER):
        fetch(proxy, path)
        assert cache_state(proxy, path) == "HIT"
    status, headers, _ = purge(proxy, "story:1")
    assert status == 200 and headers["X-Purged"] == "1"
    assert cache_state(proxy, PAGE) == "MISS"
    assert cache_state(proxy, OTHER) == "HIT"
    # A section key reaches both; "site" reaches everything.
    assert purge(proxy, "section:3")[1]["X-Purged"] == "2"
    assert [cache_state(proxy, path) for path in (PAGE, OTHER)] == ["MISS", "MISS"]
    assert purge(proxy, "unknown:1 site")[1]["X-Purged"] == "2"


def test_a_purged_page_is_not_served_stale_from_grace(proxy):
    fetch(proxy, PAGE)
    purge(proxy, "story:1")
    status, headers, body = fetch(proxy, PAGE)
    assert headers["X-Proxy-Cache"] == "MISS" and b"fetch 2" in body


def test_a_page_rendered_before_the_latest_purge_is_delivered_but_not_kept(proxy):
    """A fetch under way when a purge arrives may carry the page as it was before the change: the
    purge says the content version it was sent at, and an older page is not cached."""
    epoch = 1_765_000_000_000_000  # the counter's start: microseconds, past VCL's fifteen digits
    purge(proxy, "story:1", version=10, epoch=epoch)
    older, current = f"{PAGE}&version=9&epoch={epoch}", f"{OTHER}&version=10&epoch={epoch}"
    assert [cache_state(proxy, older) for _ in range(2)] == ["PASS", "PASS"]
    assert [cache_state(proxy, current) for _ in range(2)] == ["MISS", "HIT"]
    # An older purge, arriving late, does not lower the bar; another epoch (a database made
    # again) starts its own count.
    purge(proxy, "story:9", version=5, epoch=epoch)
    assert cache_state(proxy, older) == "PASS"
    fresh = f"{PAGE}&version=1&epoch={epoch + 1}"
    assert [cache_state(proxy, fresh) for _ in range(2)] == ["MISS", "HIT"]


def test_a_purge_without_keys_or_with_odd_ones_is_refused(proxy):
    connection_status = purge(proxy, "story:1; rm")[0]
    assert connection_status == 400
    status, _, _ = fetch(proxy, "/", method="PURGE")
    assert status == 400


def test_an_identity_client_never_gets_gzip_and_a_gzip_client_may(proxy):
    _, gzipped, body = fetch(proxy, PAGE, **{"Accept-Encoding": "gzip, deflate"})
    assert gzipped["Content-Encoding"] == "gzip" and gzip.decompress(body).startswith(b"one") or b"two"
    assert "Accept-Encoding" in gzipped["Vary"]
    for accept in ("identity", "gzip;q=0", "br"):
        _, plain, body = fetch(proxy, PAGE, **{"Accept-Encoding": accept})
        assert plain["X-Proxy-Cache"] == "HIT"
        assert "Content-Encoding" not in plain
        assert body.startswith((b"one ", b"two "))
        assert "Accept-Encoding" in plain["Vary"]


def test_the_time_to_live_is_surrogate_controls_max_age(proxy):
    path = "/articles/short/?keys=site&maxage=1"
    assert cache_state(proxy, path) == "MISS"
    assert cache_state(proxy, path) == "HIT"
    time.sleep(1.2)  # past max-age: within grace, one stale answer starts the refetch
    fetch(proxy, path)
    deadline = time.monotonic() + 5
    while b"fetch 1" in fetch(proxy, path)[2]:
        assert time.monotonic() < deadline, "the expired page was never fetched again"
        time.sleep(0.05)


def test_a_killed_backend_leaves_the_other_serving_without_errors(proxy, origins):
    origins[0].stop()
    statuses, answered_by = [], set()
    for number in range(20):
        status, headers, body = fetch(proxy, f"/articles/{number}/?keys=site")
        statuses.append(status)
        answered_by.add(body.split()[0])
    assert statuses == [200] * 20
    assert answered_by == {b"two"}


def test_a_backends_5xx_is_retried_on_another(tmp_path):
    healthy, failing = Origin("healthy"), Origin("failing")
    failing_path = "/articles/x/?keys=site"
    try:
        # The failing origin answers every page 503 (its /healthz included, so only the retry helps
        # until the probe takes it out).
        varnish = start_varnish(tmp_path / "varnish", [failing.address, healthy.address])
        failing.server.RequestHandlerClass.do_GET = _always_503
        try:
            assert [fetch(varnish, failing_path)[0] for _ in range(6)] == [200] * 6
        finally:
            varnish.stop()
    finally:
        healthy.stop()
        failing.stop()


def _always_503(handler):
    handler.send_response(503)
    handler.send_header("Content-Length", "0")
    handler.end_headers()


def test_the_ban_variant_purges_by_key_too(tmp_path, origins):
    varnish = start_varnish(tmp_path / "varnish", [origins[0].address], purge="ban")
    try:
        for path in (PAGE, OTHER, "/articles/dotted/?keys=site+topic:a.b"):
            fetch(varnish, path)
        status, headers, _ = purge(varnish, "story:1 topic:a.b")
        assert status == 200
        assert cache_state(varnish, PAGE) == "MISS"
        assert cache_state(varnish, OTHER) == "HIT"
        assert cache_state(varnish, "/articles/dotted/?keys=site+topic:a.b") == "MISS"
        # "a.b" is not a pattern: a key "aXb" is untouched.
        fetch(varnish, "/articles/x/?keys=site+topic:aXb")
        purge(varnish, "topic:a.b")
        assert cache_state(varnish, "/articles/x/?keys=site+topic:aXb") == "HIT"
    finally:
        varnish.stop()
