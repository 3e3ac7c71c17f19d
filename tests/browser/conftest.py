"""Browser tests: Debian's Chromium driven through Playwright against pytest-django's ``live_server``.

Every test here is marked ``browser``. ``new_context`` makes separate sessions (two editors side by side),
``admin_login`` signs in through the real form, and a failing test leaves PNGs of its pages in its
``tmp_path``, listed in the failure report.
"""

import os
import shutil
import threading
import time
from pathlib import Path

import pytest
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import expect, sync_playwright
from pytest_django.live_server_helper import LiveServer

DEFAULT_CHROMIUM = "/usr/bin/chromium"
# Long enough for a cold CI runner, short enough that a wrong selector fails in seconds, not minutes.
TIMEOUT_MS = 10_000

_HERE = Path(__file__).resolve().parent
_artifacts_key = pytest.StashKey["_Artifacts"]()


def pytest_collection_modifyitems(config, items):
    # This hook sees the whole session's items, not only this directory's.
    for item in items:
        if item.path.is_relative_to(_HERE):
            item.add_marker(pytest.mark.browser)


def _plain_django(media_handler):
    """Serve every request through Django's own middleware, as gunicorn does in production."""
    return WSGIHandler()


@pytest.fixture(scope="session")
def live_server(request):
    """pytest-django's live server, with static files served by WhiteNoise as in production.

    pytest-django wraps the server in staticfiles' StaticFilesHandler, which answers /static/ from the
    finders under unhashed names; the pages link the hashed names of the collected manifest, so every
    stylesheet was a 404 and the browser saw unstyled pages. WhiteNoise (WHITENOISE_USE_FINDERS) serves
    the collected, hashed files.
    """
    address = (
        request.config.getvalue("liveserver") or os.getenv("DJANGO_LIVE_TEST_SERVER_ADDRESS") or "localhost"
    )
    server = LiveServer(address, start=False)
    server.thread.static_handler = _plain_django
    server.start()
    request_started.connect(_requests.started)
    request_finished.connect(_requests.finished)
    yield server
    request_started.disconnect(_requests.started)
    request_finished.disconnect(_requests.finished)
    server.stop()


class _Requests:
    """Requests the live server is answering. A page closing at the end of a test may still send one
    (the desk's presence "leave" beacon): the test's database teardown waits for it, or it would run
    against a database being emptied, or be refused with the database blocked."""

    def __init__(self):
        self.lock = threading.Lock()
        self.open = 0
        self.last_started = 0.0

    def started(self, **kwargs):
        with self.lock:
            self.open += 1
            self.last_started = time.monotonic()

    def finished(self, **kwargs):
        with self.lock:
            self.open = max(self.open - 1, 0)

    def wait_until_quiet(self, quiet=0.3, timeout=5.0):
        """Until no request is open and none has started for ``quiet`` seconds (or ``timeout``)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                if self.open == 0 and time.monotonic() - self.last_started >= quiet:
                    return
            time.sleep(0.05)


_requests = _Requests()


def _chromium_path():
    """The configured Chromium if it is an executable file, else None; the path tried, for the message."""
    configured = os.environ.get("NEWSROOM_CHROMIUM")
    # An explicit setting is obeyed as given: falling back would hide a typo in CI's configuration.
    candidate = configured or DEFAULT_CHROMIUM
    if not configured and not os.access(candidate, os.X_OK):
        candidate = shutil.which("chromium") or candidate
    found = os.path.isfile(candidate) and os.access(candidate, os.X_OK)
    return (candidate if found else None), candidate


# Package scope, not session: Chromium still starts once for all of tests/browser, and Playwright's event
# loop (below) stops when the last browser test ends, instead of running under the rest of the suite
# (pytest-django orders transactional tests, these, before the tests that need no database).
@pytest.fixture(scope="package")
def browser():
    executable, tried = _chromium_path()
    if executable is None:
        reason = (
            f"Chromium not found at {tried}; install Debian's chromium (apt-get install chromium) "
            "to run browser tests"
        )
        if os.environ.get("NEWSROOM_REQUIRE_BROWSER") == "1":
            pytest.fail(
                f"{reason} (NEWSROOM_REQUIRE_BROWSER=1: a missing browser is a failure)", pytrace=False
            )
        pytest.skip(reason)

    # Playwright's sync API keeps an asyncio loop marked as running in this thread from start() to
    # stop(), and Django refuses ORM calls under a running loop (SynchronousOnlyOperation) although the
    # tests are plain synchronous code. Lift that check for exactly that span, and restore it after.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    playwright = sync_playwright().start()
    try:
        chromium = playwright.chromium.launch(
            executable_path=executable, headless=True, args=["--no-sandbox"]
        )
        expect.set_options(timeout=TIMEOUT_MS)
        yield chromium
        chromium.close()
    finally:
        playwright.stop()
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


class _Artifacts:
    """One test's open contexts and pages of interest, for the failure screenshots."""

    def __init__(self, directory):
        self.directory = directory
        self.contexts = []
        self.watched = {}  # name -> page, photographed as it is when the test fails
        self.captured = {}  # name -> PNG bytes taken earlier, written out only if the test fails

    def save_all(self):
        """Write every open page and every page of interest to PNG files; return lines naming them."""
        lines = []
        n = 0
        for context in self.contexts:
            for page in context.pages:
                n += 1
                lines.append(self._save(page, f"failure-{n}"))
        for name, page in self.watched.items():
            lines.append(self._save(page, name))
        for name, png in self.captured.items():
            path = self.directory / f"{name}.png"
            path.write_bytes(png)
            lines.append(f"{path} (captured earlier)")
        return lines

    def _save(self, page, name):
        path = self.directory / f"{name}.png"
        try:
            url = page.url
            page.screenshot(path=path, full_page=True, timeout=5_000)
        except PlaywrightError as error:
            # A crashed or closed page must not hide the test's own failure.
            return f"{path}: no screenshot ({error.message.splitlines()[0]})"
        return f"{path} ({url})"


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    # Setup and call failures only: the pages are still open here, before the fixtures' teardown.
    artifacts = item.stash.get(_artifacts_key, None)
    if report.failed and report.when in ("setup", "call") and artifacts is not None:
        lines = artifacts.save_all()
        if lines:
            report.sections.append(("Browser screenshots", "\n".join(lines)))
    return report


