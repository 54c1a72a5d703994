"""Countersign settings, driven by the environment (see README "Configuration"); reading it
lives in config/environment.py, the database in config/database.py.

`DJANGO_DEBUG` is the switch: with it on, every variable has a development default; with it
off (production, the default), the secrets must be given or the process refuses to start.
"""

import hashlib
from pathlib import Path
from urllib.parse import urlsplit

import django_stubs_ext
from django.core.exceptions import ImproperlyConfigured

from config import content_security
from config.database import database_from_env
from config.environment import (
    BASE_DIR,
    DEBUG,
    check_fernet_keys,
    development_field_key,
    env,
    redis_database,
    required_in_production,
)
from ops.logs import logging_config
from ops.sentry import init_sentry

# Model admins, forms, fields and querysets take type arguments at run time (mypy needs them).
django_stubs_ext.monkeypatch()

# --- Core -------------------------------------------------------------------------------
SECRET_KEY = (
    required_in_production(
        "DJANGO_SECRET_KEY",
        'make one with: python -c "import secrets; print(secrets.token_urlsafe(50))".',
    )
    or "django-insecure-dev-" + hashlib.sha256(str(BASE_DIR).encode()).hexdigest()
)

ALLOWED_HOSTS: list[str] = env.list(
    "ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]", "testserver"] if DEBUG else []
)
SITE_URL: str = env.str("SITE_URL", default="http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_htmx",
    "csp",
    "axes",
    "accounts",  # after axes: it re-registers axes' admin
    "connections",
    "envelopes",
    "ops",
]

MIDDLEWARE = [
    "ops.middleware.ProbeMiddleware",  # /healthz, /readyz: before host and HTTPS checks
    "common.request_id.RequestIdMiddleware",
    "common.query_guard.HostileQueryMiddleware",  # NUL, out-of-range date filters: 400
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # Last but one, as django-axes asks: it turns a locked-out login into its lockout page.
    "axes.middleware.AxesMiddleware",
    # Innermost, as ops placed it: it counts the Connect webhook's own refusals (it only
    # reads responses, so it changes nothing axes sees).
    "ops.middleware.ConnectRejectionMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

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
            ],
        },
    },
]

DATABASES = {"default": database_from_env()}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# --- Login throttling (django-axes) ---------------------------------------------------------
# Too many wrong passwords lock the account, and separately the address they came from, for
# a while; an administrator unlocks earlier by deleting the attempts in the admin (Axes →
# Access attempts) or with `manage.py axes_reset_username <name>` / `axes_reset_ip <ip>`.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = env.int("LOGIN_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = env.float("LOGIN_LOCKOUT_MINUTES", default=15.0) / 60  # hours
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]  # each counted on its own
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_VERBOSE = False
# Behind proxies, the client address is the TRUSTED_PROXY_COUNT-th X-Forwarded-For entry from
# the right (what the nearest proxy saw); see accounts/login_throttle.py for why not
# django-ipware.
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)
AXES_CLIENT_IP_CALLABLE = "accounts.login_throttle.client_ip"
AXES_USERNAME_CALLABLE = "accounts.login_throttle.attempted_username"

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "media/"
MEDIA_ROOT = env.path("MEDIA_ROOT", default=BASE_DIR / "media")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}

EMAIL_CONFIG = env.email_url("EMAIL_URL", default="consolemail://")
vars().update(EMAIL_CONFIG)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Countersign <countersign@localhost>")

# --- Encryption at rest -----------------------------------------------------------------
# Newest key first; older keys still decrypt until `manage.py rotate_encryption_key` has run.
FIELD_ENCRYPTION_KEYS: list[str] = env.list("FIELD_ENCRYPTION_KEYS", default=[])
FIELD_ENCRYPTION_KEYS_DERIVED = not FIELD_ENCRYPTION_KEYS
check_fernet_keys(FIELD_ENCRYPTION_KEYS)
if FIELD_ENCRYPTION_KEYS_DERIVED:
    required_in_production(
        "FIELD_ENCRYPTION_KEYS",
        "it encrypts private keys and webhook secrets at rest. Make one with: python -c "
        '"from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())".',
    )
    # Development only (a system check warns): stable across restarts, useless elsewhere.
    FIELD_ENCRYPTION_KEYS = [development_field_key(SECRET_KEY)]

