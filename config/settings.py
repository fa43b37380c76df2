"""Homeroom settings.

Everything that differs between a laptop and production comes from environment
variables. The defaults are the embedded run mode: SQLite (WAL) for data, a
Celery broker on SQLite, email printed to the console. A malformed value stops
start-up with a message that names the variable.
"""

import os
from importlib.util import find_spec
from pathlib import Path
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
DATA_DIR = Path(os.environ.get("HOMEROOM_DATA_DIR", BASE_DIR / "var"))

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def env_str(name, default=""):
    return os.environ.get(name, default).strip()


def env_bool(name, default):
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name} must be one of true/false/1/0/yes/no/on/off, not {raw!r}.")


def env_int(name, default, minimum=None, maximum=None):
    raw = os.environ.get(name)
    if raw is None or not raw.strip():
        return default
    try:
        value = int(raw.strip())
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {raw!r}.") from None
    if (minimum is not None and value < minimum) or (maximum is not None and value > maximum):
        raise ImproperlyConfigured(f"{name} must be between {minimum} and {maximum}, not {value}.")
    return value


def env_list(name, default):
    raw = os.environ.get(name)
    if raw is None:
        return list(default)
    return [item.strip() for item in raw.split(",") if item.strip()]


def env_url(name, default, schemes):
    raw = env_str(name, default)
    parts = urlsplit(raw)
    if parts.scheme not in schemes or not (parts.netloc or parts.path):
        allowed = ", ".join(sorted(schemes))
        raise ImproperlyConfigured(
            f"{name} must be a URL starting with one of {allowed}; got {raw!r}."
        )
    return raw


DEBUG = env_bool("DEBUG", False)
SECRET_KEY = env_str("SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")
    SECRET_KEY = "insecure-development-key-only-for-debug-mode"
# Former keys, newest first: what they signed or sealed stays readable after a rotation.
SECRET_KEY_FALLBACKS = env_list("SECRET_KEY_FALLBACKS", [])
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"] if DEBUG else [])
SITE_URL = env_url("SITE_URL", "http://localhost:8000", {"http", "https"}).rstrip("/")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [SITE_URL])

try:
    TIME_ZONE = env_str("TIME_ZONE", "UTC")
    ZoneInfo(TIME_ZONE)
except (ZoneInfoNotFoundError, ValueError):
    raise ImproperlyConfigured(
        f"TIME_ZONE must be an IANA time zone name, not {TIME_ZONE!r}."
    ) from None

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "csp",
    "allauth",
    "allauth.account",
    "cohorts",
    "notifications",
    "curriculum",
    "assignments",
    "discussions",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # The live session's poll: answered here, without sessions, users or CSRF.
    "discussions.middleware.LivePollMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Compresses what the views below return, for same-origin requests only (BREACH).
    "config.middleware.SameOriginGZipMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "config.middleware.SecurityHeadersMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

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
                "cohorts.context_processors.navigation",
            ],
            "libraries": {"assets": "config.assets"},
        },
    },
]

# --- Data -----------------------------------------------------------------

DEFAULT_SQLITE = f"sqlite:///{DATA_DIR / 'homeroom.sqlite3'}"
try:
    _db = dj_database_url.parse(env_str("DATABASE_URL", DEFAULT_SQLITE), conn_max_age=60)
except (ValueError, KeyError) as exc:
    raise ImproperlyConfigured(f"DATABASE_URL is not a database URL we understand: {exc}") from None
