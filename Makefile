# Newsroom: `make run` serves the demo site, `make test` runs the whole suite.
# Both work on a fresh machine: they create .venv, install what is needed and, when
# DATABASE_URL is unset, start the embedded PostgreSQL in .data/.

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
DATA := .data
HOST ?= 127.0.0.1
PORT ?= 8000
WEB_WORKERS ?= 2
WEB_THREADS ?= 4
AXE_VERSION := 4.14.1
# axe-core (npm) checks accessibility in the browser tests; it lives beside the venv.
AXE := $(VENV)/axe/node_modules/axe-core/axe.min.js
# Mozilla's HTTP Observatory (npm) grades the production headers in a test.
OBSERVATORY_VERSION := 1.4.8
OBSERVATORY := $(VENV)/observatory/node_modules/@mdn/mdn-http-observatory

# Absolute links name the address make run serves (an IPv6 HOST in brackets).
SITE_HOST = $(if $(findstring :,$(HOST)),[$(HOST)],$(HOST))
# Local runs keep a generated secret in the git-ignored data folder; a SECRET_KEY or
# ALLOWED_HOSTS already in the environment wins.
LOCAL_ENV = SECRET_KEY="$${SECRET_KEY:-$$(cat $(DATA)/secret_key)}" \
	ALLOWED_HOSTS="$${ALLOWED_HOSTS:-127.0.0.1,localhost,[::1],$(HOST)}" \
	SITE_URL="$${SITE_URL:-http://$(SITE_HOST):$(PORT)}" \
	HTTPS="$${HTTPS:-false}"

.PHONY: run test check bench soak format manage install install-test browser redis node clean-data

run: install $(DATA)/secret_key
	$(LOCAL_ENV) $(PY) manage.py migrate --noinput
	$(LOCAL_ENV) $(PY) manage.py load_demo
	$(LOCAL_ENV) $(PY) manage.py collectstatic --noinput --verbosity 0
	@echo "Serving Newsroom at http://$(HOST):$(PORT)/ (Ctrl-C stops it)"
	@if [ -z "$$EMAIL_URL" ]; then echo "Mail (sign-in links, notifications) is written to $(DATA)/mail/; set EMAIL_URL to send it"; fi
	@# The background worker runs beside gunicorn, in a session of its own so that Ctrl-C
	@# reaches it once, as the TERM sent here when gunicorn has stopped: it finishes the job
	@# in hand and exits. No control socket: gunicorn 27's admin interface is not used here.
	$(LOCAL_ENV) DEBUG=false setsid $(PY) manage.py worker --no-reload & worker=$$!; \
	trap 'kill -TERM $$worker 2>/dev/null; wait $$worker' EXIT; trap 'exit 130' INT TERM; \
	$(LOCAL_ENV) DEBUG=false $(VENV)/bin/gunicorn newsroom.wsgi \
		--bind $(HOST):$(PORT) --worker-class gthread \
		--workers $(WEB_WORKERS) --threads $(WEB_THREADS) --reuse-port --no-control-socket

test: install-test browser redis $(AXE) $(OBSERVATORY)/conf/hsts-preload.json
	$(PY) -m pytest

check: install-test $(DATA)/secret_key
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(LOCAL_ENV) $(PY) manage.py check --fail-level WARNING
	$(LOCAL_ENV) $(PY) manage.py makemigrations --check --dry-run
	DEBUG=false HTTPS=true ALLOWED_HOSTS=news.example SITE_URL=https://news.example SECRET_KEY="$$(cat $(DATA)/secret_key)" \
		$(PY) manage.py check --deploy --fail-level WARNING

# The benchmark: production server on 100,000 stories and 1,000,000 comments (generated
# once, idempotently), measured with wrk; then the moderators' queues in process, and the
# scale data exported and imported into an empty database (about 8 minutes more).
BENCH_STORIES ?= 100000
BENCH_COMMENTS ?= 1000000
bench: install $(DATA)/secret_key
	@command -v wrk >/dev/null || { $(call apt_install,wrk); }
	$(LOCAL_ENV) $(PY) manage.py migrate --noinput
	$(LOCAL_ENV) $(PY) manage.py load_demo
	$(LOCAL_ENV) $(PY) manage.py generate_demo --stories $(BENCH_STORIES) --comments $(BENCH_COMMENTS)
	$(LOCAL_ENV) $(PY) manage.py collectstatic --noinput --verbosity 0
	$(LOCAL_ENV) $(PY) tests/bench.py
	$(LOCAL_ENV) $(PY) tests/bench_moderation.py
	$(LOCAL_ENV) $(PY) tests/bench_import.py

# Load and faults: a minute of locust's readers and comment posters while a PostgreSQL of the
# soak's own restarts and a worker is killed, with attackers for the last two thirds; checks
# every acknowledged comment is saved and the seed story keeps half its rate under attack.
soak: install-test $(DATA)/secret_key
	$(LOCAL_ENV) $(PY) manage.py collectstatic --noinput --verbosity 0
	$(LOCAL_ENV) $(PY) tests/soak.py

# Any manage.py command with the local settings: make manage ARGS="createsuperuser"
manage: install $(DATA)/secret_key
	$(LOCAL_ENV) $(PY) manage.py $(ARGS)

format: install-test
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

install: $(VENV)/.installed
install-test: $(VENV)/.installed-test

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml $(VENV)/bin/python
	$(PY) -m pip install --quiet .
	touch $@

$(VENV)/.installed-test: pyproject.toml $(VENV)/bin/python
	$(PY) -m pip install --quiet ".[test]"
	touch $@ $(VENV)/.installed

# Debian packages the tests need, installed when missing (as root, or through sudo).
apt_install = if [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq $(1) >/dev/null; \
	else sudo apt-get update -qq && sudo apt-get install -y -qq $(1) >/dev/null; fi

# Browser tests drive Debian's chromium; Playwright never downloads a browser of its own.
# The Observatory test makes its own TLS certificate with openssl.
browser:
	@command -v chromium >/dev/null || { $(call apt_install,chromium); }
	@command -v openssl >/dev/null || { $(call apt_install,openssl); }

# A test stops a Redis server of its own (never the machine's): it needs the binary.
redis:
	@command -v redis-server >/dev/null || { $(call apt_install,redis-server); }

node:
	@command -v npm >/dev/null || { $(call apt_install,npm); }

$(AXE): | node
	npm install --silent --no-audit --no-fund --prefix $(VENV)/axe axe-core@$(AXE_VERSION)

# Its install scripts download Chromium's HSTS preload list and a CA bundle; a scan of
# our own loopback server needs neither (localhost is not preloaded, and the test trusts
# its own certificate), so they are skipped and the preload list is empty.
$(OBSERVATORY)/conf/hsts-preload.json: | node
	npm install --silent --no-audit --no-fund --ignore-scripts --prefix $(VENV)/observatory \
		@mdn/mdn-http-observatory@$(OBSERVATORY_VERSION)
	echo '{}' > $@

$(DATA)/secret_key:
	mkdir -p $(DATA)
	$(PYTHON) -c "import secrets; print(secrets.token_urlsafe(50))" > $@
	chmod 600 $@

# Stops nothing that is running; removes the embedded database and the local secret.
clean-data:
	rm -rf $(DATA)