# --- Cache, Celery ----------------------------------------------------------------------
# The cache and the Celery broker live in separate Redis databases, so clearing the cache can
# never delete queued tasks: REDIS_URL's database (0 if none) holds the cache, the next one
# the broker (the one before, for database 15). REDIS_CACHE_URL / CELERY_BROKER_URL override either.
REDIS_URL: str = env.str("REDIS_URL", default="")

REDIS_CACHE_URL: str = env.str(
    "REDIS_CACHE_URL", default=redis_database(REDIS_URL, 0) if REDIS_URL else ""
)
if REDIS_CACHE_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_CACHE_URL,
            "KEY_PREFIX": "countersign",
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

CELERY_BROKER_URL: str = env.str(
    "CELERY_BROKER_URL", default=redis_database(REDIS_URL, 1) if REDIS_URL else "memory://"
)
CELERY_RESULT_BACKEND = None
CELERY_TASK_ALWAYS_EAGER = CELERY_BROKER_URL == "memory://"  # no broker: run tasks inline
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_TIME_LIMIT = 5 * 60
CELERY_TASK_SOFT_TIME_LIMIT = 60
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_WORKER_CONCURRENCY = env.int("CELERY_WORKER_CONCURRENCY", default=0) or None  # None: CPUs
# Exactly one beat schedules: the others wait on a Redis lock (ops/beat.py).
CELERY_BEAT_SCHEDULER = "ops.beat:SingleBeatScheduler"
CELERY_BEAT_SCHEDULE_FILENAME: str = env.str(
    "CELERY_BEAT_SCHEDULE_FILENAME", default=str(BASE_DIR / "celerybeat-schedule")
)
# Heartbeats (ops/heartbeat.py): beat writes one each tick, each worker its own this often
# (ops/worker_heartbeat.py); /readyz fails when the worker's is older than
# OPS_HEARTBEAT_STALE_SECONDS (beat's age is shown on the status page and in the metrics).
OPS_HEARTBEAT_SECONDS = env.float("OPS_HEARTBEAT_SECONDS", default=15.0)
OPS_HEARTBEAT_STALE_SECONDS = env.float(
    "OPS_HEARTBEAT_STALE_SECONDS", default=3 * OPS_HEARTBEAT_SECONDS
)
# A beat that dies holds the schedule this long before a standby beat takes over.
OPS_BEAT_LOCK_SECONDS = env.float("OPS_BEAT_LOCK_SECONDS", default=4 * OPS_HEARTBEAT_SECONDS)
CELERY_BEAT_MAX_LOOP_INTERVAL = OPS_HEARTBEAT_SECONDS
ENVELOPES_SWEEP_SECONDS = env.float("ENVELOPES_SWEEP_SECONDS", default=30.0)
# How often beat asks which accounts are due a listing (each is listed far less often).
ENVELOPES_POLL_TICK_SECONDS = env.float("ENVELOPES_POLL_TICK_SECONDS", default=60.0)
CELERY_BEAT_SCHEDULE: dict[str, dict[str, object]] = {
    # Decides each minute which accounts are due a listing (at most every
    # ENVELOPES_POLL_INTERVAL_MINUTES); the same listing tracks statuses and reconciles:
    # links envelopes rows lost track of and voids proven duplicates
    # (envelopes.sending.reconciliation).
    "poll-docusign": {
        "task": "envelopes.tasks.poll_due_connections",
        "schedule": ENVELOPES_POLL_TICK_SECONDS,
    },
    # Restarts lost work: expired send claims, lost tasks, undone voids, unapplied Connect.
    "sweep-stuck-work": {"task": "envelopes.tasks.sweep", "schedule": ENVELOPES_SWEEP_SECONDS},
}