if _db["ENGINE"] == "django.db.backends.sqlite3":
    # Connections are kept (CONN_MAX_AGE from the URL, 60 s), as on PostgreSQL: opening one
    # runs the PRAGMAs below, and closing the last one after a write checkpoints the WAL into
    # the database file; together about 1.3 ms of CPU on every request.
    _db["OPTIONS"] = {
        # WAL lets the web process read while a worker writes; IMMEDIATE takes the
        # write lock at BEGIN so concurrent writers queue instead of failing.
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
elif _db["ENGINE"] == "django.db.backends.postgresql":
    _db["CONN_HEALTH_CHECKS"] = True
    # Parameters travel apart from the SQL, and a statement run five times on a connection
    # is prepared: PostgreSQL then skips parsing and planning it, about a third of the
    # server's work on the busiest requests. A pooler that cannot keep prepared statements
    # (PgBouncer before 1.21 in transaction mode) needs DATABASE_PREPARED_STATEMENTS=0.
    if env_bool("DATABASE_PREPARED_STATEMENTS", True):
        _db.setdefault("OPTIONS", {}).update(server_side_binding=True, prepare_threshold=5)
        # Django's backend, plus: a statement whose plan a migration made stale is prepared
        # again instead of failing until the connection closes (config/postgresql/base.py).
        _db["ENGINE"] = "config.postgresql"
else:
    raise ImproperlyConfigured("DATABASE_URL must point at SQLite or PostgreSQL.")
DATABASES = {"default": _db}

# The live session's followers over server-sent events (discussions/live_stream.py): each
# open stream holds a thread of a threaded server (gunicorn gthread), so a web process keeps
# at most this many; beyond it pages poll instead. A stream ends after LIVE_STREAM_SECONDS
# (the browser reconnects, and the address is checked again) and says it is alive every
# LIVE_STREAM_KEEPALIVE_SECONDS, which is also how soon a closed tab is noticed.
LIVE_STREAMS_PER_PROCESS = env_int("LIVE_STREAMS_PER_PROCESS", 100, 0, 10_000)
LIVE_STREAM_SECONDS = 300
LIVE_STREAM_KEEPALIVE_SECONDS = 15
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "cohorts.User"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]

# --- Cache ------------------------------------------------------------------

# Shared by every web process, so that sign-in rate limits count across all of them and
# survive restarts: Redis when CACHE_URL names one (production), else a table in the
# database (the embedded default; `migrate` creates it).
CACHE_URL = env_str("CACHE_URL")
if CACHE_URL:
    if urlsplit(CACHE_URL).scheme not in {"redis", "rediss"}:
        raise ImproperlyConfigured(f"CACHE_URL must be a redis:// URL, not {CACHE_URL!r}.")
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": CACHE_URL,
            "KEY_PREFIX": "homeroom",
            # Every network call has a deadline.
            "OPTIONS": {"socket_connect_timeout": 2, "socket_timeout": 2},
        }
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": "homeroom_cache",
            # Two entries per week for each part the week page caches (cohorts.week_cache),
            # beside rate limits: the default 300 would cull them in a larger install.
            "OPTIONS": {"MAX_ENTRIES": 20_000},
        }
    }

# --- Sign-in (django-allauth) ----------------------------------------------

ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_LOGIN_METHODS = {"email"}
# No password needed to sign up: the emailed code proves the address and signs the person
# in; a password is optional, now or later (Account → Password).
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1"]
ACCOUNT_SIGNUP_FORM_CLASS = "cohorts.forms.SignupDetailsForm"
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_EMAIL_VERIFICATION_BY_CODE_ENABLED = True
ACCOUNT_LOGIN_BY_CODE_ENABLED = True
ACCOUNT_PREVENT_ENUMERATION = True
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
ACCOUNT_EMAIL_SUBJECT_PREFIX = "[Homeroom] "
ACCOUNT_ADAPTER = "notifications.accounts.AccountAdapter"
ACCOUNT_DEFAULT_HTTP_PROTOCOL = urlsplit(SITE_URL).scheme
# allauth's rate limits stay on (its defaults); named here so nobody wonders.
ACCOUNT_RATE_LIMITS = {
    "login": "30/m/ip",
    "login_failed": "10/m/ip,5/5m/key",
    "signup": "20/m/ip",
    "confirm_email": "1/3m/key",
    "reset_password": "20/m/ip,5/m/key",
    "reset_password_from_key": "20/m/ip",
    "request_login_code": "20/m/ip,3/m/key",
    # Opening /join/<code>/ with a code that does not exist (guessing codes).
    "join_link": "10/m/ip",
}
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "home"
ACCOUNT_LOGOUT_REDIRECT_URL = "account_login"

