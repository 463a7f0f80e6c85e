"""Settings for the Newsroom project, read from the environment (django-environ).

Local defaults are safe: DEBUG is off unless asked for, and with DEBUG off a missing
SECRET_KEY, ALLOWED_HOSTS or SITE_URL stops start-up instead of falling back to a development
value. `make run` and `make test` provide them for a local checkout.
"""

import ipaddress
import re
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import environ
from django.core.exceptions import ImproperlyConfigured

from newsroom import localdb

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()

DEBUG = env.bool("DEBUG", default=False)

# Everything the project keeps at run time (embedded database, generated secret,
# collected static files) lives here; the folder is git-ignored.
DATA_DIR = Path(env.str("NEWSROOM_DATA_DIR", default=str(BASE_DIR / ".data")))

SECRET_KEY = env.str("SECRET_KEY", default="")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=[])
if DEBUG:
    SECRET_KEY = SECRET_KEY or "django-insecure-local-development-only"
    ALLOWED_HOSTS = ALLOWED_HOSTS or ["localhost", "127.0.0.1", "[::1]"]
else:
    if not SECRET_KEY:
        raise ImproperlyConfigured(
            "SECRET_KEY is not set. With DEBUG off the site refuses to start without one: "
            "set SECRET_KEY in the environment (or use `make run`, which keeps a local one)."
        )
    if not ALLOWED_HOSTS:
        raise ImproperlyConfigured(
            "ALLOWED_HOSTS is not set. With DEBUG off the site refuses to start without it: "
            "set ALLOWED_HOSTS to the comma-separated host names the site is served under."
        )

# The site's own address: every absolute URL (canonical links, feeds, sitemaps, OpenGraph)
# is built from it, never from the request's Host header, which a stranger chooses.
SITE_URL = env.str("SITE_URL", default="") or ("http://127.0.0.1:8000" if DEBUG else "")
if not SITE_URL:
    raise ImproperlyConfigured(
        "SITE_URL is not set. With DEBUG off the site refuses to start without it: set "
        "SITE_URL to the address readers use, such as https://news.example (`make run` "
        "sets it from HOST and PORT)."
    )
_site = urlsplit(SITE_URL)
if (
    _site.scheme not in ("http", "https")
    or not _site.hostname
    or not re.fullmatch(r"[A-Za-z0-9.\-]+(:[0-9]+)?|\[[0-9A-Fa-f:.]+\](:[0-9]+)?", _site.netloc)
    or _site.path not in ("", "/")
    or _site.query
    or _site.fragment
    or SITE_URL.endswith("?")
    or SITE_URL.endswith("#")
):
    raise ImproperlyConfigured(
        f"SITE_URL must be an absolute http(s) address with no path, query or fragment, "
        f"such as https://news.example or http://127.0.0.1:8000 (it is {SITE_URL!r})."
    )
try:
    _site.port  # noqa: B018 (reading it checks it)
except ValueError:
    raise ImproperlyConfigured(f"SITE_URL has an invalid port: {SITE_URL!r}.") from None
SITE_URL = f"{_site.scheme}://{_site.netloc}"

INSTALLED_APPS = [
    # The admin with the staff sign-in's second factor (staff.sites.StaffAdminSite).
    "staff.apps.StaffAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "django.contrib.sitemaps",
    "csp",
    "axes",
    "django_tasks",
    "django_tasks_db",
    "jobs",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "pagecache",
    "articles",
    "readers",
    "comments",
    "moderation",
    "notifications",
    "staff",
    "imports",
    "demo",
]

MIDDLEWARE = [
    "newsroom.requestlog.RequestLogMiddleware",
    "django.middleware.gzip.GZipMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_permissions_policy.PermissionsPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "newsroom.headers.CrossOriginResourcePolicyMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    # A 404 (or WordPress's /?p=123) that an imported story's old address names: a 301.
    "imports.middleware.OldAddressMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # request.user.is_verified(): whether this session gave a second factor, and which.
    "django_otp.middleware.OTPMiddleware",
    # A session without the second factor its user needs is signed out.
    "staff.middleware.SecondFactorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Inside CSRF's middleware, so the CSRF cookie is set for the tokens it fills in.
    "pagecache.middleware.PlaceholderMiddleware",
    "newsroom.unavailable.DatabaseUnavailableMiddleware",
    # Last, as django-axes asks: it turns a locked-out login into its refusal page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "newsroom.urls"
WSGI_APPLICATION = "newsroom.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                # {% csrf_token %} emits a placeholder, filled per response: cached pages
                # and live ones share the same forms.
                "pagecache.context_processors.csrf",
            ],
        },
    },
]