# --- DocuSign ---------------------------------------------------------------------------
DOCUSIGN_SIMULATOR = env.bool("DOCUSIGN_SIMULATOR", default=False)
DOCUSIGN_DEMO_AUTH_SERVER: str = env.str(
    "DOCUSIGN_DEMO_AUTH_SERVER",
    default=f"{SITE_URL}/simulator" if DOCUSIGN_SIMULATOR else "https://account-d.docusign.com",
).rstrip("/")
DOCUSIGN_PRODUCTION_AUTH_SERVER: str = env.str(
    "DOCUSIGN_PRODUCTION_AUTH_SERVER", default="https://account.docusign.com"
).rstrip("/")
DOCUSIGN_ALLOWED_API_HOSTS: list[str] = env.list(
    "DOCUSIGN_ALLOWED_API_HOSTS", default=[".docusign.net", ".docusign.com"]
)
# The simulator is for development: with DJANGO_DEBUG off, every request to it is refused
# (a system check also stops management commands; see simulator/guard.py).
SIMULATOR_ALLOWED = DEBUG
if DOCUSIGN_SIMULATOR:
    INSTALLED_APPS.append("simulator")
    MIDDLEWARE.insert(1, "simulator.guard.SimulatorGuardMiddleware")
    # The simulator answers on this site's own host.
    DOCUSIGN_ALLOWED_API_HOSTS += [urlsplit(SITE_URL).hostname or "", "127.0.0.1", "localhost"]
# Simulator only: remote recipients sign by themselves after this many seconds (0: never).
SIMULATOR_AUTO_SIGN_SECONDS = env.int("SIMULATOR_AUTO_SIGN_SECONDS", default=0)
# Bulk send: copies start becoming envelopes this long after a send, at this rate.
SIMULATOR_BULK_START_SECONDS = env.float("SIMULATOR_BULK_START_SECONDS", default=1.0)
SIMULATOR_BULK_COPIES_PER_SECOND = env.float("SIMULATOR_BULK_COPIES_PER_SECOND", default=100.0)
SIMULATOR_HOURLY_LIMIT = env.int("SIMULATOR_HOURLY_LIMIT", default=3000)
SIMULATOR_BURST_LIMIT = env.int("SIMULATOR_BURST_LIMIT", default=200)  # per 30 s (demo)
# DocuSign's official eSignature OpenAPI spec: the tests check the simulator against it (the
# simulator itself runs on the compact schema derived from it, committed in simulator/).
_SPEC = Path("shared/docusign/esignature.rest.swagger-v2.1.json")
DOCUSIGN_SPEC_PATH = Path(
    env.str(
        "DOCUSIGN_SPEC_PATH",
        # ../shared beside the repository, or the nearest one above (a git worktree's).
        default=str(
            next(
                (p / _SPEC for p in BASE_DIR.parents if (p / _SPEC).exists()),
                BASE_DIR.parent / _SPEC,
            )
        ),
    )
)
# Plain http is only ever accepted for loopback hosts, and only in development.
DOCUSIGN_ALLOW_HTTP_LOOPBACK = DEBUG
# Scopes asked for besides "signature impersonation", which are always asked for.
DOCUSIGN_EXTRA_SCOPES: list[str] = env.list("DOCUSIGN_EXTRA_SCOPES", default=[])
DOCUSIGN_TOKEN_REFRESH_MARGIN = env.int("DOCUSIGN_TOKEN_REFRESH_MARGIN", default=600)  # seconds
CONSENT_LINK_DAYS = env.int("CONSENT_LINK_DAYS", default=7)  # a consent link's lifetime
DOCUSIGN_HOURLY_LIMIT = env.int("DOCUSIGN_HOURLY_LIMIT", default=3000)  # per account
# Calls per 30 s across all our processes: DocuSign allows 200 (demo) / 500 (production).
DOCUSIGN_BURST_LIMIT = env.int("DOCUSIGN_BURST_LIMIT", default=180)
# Share of both budgets kept for a person waiting (signing, downloads) over background work.
DOCUSIGN_INTERACTIVE_RESERVE = env.float("DOCUSIGN_INTERACTIVE_RESERVE", default=0.1)
# How long after a create DocuSign's search (listStatusChanges) may still not show the envelope.
DOCUSIGN_SEARCH_LAG_SECONDS = env.float("DOCUSIGN_SEARCH_LAG_SECONDS", default=60.0)
DOCUSIGN_CONNECT_TIMEOUT = env.float("DOCUSIGN_CONNECT_TIMEOUT", default=5.0)
DOCUSIGN_READ_TIMEOUT = env.float("DOCUSIGN_READ_TIMEOUT", default=30.0)
# TLS trust for DocuSign calls: a CA bundle path; empty for certifi's bundle.
DOCUSIGN_CA_BUNDLE: str = env.str("DOCUSIGN_CA_BUNDLE", default="")