@pytest.fixture
def _artifacts(request, tmp_path):
    artifacts = _Artifacts(tmp_path)
    request.node.stash[_artifacts_key] = artifacts
    yield artifacts
    del request.node.stash[_artifacts_key]


@pytest.fixture
def new_context(browser, live_server, _artifacts):
    """Return ``make(**options)``: a fresh browser context (own cookies, so own login) on ``live_server``.

    Relative URLs work (``page.goto("/articles/")``). Contexts are closed after the test, after any
    failure screenshots.
    """

    def make(**options):
        context = browser.new_context(base_url=live_server.url, **options)
        context.set_default_timeout(TIMEOUT_MS)
        _artifacts.contexts.append(context)
        return context

    yield make
    for context in _artifacts.contexts:
        context.close()
    _requests.wait_until_quiet()


@pytest.fixture
def page_factory(new_context):
    """Return ``make(**options)``: a new page in its own fresh context, for a second or third user."""

    def make(**options):
        return new_context(**options).new_page()

    return make


@pytest.fixture
def page(page_factory):
    """One page in a fresh context, for a test with a single user."""
    return page_factory()


class FailureScreenshots:
    """Pages a test names, saved to its ``tmp_path`` as ``<name>.png`` only if the test fails."""

    def __init__(self, artifacts):
        self._artifacts = artifacts

    def watch(self, page, name):
        """Photograph ``page`` as it is when the test fails (it may have moved on by then)."""
        self._artifacts.watched[name] = page

    def capture(self, page, name):
        """Photograph ``page`` now (say the admin index just after login); kept only if the test fails."""
        self._artifacts.captured[name] = page.screenshot(full_page=True)


@pytest.fixture
def failure_screenshots(_artifacts):
    return FailureScreenshots(_artifacts)


@pytest.fixture
def admin_login():
    """Return ``login(page, live_server, username, password)``: sign in through /admin/login/.

    ``live_server`` may also be a base URL string. Fails unless the admin index is reached, so a
    wrong password or a user without staff status stops the test at the login, with the page in the
    failure screenshots.
    """

    def login(page, live_server, username, password):
        base = getattr(live_server, "url", live_server).rstrip("/")
        page.goto(f"{base}/admin/login/")
        form = page.locator("#login-form")
        form.locator("#id_username").fill(username)
        form.locator("#id_password").fill(password)
        form.locator("input[type=submit]").click()
        expect(page, f"signing in as {username!r} did not reach the admin index").to_have_url(
            f"{base}/admin/"
        )
        # Signed in: the admin's own "Log out" control, not the index's heading, which the desk may retitle.
        expect(page.get_by_role("button", name="Log out")).to_be_visible()

    return login