# PostgreSQL only. DATABASE_URL selects a server; without it the project runs its own,
# declared here and started by what needs it (newsroom/localdb.py), never by this import.
if env.str("DATABASE_URL", default=""):
    DATABASES = {"default": env.db("DATABASE_URL")}
else:
    DATABASES = {"default": localdb.declared(DATA_DIR / "postgres")}
if DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
    raise ImproperlyConfigured("DATABASE_URL must point at PostgreSQL (postgres://...).")
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
# A database that does not answer fails the request quickly (a 503) instead of hanging it.
DATABASES["default"].setdefault("OPTIONS", {}).setdefault("connect_timeout", 3)

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

CACHES = {"default": env.cache("CACHE_URL", default="locmemcache://")}
# django-environ maps redis:// to django-redis when it is installed (a dependency).
if CACHES["default"]["BACKEND"] == "django_redis.cache.RedisCache":
    # Redis down must mean slower pages, not failed ones: django-redis turns connection
    # errors into misses (reads find nothing, writes are dropped) and logs them, and a
    # dead server is given up on quickly. Options in CACHE_URL's query string win.
    CACHES["default"]["OPTIONS"] = {
        "IGNORE_EXCEPTIONS": True,
        "SOCKET_CONNECT_TIMEOUT": 0.25,
        "SOCKET_TIMEOUT": 0.25,
        **CACHES["default"].get("OPTIONS", {}),
    }
    DJANGO_REDIS_LOG_IGNORED_EXCEPTIONS = True
# Reader pages: how long a rendered page may sit in the cache (versions make it fresh at
# once on any change; this bounds memory; 0 switches the page cache off), and how long a
# CDN in front may keep it.
PAGE_CACHE_SECONDS = env.int("PAGE_CACHE_SECONDS", default=600)
CDN_CACHE_SECONDS = env.int("CDN_CACHE_SECONDS", default=300)

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
# The seed newsroom is in Pakistan; comment times read in its clock.
TIME_ZONE = env.str("TIME_ZONE", default="Asia/Karachi")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = DATA_DIR / "staticfiles"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

# Uploads (lead photos) go through Django's storage API; the default keeps them on disk
# under the data folder. A deployment with several machines points STORAGES["default"]
# at shared storage (an object store) instead.
MEDIA_URL = "media/"
MEDIA_ROOT = DATA_DIR / "media"

FIXTURE_DIRS = [BASE_DIR / "fixtures"]

# Flash messages ride in a signed cookie, so an anonymous reader's page needs no session.
MESSAGE_STORAGE = "django.contrib.messages.storage.cookie.CookieStorage"

# HTTPS: on by default in production. `make run` and the tests serve plain HTTP on the
# loopback and say so with HTTPS=false.
HTTPS = env.bool("HTTPS", default=not DEBUG)
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=HTTPS)
# Where plain-HTTP requests are redirected, when not to the host they asked for.
SECURE_SSL_HOST = env.str("SECURE_SSL_HOST", default=None)
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = HTTPS
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=365 * 24 * 3600 if HTTPS else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=HTTPS)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=HTTPS)
# Behind a TLS-terminating proxy (nginx, a load balancer) that sets X-Forwarded-Proto, set
# BEHIND_PROXY=true; list its addresses or ranges (CIDR) in TRUSTED_PROXIES so that
# X-Forwarded-For is believed from them, and only from them. Parsed once, here.


def _networks(
    name: str, entries: list[str]
) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    networks = []
    for entry in entries:
        try:
            networks.append(ipaddress.ip_network(entry.strip()))
        except ValueError:
            raise ImproperlyConfigured(
                f"{name}: {entry!r} is neither an address (10.0.0.2, 2001:db8::2) nor a "
                "range with its host bits clear (10.0.0.0/8, 2001:db8::/32)."
            ) from None
    return tuple(networks)


