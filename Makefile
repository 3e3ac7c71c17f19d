# Newsroom: `make run` serves the site with sample coverage; `make test` runs the whole suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test lint install install-dev clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@ $(VENV)/.installed

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

# A per-checkout secret key, made once and never committed (.gitignore).
.secret_key: | $(BIN)/python
	$(BIN)/python -c "import secrets; print(secrets.token_urlsafe(50))" > $@

run: $(VENV)/.installed .secret_key
	DJANGO_SECRET_KEY="$$(cat .secret_key)" $(BIN)/python manage.py migrate --noinput
	DJANGO_SECRET_KEY="$$(cat .secret_key)" $(BIN)/python manage.py refresh_cards
	DJANGO_SECRET_KEY="$$(cat .secret_key)" $(BIN)/python manage.py collectstatic --noinput --verbosity 0
	DJANGO_SECRET_KEY="$$(cat .secret_key)" $(BIN)/python manage.py load_vocabulary
	DJANGO_SECRET_KEY="$$(cat .secret_key)" $(BIN)/python manage.py load_sample_content
	DJANGO_SECRET_KEY="$$(cat .secret_key)" $(BIN)/python manage.py load_sample_pictures
	@echo "Newsroom is at http://$(HOST):$(PORT)/ — editors: make an account with"
	@echo "  DJANGO_SECRET_KEY=\"\$$(cat .secret_key)\" $(BIN)/python manage.py createsuperuser"
	@# The task worker runs beside the server and stops with it (Ctrl-C, or the server exiting).
	@export DJANGO_SECRET_KEY="$$(cat .secret_key)"; \
	$(BIN)/python manage.py worker & worker=$$!; \
	trap 'kill $$worker 2>/dev/null; wait $$worker 2>/dev/null' EXIT; trap 'exit 130' INT TERM; \
	$(BIN)/python manage.py runserver $(HOST):$(PORT)

# The background task worker (manage.py worker: django-tasks-db's db_worker and the distribution
# clock): sends what must not hold up an editor's request, such as newsletters, alerts, webhooks
# and WebSub pings. `make run` starts one itself; in production run this as its own
# process (systemd unit, container) beside `make serve`, with the same environment.
.PHONY: worker
worker: $(VENV)/.installed .secret_key
	DJANGO_SECRET_KEY="$${DJANGO_SECRET_KEY:-$$(cat .secret_key)}" $(BIN)/python manage.py worker

# npm's axe-core and lighthouse when Node is there; browser tests say so up front when Chromium is not
# (they skip then, and CI, which installs it, turns a skip into a failure).
test: $(VENV)/.installed-dev node-packages
	@test -x "$(CHROME_PATH)" || command -v chromium >/dev/null 2>&1 || \
		echo "NOTE: Chromium is not installed, so the browser tests in tests/browser/ will SKIP." \
		"Install Debian's chromium (apt-get install chromium) to run them; CI does."
	@command -v varnishd >/dev/null 2>&1 || test -x /usr/sbin/varnishd || \
		echo "NOTE: Varnish is not installed, so the caching-proxy tests (tests/test_edge_*.py) will SKIP." \
		"Install Debian's varnish and varnish-modules to run them; CI does."
	$(BIN)/python -m pytest $(PYTEST_ARGS)

.PHONY: node-packages
node-packages:
	@if command -v npm >/dev/null 2>&1; then $(MAKE) --no-print-directory node_modules/.installed; \
	else echo "NOTE: npm is not installed: the accessibility tests (axe-core) will skip."; fi

lint: $(VENV)/.installed-dev
	$(BIN)/python -m ruff check .

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache staticfiles build

# Browser checks of the public site: npm's lighthouse and axe-core (package.json), Debian's Chromium.
# Nothing here downloads a browser: PUPPETEER_SKIP_DOWNLOAD, and CHROME_PATH points at /usr/bin/chromium.
.PHONY: lighthouse screenshots
CHROME_PATH ?= /usr/bin/chromium

node_modules/.installed: package.json package-lock.json
	PUPPETEER_SKIP_DOWNLOAD=1 npm ci --no-audit --no-fund
	touch $@

# Lighthouse on the front page, a tag-filtered list and an article, mobile and desktop; fails under
# 100 for accessibility, best practices and SEO, or under 95 for performance.
lighthouse: $(VENV)/.installed node_modules/.installed
	CHROME_PATH=$(CHROME_PATH) $(BIN)/python -m perf.lighthouse