# --- Envelopes --------------------------------------------------------------------------
ENVELOPES_MAX_UPLOADS = env.int("ENVELOPES_MAX_UPLOADS", default=10)
# DocuSign takes up to 32 MB a file through the API (and 35 MB a request, base64 included).
ENVELOPES_MAX_UPLOAD_BYTES = env.int("ENVELOPES_MAX_UPLOAD_BYTES", default=20 * 1024 * 1024)

# Connect messages larger than this are refused. A completed message with documents holds
# each signed document and the certificate in base64: an envelope we send is at most 35 MB
# per request (DocuSign's limit, base64 included), so 64 MiB leaves room for the signatures
# and the certificate. Messages over 1 MiB are spooled to disk, never held in memory whole.
ENVELOPES_CONNECT_MAX_BYTES = env.int("ENVELOPES_CONNECT_MAX_BYTES", default=64 * 1024 * 1024)
# Messages on a connection without HMAC keys are unsigned hints (an envelope id and an
# event): larger ones are refused before they are read.
ENVELOPES_CONNECT_UNSIGNED_MAX_BYTES = env.int(
    "ENVELOPES_CONNECT_UNSIGNED_MAX_BYTES", default=64 * 1024
)
# Each web process asks for a drain of stored messages at most once per this many seconds
# per connection (a trailing request covers the rest): no Redis round trip per message.
ENVELOPES_CONNECT_DRAIN_THROTTLE = env.float("ENVELOPES_CONNECT_DRAIN_THROTTLE", default=1.0)
# After a completion on a connection with Connect, wait this long for the completed message
# to bring the documents before fetching them (one call).
ENVELOPES_DOCUMENTS_CONNECT_WAIT = env.int("ENVELOPES_DOCUMENTS_CONNECT_WAIT", default=120)
# Unsigned Connect messages (no HMAC keys): at most one DocuSign look per envelope per this
# many seconds, and at most this share of DOCUSIGN_HOURLY_LIMIT per connection and hour.
ENVELOPES_UNSIGNED_COALESCE_SECONDS = env.int(
    "ENVELOPES_UNSIGNED_COALESCE_SECONDS", default=15 * 60
)
ENVELOPES_UNSIGNED_BUDGET_SHARE = env.float("ENVELOPES_UNSIGNED_BUDGET_SHARE", default=0.05)
# Polling without Connect (one listing per account serves polling and reconciliation):
# DocuSign's rules allow one status check per 15 minutes at most and advise 20.
ENVELOPES_POLL_INTERVAL_MINUTES = max(15, env.int("ENVELOPES_POLL_INTERVAL_MINUTES", default=20))
ENVELOPES_POLL_PAGE_SIZE = env.int("ENVELOPES_POLL_PAGE_SIZE", default=1000)  # DocuSign's max
# Benchmarks against the simulator only: list each account every N seconds (0: off), so a
# short run sees polling and reconciliation. Ignored unless DOCUSIGN_SIMULATOR is on:
# DocuSign's 15-minute rule always binds against DocuSign (envelopes.tracking.polling).
ENVELOPES_SIMULATOR_POLL_SECONDS = env.float("ENVELOPES_SIMULATOR_POLL_SECONDS", default=0.0)
# Development without Redis: runserver's own thread starts due polls this often (0: off;
# `make run` sets 60 when there is no REDIS_URL).
DEV_POLLER_SECONDS = env.int("DEV_POLLER_SECONDS", default=0)
# Sending: a claim older than the lease is presumed dead and taken over by the sweep.
ENVELOPES_SEND_LEASE_SECONDS = env.int("ENVELOPES_SEND_LEASE_SECONDS", default=300)
ENVELOPES_MAX_SEND_ATTEMPTS = env.int("ENVELOPES_MAX_SEND_ATTEMPTS", default=10)
ENVELOPES_RETRY_MAX_SECONDS = env.int("ENVELOPES_RETRY_MAX_SECONDS", default=300)  # backoff cap
# Queued work (or a void) untouched this long has lost its task: the sweep dispatches it again.
ENVELOPES_QUEUED_GRACE_SECONDS = env.int("ENVELOPES_QUEUED_GRACE_SECONDS", default=60)
# Work waiting for its connection (consent, setup, keys): how often the sweep checks it.
ENVELOPES_CONNECTION_RECHECK_SECONDS = env.int("ENVELOPES_CONNECTION_RECHECK_SECONDS", default=300)
# Connect messages unapplied this long are drained by the sweep (a crashed drain).
ENVELOPES_CONNECT_STALE_SECONDS = env.int("ENVELOPES_CONNECT_STALE_SECONDS", default=20)
# A drain works for one slice (this many seconds or messages, well under the task's soft
# time limit) and then queues the next slice itself.
ENVELOPES_CONNECT_SLICE_SECONDS = env.float("ENVELOPES_CONNECT_SLICE_SECONDS", default=20.0)
ENVELOPES_CONNECT_SLICE_MESSAGES = env.int("ENVELOPES_CONNECT_SLICE_MESSAGES", default=2000)
# A message DocuSign keeps failing transiently for (5xx, unreachable) waits 5 s, 10 s, …
# (at most the cap) between attempts and is parked for staff after this many.
ENVELOPES_CONNECT_MAX_ATTEMPTS = env.int("ENVELOPES_CONNECT_MAX_ATTEMPTS", default=10)
ENVELOPES_CONNECT_RETRY_MAX_SECONDS = env.int("ENVELOPES_CONNECT_RETRY_MAX_SECONDS", default=900)
# How far back a listing reaches while a recent send's create had an unknown outcome.
ENVELOPES_RECONCILE_LOOKBACK_HOURS = env.float("ENVELOPES_RECONCILE_LOOKBACK_HOURS", default=2.0)