TRUSTED_PROXIES = _networks("TRUSTED_PROXIES", env.list("TRUSTED_PROXIES", default=[]))
if env.bool("BEHIND_PROXY", default=False):
    if not TRUSTED_PROXIES:
        # Without them every reader would seem to come from nowhere (or from the proxy):
        # flood limits, report counts and admin lock-outs would become site-wide.
        raise ImproperlyConfigured(
            "BEHIND_PROXY is true but TRUSTED_PROXIES is empty. List the proxy's addresses "
            "or ranges (comma-separated, e.g. 10.0.0.2 or 10.0.0.0/24) in TRUSTED_PROXIES, "
            "so that readers' addresses can be told apart."
        )
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "strict-origin-when-cross-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],  # no inline scripts anywhere (JSON-LD is data, not code)
        "style-src": ["'self'", "'unsafe-inline'"],  # the admin sets a few style attributes
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}
PERMISSIONS_POLICY = {
    feature: []
    for feature in (
        "accelerometer",
        "autoplay",
        "camera",
        "geolocation",
        "gyroscope",
        "magnetometer",
        "microphone",
        "payment",
        "usb",
    )
}
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
ADMIN_URL = env.str("ADMIN_URL", default="admin/")

# Admin sign-in: after AXES_FAILURE_LIMIT failures an address is locked out of one account
# (a guesser), and separately of every account (a sprayer), for AXES_COOLOFF_MINUTES
# (django-axes, counted in the database). Never an account alone: a stranger elsewhere
# could then lock a colleague out.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("AXES_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = [["ip_address", "username"], "ip_address"]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "locked_out.html"
# The client's address, for comment limits and admin lock-outs alike: X-Forwarded-For is
# believed only from TRUSTED_PROXIES. The lock-out counts an IPv6 client by its /64 (the
# first address of it, since axes keeps an address), as comment limits do.
CLIENT_IP_CALLABLE = "newsroom.http.client_ip"
AXES_CLIENT_IP_CALLABLE = "newsroom.http.client_network_address"

# A second factor (a TOTP code from a phone app) for staff sign-in: always for superusers,
# for staff who turn it on, and for all staff when STAFF_REQUIRE_2FA is true (staff/twofactor.py).
# Wrong codes count toward the lock-out above, as wrong passwords do.
STAFF_REQUIRE_2FA = env.bool("STAFF_REQUIRE_2FA", default=False)
# After wrong codes a device waits 1, 2, 4, 8... seconds before it checks another
# (django-otp's default, stated here because a factor of 0 would switch it off).
OTP_TOTP_THROTTLE_FACTOR = 1
# Superusers may delete a colleague's device (a lost phone) in the admin, never read its key.
OTP_ADMIN_HIDE_SENSITIVE_DATA = True

# Logs: one JSON object a line (python-json-logger) for a log shipper; LOG_FORMAT=plain
# for reading by eye. Every request is logged by newsroom.requestlog, every moderation
# action by comments.services.
LOG_FORMAT = env.str("LOG_FORMAT", default="plain" if DEBUG else "json")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": "%(asctime)s %(levelname)s %(name)s %(message)s",
        },
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
    },
    "filters": {
        # While Redis is down every request logs its ignored errors: say so once in 30 s.
        "once_in_30_seconds": {"()": "newsroom.logfilters.AtMostEvery", "seconds": 30},
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": LOG_FORMAT}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="WARNING")},
    "loggers": {
        "newsroom.requests": {
            "level": "INFO" if env.bool("LOG_REQUESTS", default=True) else "WARNING"
        },
        "comments.moderation": {"level": "INFO"},
        "jobs": {"level": "INFO"},
        "readers": {"level": "INFO"},
        "django_redis.cache": {"filters": ["once_in_30_seconds"]},
    },
}

NEWSROOM_SITE_NAME = env.str("NEWSROOM_SITE_NAME", default="Newsroom")
# The name phone apps show beside a staff account's second factor.
OTP_TOTP_ISSUER = NEWSROOM_SITE_NAME

# Background jobs (jobs/): queued as rows in PostgreSQL by django-tasks' database backend,
# run by `manage.py worker` (make run starts one beside gunicorn).
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}