# --- Company single sign-on (OpenID Connect) --------------------------------

# Set OIDC_ISSUER_URL, OIDC_CLIENT_ID and OIDC_CLIENT_SECRET to offer "Sign in with …" on
# the sign-in and sign-up pages; the provider must send back to
# SITE_URL/accounts/oidc/company/login/callback/. An address from the provider counts as
# confirmed only when the provider marks it verified (email_verified); only then does it
# sign in to an existing account with that address.
OIDC_ISSUER_URL = env_str("OIDC_ISSUER_URL").rstrip("/")
OIDC_CLIENT_ID = env_str("OIDC_CLIENT_ID")
OIDC_CLIENT_SECRET = env_str("OIDC_CLIENT_SECRET")
OIDC_BUTTON_LABEL = env_str("OIDC_BUTTON_LABEL", "Company sign-in") or "Company sign-in"
OIDC_SSO_ONLY = env_bool("OIDC_SSO_ONLY", False)
SOCIALACCOUNT_PROVIDERS: dict = {"openid_connect": {"APPS": []}}
# allauth's provider modules import these when loaded: without them, no sign-on at all.
_SSO_MISSING = [module for module in ("requests", "jwt", "cryptography") if not find_spec(module)]
if not _SSO_MISSING:
    INSTALLED_APPS += [
        "allauth.socialaccount",
        "allauth.socialaccount.providers.openid_connect",
    ]
if OIDC_ISSUER_URL:
    env_url("OIDC_ISSUER_URL", "", {"http", "https"})
    if not (OIDC_CLIENT_ID and OIDC_CLIENT_SECRET):
        raise ImproperlyConfigured(
            "OIDC_ISSUER_URL is set: set OIDC_CLIENT_ID and OIDC_CLIENT_SECRET too."
        )
    if _SSO_MISSING:
        raise ImproperlyConfigured(
            "Single sign-on needs django-allauth's socialaccount extras (requests, PyJWT, "
            f"cryptography); missing: {', '.join(_SSO_MISSING)}."
        )
    SOCIALACCOUNT_PROVIDERS["openid_connect"]["APPS"].append(
        {
            "provider_id": "company",
            "name": OIDC_BUTTON_LABEL,
            "client_id": OIDC_CLIENT_ID,
            "secret": OIDC_CLIENT_SECRET,
            "settings": {"server_url": OIDC_ISSUER_URL, "oauth_pkce_enabled": True},
        }
    )
elif OIDC_SSO_ONLY:
    raise ImproperlyConfigured(
        "OIDC_SSO_ONLY needs OIDC_ISSUER_URL (and the client id and secret)."
    )
SOCIALACCOUNT_ADAPTER = "cohorts.sso.CompanySignOnAdapter"
# Passwords, codes and sign-up forms are hidden: everyone signs in through the provider.
SOCIALACCOUNT_ONLY = OIDC_SSO_ONLY
if OIDC_SSO_ONLY:
    ACCOUNT_LOGIN_BY_CODE_ENABLED = False
# A verified address from the provider signs in to the account that has it (allauth never
# matches unverified ones) and links the two for next time.
SOCIALACCOUNT_EMAIL_AUTHENTICATION = True
SOCIALACCOUNT_EMAIL_AUTHENTICATION_AUTO_CONNECT = True
SOCIALACCOUNT_AUTO_SIGNUP = True
SOCIALACCOUNT_REQUESTS_TIMEOUT = 10  # seconds, per request to the provider
SOCIALACCOUNT_STORE_TOKENS = False

# --- Email -----------------------------------------------------------------

DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "Homeroom <homeroom@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
EMAIL_HOST = env_str("EMAIL_HOST")
if EMAIL_HOST:
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_PORT = env_int("EMAIL_PORT", 587, 1, 65535)
    EMAIL_HOST_USER = env_str("EMAIL_HOST_USER")
    EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD")
    EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", EMAIL_PORT == 587)
    EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", EMAIL_PORT == 465)
    if EMAIL_USE_TLS and EMAIL_USE_SSL:
        raise ImproperlyConfigured("EMAIL_USE_TLS and EMAIL_USE_SSL cannot both be on.")
    # Seconds per read or write on the connection (a socket timeout, capped by the deadline)
    EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 20, 1, 600)
else:
    EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
# ...and in all, per message, from connecting to the server's final answer: a server that
# trickles its answers is cut off then (notifications/channels/email.py).
EMAIL_SEND_DEADLINE_SECONDS = env_int("EMAIL_SEND_DEADLINE_SECONDS", 60, 1, 300)

# --- Celery ----------------------------------------------------------------

CELERY_BROKER_URL = env_url(
    "CELERY_BROKER_URL",
    f"sqla+sqlite:///{DATA_DIR / 'celery-broker.sqlite3'}",
    {"redis", "rediss", "sqla+sqlite", "sqla+postgresql", "memory"},
)
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", False)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Beat keeps its schedule in memory: its one entry (dispatch every few minutes) needs no
# memory of past runs, since dispatch itself records what went out. (The default keeps a
# shelve file, which on Python 3.13 is SQLite and fails now and then with "locking protocol".)
CELERY_BEAT_SCHEDULER = "celery.beat:Scheduler"
CELERY_TIMEZONE = "UTC"
# What a task prints (the console email backend's emails in `make run`) goes to the terminal
# as it is, not re-logged line by line as warnings.
CELERY_WORKER_REDIRECT_STDOUTS = False
# Only needed when several apps share one broker; tests use it to keep their own queue.
CELERY_TASK_DEFAULT_QUEUE = env_str("CELERY_TASK_DEFAULT_QUEUE", "celery") or "celery"
# Emails and Slack messages each have their own queue, so a hanging mail server never delays
# a Slack digest (and the reverse); dispatch stays on the default queue, off the send queues.
# Production runs a worker per queue (README, "Production").
CELERY_EMAIL_QUEUE = env_str("CELERY_EMAIL_QUEUE", "email") or "email"
CELERY_SLACK_QUEUE = env_str("CELERY_SLACK_QUEUE", "slack") or "slack"
if len({CELERY_TASK_DEFAULT_QUEUE, CELERY_EMAIL_QUEUE, CELERY_SLACK_QUEUE}) != 3:
    raise ImproperlyConfigured(
        "CELERY_TASK_DEFAULT_QUEUE, CELERY_EMAIL_QUEUE and CELERY_SLACK_QUEUE must differ."
    )
CELERY_TASK_ROUTES = {
    "notifications.tasks.send_emails": {"queue": CELERY_EMAIL_QUEUE},
    "notifications.tasks.send_delivery": {"queue": CELERY_EMAIL_QUEUE},
    "cohorts.tasks.send_delivery": {"queue": CELERY_EMAIL_QUEUE},
    "notifications.tasks.send_slack": {"queue": CELERY_SLACK_QUEUE},
}
# Dispatch (homework reminders, Slack digests) works out what is due every few minutes.
DISPATCH_INTERVAL_SECONDS = env_int("DISPATCH_INTERVAL_SECONDS", 300, 1, 3600)
CELERY_BEAT_SCHEDULE = {
    "dispatch": {
        "task": "notifications.tasks.dispatch_due",
        "schedule": DISPATCH_INTERVAL_SECONDS,
        # Runs piled up while no worker was listening are dropped: the next one catches up.
        "options": {"expires": DISPATCH_INTERVAL_SECONDS},
    },
}