# --- Production hardening ---------------------------------------------------------------
if not DEBUG:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env.int("DJANGO_SECURE_HSTS_SECONDS", default=60 * 60 * 24 * 365)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    CSRF_TRUSTED_ORIGINS = [SITE_URL]

# --- Content-Security-Policy (every mode): see config/content_security.py ------------------
CONTENT_SECURITY_POLICY = content_security.POLICY

# --- Operations: logs, metrics, error reporting -----------------------------------------
LOG_FORMAT: str = env.str("LOG_FORMAT", default="plain")
if LOG_FORMAT not in ("plain", "json"):
    raise ImproperlyConfigured(f"LOG_FORMAT must be 'plain' or 'json', not {LOG_FORMAT!r}.")
LOGGING = logging_config(log_format=LOG_FORMAT, level=env.str("LOG_LEVEL", default="INFO"))
LOGGING["loggers"]["axes"] = {"level": "WARNING"}  # lockouts and failures, not every login
# /metrics answers only `Authorization: Bearer <METRICS_TOKEN>`; unset, it is off (404).
METRICS_TOKEN: str = env.str("METRICS_TOKEN", default="")
SECURE_REDIRECT_EXEMPT = [r"^metrics$"]  # scraped over the internal network
SENTRY_DSN: str = env.str("SENTRY_DSN", default="")
if SENTRY_DSN:
    init_sentry(
        SENTRY_DSN,
        environment=env.str("SENTRY_ENVIRONMENT", default="development" if DEBUG else "production"),
        release=env.str("SENTRY_RELEASE", default=""),
    )

# Bulk send: how often a submitted batch's progress is read from DocuSign (2 calls a round).
ENVELOPES_BULK_TRACK_SECONDS = env.float("ENVELOPES_BULK_TRACK_SECONDS", default=10.0)