# Mail goes through EMAIL_URL's server (smtp://user:password@host:25, smtp+tls://...:587,
# smtp+ssl://...:465); with none, every message is written as a file under .data/mail/,
# where a newcomer opens their sign-in link. Only background jobs send mail.
MAIL_DIR = DATA_DIR / "mail"
if env.str("EMAIL_URL", default=""):
    globals().update(env.email_url("EMAIL_URL"))
else:
    EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    EMAIL_FILE_PATH = str(MAIL_DIR)
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=10)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Newsroom <newsroom@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# Comment threads. Site-wide rules; sections may override who may comment, moderation
# and auto-close.
COMMENTS_DEFAULT_MODERATION = env.str("COMMENTS_DEFAULT_MODERATION", default="post")  # or "pre"
# "anyone" (guests too), "signed-in" (readers with an account) or "nobody". Reports are
# taken from anyone whatever this says.
COMMENTS_WHO_MAY_COMMENT = env.str("COMMENTS_WHO_MAY_COMMENT", default="anyone")
if COMMENTS_WHO_MAY_COMMENT not in ("anyone", "signed-in", "nobody"):
    raise ImproperlyConfigured(
        "COMMENTS_WHO_MAY_COMMENT must be one of: anyone, signed-in, nobody."
    )
COMMENTS_CLOSE_AFTER_DAYS = env.int("COMMENTS_CLOSE_AFTER_DAYS", default=None)  # unset: never
COMMENTS_PER_PAGE = env.int("COMMENTS_PER_PAGE", default=50)  # top-level comments per page
COMMENTS_REPORT_THRESHOLD = env.int("COMMENTS_REPORT_THRESHOLD", default=3)
# Trust. In sections that hold new commenters, a reader's comments wait until moderators
# have approved this many of them.
COMMENTS_NEW_COMMENTER_APPROVALS = env.int("COMMENTS_NEW_COMMENTER_APPROVALS", default=3)
# A reader is pre-moderated while, of their comments of the last COMMENTS_REJECTION_DAYS
# that moderators decided on, at least COMMENTS_REJECTION_MIN and this share were removed.
COMMENTS_REJECTION_RATE = env.float("COMMENTS_REJECTION_RATE", default=0.5)
COMMENTS_REJECTION_MIN = env.int("COMMENTS_REJECTION_MIN", default=3)
COMMENTS_REJECTION_DAYS = env.int("COMMENTS_REJECTION_DAYS", default=30)
# A report counts this much (instead of 1) from a reader whose reports moderators have
# rejected (approved the comment) at least COMMENTS_REJECTION_MIN times, and more often
# than they upheld them.
COMMENTS_DOUBTFUL_REPORT_WEIGHT = env.float("COMMENTS_DOUBTFUL_REPORT_WEIGHT", default=0.5)
COMMENTS_MAX_LINKS = env.int("COMMENTS_MAX_LINKS", default=2)  # more are held for review
# Comments per network (an IPv4 address, an IPv6 /64: one household or one machine) ...
COMMENTS_FLOOD_LIMIT = env.int("COMMENTS_FLOOD_LIMIT", default=5)
COMMENTS_FLOOD_WINDOW = env.int("COMMENTS_FLOOD_WINDOW", default=600)  # ... in this many seconds
COMMENTS_DUPLICATE_WINDOW = env.int("COMMENTS_DUPLICATE_WINDOW", default=600)
# A signed-in reader may change the text of their comment this long after posting it.
COMMENTS_EDIT_MINUTES = env.int("COMMENTS_EDIT_MINUTES", default=15)
# ... and at most this many times: each edit renews the story's cached page.
COMMENTS_MAX_EDITS = env.int("COMMENTS_MAX_EDITS", default=5)
# Surge mode (comments.surge): a story whose last hour brought more comments (not removed)
# than this, or whose moderators rejected at least this share of the last hour's decided
# comments (once COMMENTS_SURGE_MIN_DECISIONS were decided, and the rejected ones came from
# at least COMMENTS_SURGE_MIN_REJECTED_NETWORKS networks, so one reader cannot start it),
# switches to slow mode (one comment per reader per COMMENTS_SURGE_SLOW_MINUTES) and holds
# first-time commenters; it ends when both fall below COMMENTS_SURGE_END_SHARE of their
# thresholds. Sections override the thresholds.
COMMENTS_SURGE_COMMENTS_PER_HOUR = env.int("COMMENTS_SURGE_COMMENTS_PER_HOUR", default=300)
COMMENTS_SURGE_REJECTION_PERCENT = env.int("COMMENTS_SURGE_REJECTION_PERCENT", default=40)
COMMENTS_SURGE_MIN_DECISIONS = env.int("COMMENTS_SURGE_MIN_DECISIONS", default=10)
COMMENTS_SURGE_MIN_REJECTED_NETWORKS = env.int("COMMENTS_SURGE_MIN_REJECTED_NETWORKS", default=5)
COMMENTS_SURGE_SLOW_MINUTES = env.int("COMMENTS_SURGE_SLOW_MINUTES", default=5)
COMMENTS_SURGE_END_SHARE = env.float("COMMENTS_SURGE_END_SHARE", default=0.5)
COMMENTS_FORM_MIN_SECONDS = env.int("COMMENTS_FORM_MIN_SECONDS", default=3)
COMMENTS_FORM_MAX_SECONDS = env.int("COMMENTS_FORM_MAX_SECONDS", default=2 * 60 * 60)
# The reader cookie: a signed random identity the site issues on a reader's first comment
# or report; reports count once per identity, and a moderator's approval of a comment
# makes its reader's later comments skip pre-moderation.
COMMENTS_READER_COOKIE = env.str("COMMENTS_READER_COOKIE", default="reader")
COMMENTS_READER_COOKIE_DAYS = env.int("COMMENTS_READER_COOKIE_DAYS", default=365)
# Readers' addresses (of comments and reports) are kept this long for abuse checks, then
# erased by the worker's daily job (or `manage.py erase_old_addresses`); the counts stay.
COMMENTS_IP_RETENTION_DAYS = env.int("COMMENTS_IP_RETENTION_DAYS", default=90)
if COMMENTS_IP_RETENTION_DAYS < 0:
    raise ImproperlyConfigured("COMMENTS_IP_RETENTION_DAYS must be 0 or more.")