# --- Slack -----------------------------------------------------------------

# Organizers may only paste webhook URLs that start with one of these (no internal URLs).
SLACK_WEBHOOK_URL_PREFIXES = env_list("SLACK_WEBHOOK_URL_PREFIXES", ["https://hooks.slack.com/"])
for _prefix in SLACK_WEBHOOK_URL_PREFIXES:
    if urlsplit(_prefix).scheme not in {"http", "https"} or not urlsplit(_prefix).netloc:
        raise ImproperlyConfigured(
            f"SLACK_WEBHOOK_URL_PREFIXES must list URL prefixes such as "
            f"https://hooks.slack.com/, not {_prefix!r}."
        )
# In all, per message: connecting, sending and Slack's whole answer (a trickle is cut off).
SLACK_TIMEOUT_SECONDS = env_int("SLACK_TIMEOUT_SECONDS", 10, 1, 60)

# A send still in progress after this long has no sender any more (the worker was killed):
# dispatch marks it "unknown" and never sends it again by itself. Longer than any deadline.
OUTBOX_SENDING_STALE_SECONDS = env_int("OUTBOX_SENDING_STALE_SECONDS", 300, 60, 86400)
if max(EMAIL_SEND_DEADLINE_SECONDS, SLACK_TIMEOUT_SECONDS) >= OUTBOX_SENDING_STALE_SECONDS:
    raise ImproperlyConfigured(
        "OUTBOX_SENDING_STALE_SECONDS must be longer than EMAIL_SEND_DEADLINE_SECONDS and "
        "SLACK_TIMEOUT_SECONDS."
    )

# --- HTTP, static, security --------------------------------------------------

LANGUAGE_CODE = "en"
# One way to write dates and times everywhere: "Thu 3 Sep 2026, 16:00" (config/formats/en).
FORMAT_MODULE_PATH = ["config.formats"]
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = DATA_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
# With DEBUG off, collectstatic joins the screen stylesheets (in this cascade order) into one
# file every page loads, hashed, compressed and cached for a year (config/assets.py).
SCREEN_STYLESHEETS = [
    "css/homeroom.css",
    "css/assignments.css",
    "css/discussions.css",
    "css/curriculum.css",
    "css/notifications.css",
]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "config.assets.BundledStaticFilesStorage"
    },
}

SECURE_HTTPS = SITE_URL.startswith("https://")
SESSION_COOKIE_SECURE = SECURE_HTTPS
CSRF_COOKIE_SECURE = SECURE_HTTPS
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", SECURE_HTTPS)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000 if SECURE_HTTPS else 0, 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = SECURE_HSTS_SECONDS > 0
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)
BEHIND_TLS_PROXY = env_bool("BEHIND_TLS_PROXY", False)
if BEHIND_TLS_PROXY:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# How many proxies in front of Homeroom append to X-Forwarded-For: sign-in rate limits
# count per client address, which is that many entries from the right (0: the socket's
# peer address). One behind the TLS proxy, unless said otherwise.
ALLAUTH_TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 1 if BEHIND_TLS_PROXY else 0, 0, 10)
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
# Preloading HSTS is a commitment for the whole domain and its subdomains, so it stays the
# operator's opt-in (SECURE_HSTS_PRELOAD=1); until then, `check --deploy` need not nag about it.
SILENCED_SYSTEM_CHECKS = [] if SECURE_HSTS_PRELOAD else ["security.W021"]

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        # No picture from another site: user Markdown shows them as links (cohorts.markdown).
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
        "base-uri": ["'self'"],
        "object-src": ["'none'"],
    },
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    # The development server's line per static file would bury what matters in `make run`.
    "filters": {"no_static_requests": {"()": "config.logging.SkipStaticRequests"}},
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "loggers": {"django.server": {"filters": ["no_static_requests"]}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO").upper()},
}

DATA_DIR.mkdir(parents=True, exist_ok=True)