# 375 px and 1280 px wide pictures of the same three pages, in build/screenshots/.
screenshots: $(VENV)/.installed-dev
	NEWSROOM_CHROMIUM=$(CHROME_PATH) $(BIN)/python -m perf.screenshots

# Production-style serving: gunicorn (WEB_CONCURRENCY workers, default 2) with WhiteNoise serving
# the compressed, hashed static files. Background tasks need `make worker` running as its own process. Settings come from the environment (README, "Running in
# production"); DJANGO_SECRET_KEY defaults to the per-checkout key.
.PHONY: serve loadtest
WEB_CONCURRENCY ?= 2
serve: $(VENV)/.installed .secret_key
	DJANGO_SECRET_KEY="$${DJANGO_SECRET_KEY:-$$(cat .secret_key)}" $(BIN)/python manage.py migrate --noinput
	DJANGO_SECRET_KEY="$${DJANGO_SECRET_KEY:-$$(cat .secret_key)}" $(BIN)/python manage.py refresh_cards
	DJANGO_SECRET_KEY="$${DJANGO_SECRET_KEY:-$$(cat .secret_key)}" $(BIN)/python manage.py collectstatic --noinput --verbosity 0
	@echo "Background tasks (WebSub pings) need a worker: run \`make worker\` as its own process."
	DJANGO_SECRET_KEY="$${DJANGO_SECRET_KEY:-$$(cat .secret_key)}" $(BIN)/python -m gunicorn newsroom.wsgi \
		--workers $(WEB_CONCURRENCY) --worker-class gthread --threads 4 --bind $(HOST):$(PORT)

# Readers on every kind of page while an editor publishes and unpublishes, on PostgreSQL + Redis
# with 2 gunicorn workers, then the fault tests (PYTEST_ARGS passed on). LOADTEST_ARTICLES and
# LOADTEST_SECONDS size it; LOADTEST_DATABASE_URL and LOADTEST_REDIS_URL say where (perf/loadtest.py).
LOADTEST_ARTICLES ?= 10000
LOADTEST_SECONDS ?= 60
loadtest: $(VENV)/.installed-dev
	$(BIN)/python -m perf.loadtest --articles $(LOADTEST_ARTICLES) --seconds $(LOADTEST_SECONDS)
	$(BIN)/python -m pytest perf --ignore=perf/test_cluster_faults.py -p no:cacheprovider -q $(PYTEST_ARGS)

# The same on a whole cluster (perf/cluster.py), started afresh under build/cluster/ on free
# 127.0.0.1 ports: PostgreSQL primary and replica, Redis, the worker, two Newsroom servers (2 gunicorn
# workers each) and Varnish in front. Readers on every kind of page at the proxy while an editor
# makes a visible change every 2 s in the admin: hit rate, req/s and p95 per page kind; fails on a
# 5xx, a page still showing a story 3 s after its unpublishing (the 1 s target is reported), or a
# lost edit. Then the cluster's fault tests (perf/test_cluster_faults.py: a server killed, the
# replica, Redis stopped, Varnish restarted). CLUSTER_ARTICLES and CLUSTER_SECONDS size it; CLUSTER_ARGS adds options
# (--purge-all: whole-site invalidation, for comparison).
.PHONY: loadtest-cluster
CLUSTER_ARTICLES ?= 10000
CLUSTER_SECONDS ?= 60
CLUSTER_ARGS ?=
loadtest-cluster: $(VENV)/.installed-dev
	$(BIN)/python -m perf.cluster_loadtest --articles $(CLUSTER_ARTICLES) --seconds $(CLUSTER_SECONDS) \
		$(CLUSTER_ARGS)
	$(BIN)/python -m pytest perf/test_cluster_faults.py -p no:cacheprovider -q $(PYTEST_ARGS)

# Readers of one live story polling its updates as static/live/live.js does (a poll every
# LIVE_INTERVAL s, ETag sent) while an editor posts an update every 5 s, on PostgreSQL + Redis with
# 2 gunicorn workers: polling req/s against the issue's 1,000 (printed, not asserted), latency, and
# how long each update took to reach every reader. Fails on any error, a draft seen, or an update
# some reader never saw. LIVE_DATABASE_URL and LIVE_REDIS_URL say where (perf/live_loadtest.py).
.PHONY: loadtest-live
LIVE_READERS ?= 33000
LIVE_INTERVAL ?= 30
LIVE_SECONDS ?= 60
LIVE_ARTICLES ?= 1000
loadtest-live: $(VENV)/.installed-dev
	$(BIN)/python -m perf.live_loadtest --readers $(LIVE_READERS) --interval $(LIVE_INTERVAL) \
		--seconds $(LIVE_SECONDS) --articles $(LIVE_ARTICLES)