# Reply notifications: at most this many mails to one reader in any hour; replies past
# it wait for the daily digest (never dropped).
NOTIFY_MAX_PER_HOUR = env.int("NOTIFY_MAX_PER_HOUR", default=10)

# Searches one client network (an IPv6 /64, an IPv4 address) may have rendered in each
# window of this many seconds; repeats answered from the page cache do not count.
SEARCH_RATE_LIMIT = env.int("SEARCH_RATE_LIMIT", default=30)
SEARCH_RATE_WINDOW = env.int("SEARCH_RATE_WINDOW", default=60)
# The moderators' comment search (moderation.history) is cancelled after this many
# milliseconds and the moderator asked for a narrower one.
MODERATION_SEARCH_TIMEOUT_MS = env.int("MODERATION_SEARCH_TIMEOUT_MS", default=2000)
if MODERATION_SEARCH_TIMEOUT_MS < 1:
    raise ImproperlyConfigured("MODERATION_SEARCH_TIMEOUT_MS must be 1 or more.")

# Where a page that needs a signed-in reader sends a visitor (staff sign in at the admin).
LOGIN_URL = "readers:sign-in"

# Readers sign in with a link sent by mail (readers/): it works once, within this many
# minutes. Asking for links is limited per client network (an IPv6 /64, an IPv4 address):
# this many in each window of so many seconds; more get a 429 page.
READERS_SIGN_IN_LINK_MINUTES = env.int("READERS_SIGN_IN_LINK_MINUTES", default=30)
READERS_SIGN_IN_RATE_LIMIT = env.int("READERS_SIGN_IN_RATE_LIMIT", default=5)
READERS_SIGN_IN_RATE_WINDOW = env.int("READERS_SIGN_IN_RATE_WINDOW", default=600)
# Links sent to one address in a day, whoever asks and from wherever.
READERS_SIGN_IN_LINKS_PER_DAY = env.int("READERS_SIGN_IN_LINKS_PER_DAY", default=10)