# How long an editor's update takes to reach the story's public page: the admin form over HTTP, then
# the page through the cache (perf/live_post_bench.py).
.PHONY: bench-live-post
bench-live-post: $(VENV)/.installed-dev
	$(BIN)/python -m perf.live_post_bench

# How fast a newsletter goes out: a real worker sends one mailing to NEWSLETTER_RECIPIENTS through
# an SMTP server on 127.0.0.1 (SQLite; NEWSLETTER_DATABASE_URL=postgres://… for PostgreSQL).
.PHONY: bench-newsletter
NEWSLETTER_RECIPIENTS ?= 5000
NEWSLETTER_DATABASE_URL ?=
bench-newsletter: $(VENV)/.installed-dev
	$(BIN)/python -m perf.newsletter_send_bench --recipients $(NEWSLETTER_RECIPIENTS) \
		$(if $(NEWSLETTER_DATABASE_URL),--database-url $(NEWSLETTER_DATABASE_URL))

# Requests/s of each page as a ratio to a static file through the same stack, cache on and off,
# with BENCH_ARTICLES articles (and the lists again with 1,000), BENCH_SECONDS per URL. Reported, not
# asserted. BENCH_DATABASE_URL and BENCH_REDIS_URL say where (perf/bench.py).
.PHONY: bench
BENCH_ARTICLES ?= 10000
BENCH_SECONDS ?= 5
bench: $(VENV)/.installed-dev
	$(BIN)/python -m perf.bench --articles $(BENCH_ARTICLES) --seconds $(BENCH_SECONDS)

# Uncached pages side by side with a Wagtail 8 news site holding the same WAGTAIL_ARTICLES generated
# stories (perf/wagtail_ref/, installed from PyPI into its own build/wagtail-venv), on
# WAGTAIL_DATABASE (sqlite or postgresql): each page's req/s and the ratio. Reported, not asserted.
.PHONY: bench-wagtail
WAGTAIL_ARTICLES ?= 10000
WAGTAIL_DATABASE ?= sqlite
bench-wagtail: $(VENV)/.installed-dev
	$(BIN)/python -m perf.wagtail_bench --articles $(WAGTAIL_ARTICLES) --database $(WAGTAIL_DATABASE)

# Known vulnerabilities in the installed dependencies (pip-audit); fails when it finds one.
.PHONY: audit
audit: $(VENV)/.installed-dev
	$(BIN)/python -m pip_audit --skip-editable --progress-spinner off

# Imports BENCH_IMPORT_ARTICLES generated articles (BENCH_IMPORT_FORMAT: md or txt) into a fresh
# SQLite database in build/bench/, then again unchanged: articles/s, peak RSS and the speed-up.
.PHONY: bench-import
BENCH_IMPORT_ARTICLES ?= 100000
BENCH_IMPORT_FORMAT ?= md
bench-import: $(VENV)/.installed
	$(BIN)/python -m perf.import_bench --articles $(BENCH_IMPORT_ARTICLES) --format $(BENCH_IMPORT_FORMAT)

# One search in-process (count + first page with snippets) over 50 fixed queries on ARCHIVE seeded
# stories: p50/p95/max ms. SQLite in build/search-bench/ unless DATABASE_URL names a scratch
# PostgreSQL database (search_bench… or srch_…); a database already holding ARCHIVE stories is reused.
.PHONY: bench-search
ARCHIVE ?= 100000
bench-search: $(VENV)/.installed
	$(BIN)/python -m perf.search_bench --articles $(ARCHIVE) $(if $(DATABASE_URL),--database-url $(DATABASE_URL))

# Newsroom at archive scale (perf/archive_bench.py): generates ARCHIVE stories (kept in build/archive/
# for the next run of that size), imports them into a fresh database (SQLite under build/archive/, or
# ARCHIVE_DATABASE_URL, a PostgreSQL database dropped and made again), then every page kind, search
# and the admin, uncached, ARCHIVE_SECONDS each: import rate and peak RSS, req/s, p50/p95, queries.
.PHONY: bench-archive
ARCHIVE_SECONDS ?= 3
bench-archive: $(VENV)/.installed
	ARCHIVE_DATABASE_URL="$(ARCHIVE_DATABASE_URL)" $(BIN)/python -m perf.archive_bench --count $(ARCHIVE) --seconds $(ARCHIVE_SECONDS)
