"""Vaka settings. Every knob comes from a ``VAKA_*`` environment variable (see README).

Settings are read only through the helpers of :mod:`vaka.config`, which parse strictly: a
value that is not what a variable takes (``VAKA_HTTPS=ture``, ``VAKA_WORKERS=two``) stops
start-up with an error naming the variable, instead of quietly meaning something else.
"""

import os
import secrets
from pathlib import Path

import dj_database_url

from vaka.config import env, env_bool, env_choice, env_float, env_int, env_list, env_url

# Everything Vaka writes (the database, stored files, the secret key, logs it opens) is for
# its own user only: files 0600, directories 0700. Set before anything is created.
os.umask(0o077)

BASE_DIR = Path(__file__).resolve().parent

# Created 0700 (the umask). A directory that already exists keeps its mode: the operator
# may have opened it to a backup group on purpose, and its files are 0600 anyway; the
# `vaka.W001` check warns when group or others may read it.
DATA_DIR = Path(env("DATA_DIR", "var")).resolve()
DATA_DIR.mkdir(parents=True, exist_ok=True)
(DATA_DIR / "static").mkdir(exist_ok=True)


def _secret_key() -> str:
    """Use VAKA_SECRET_KEY, or a key generated once into the data directory."""
    if key := env("SECRET_KEY"):
        return key
    path = DATA_DIR / "secret_key"
    if not path.exists():
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_urlsafe(64))
    return path.read_text().strip()


SECRET_KEY = _secret_key()
DEBUG = env_bool("DEBUG")
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost,[::1]")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")
SITE_NAME = env("SITE_NAME", "Vaka")

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "axes",
    "vaka.directory",
    "vaka.policy",
    "vaka.intel",
    "vaka.exchange",
    "vaka.inbox",
    "vaka.products",
    "vaka.operations",
    "vaka.messaging",
    "vaka.training",
    "vaka.web",
]

MIDDLEWARE = [
    # First: every answer carries a request id, and health probes are answered before
    # host checks, HTTPS redirects and sessions (see vaka.web.health).
    "vaka.web.logs.RequestIdMiddleware",
    "vaka.web.health.HealthCheckMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "vaka.web.middleware.SecurityHeadersMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.middleware.gzip.GZipMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "vaka.web.middleware.PrivateNoStoreMiddleware",
    "vaka.web.middleware.UserLanguageMiddleware",
    "vaka.web.middleware.TwoFactorMiddleware",
    # Audits what the training gate held back in the request (vaka.training.requirements).
    "vaka.training.requirements.HeldCapabilityMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",
    # A write that waited too long for the database: 503 "busy, try again", never a 500.
    "vaka.web.middleware.BusyDatabaseMiddleware",
]

ROOT_URLCONF = "vaka.urls"
WSGI_APPLICATION = "vaka.wsgi.application"
ASGI_APPLICATION = "vaka.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "vaka.web.context_processors.shell",
                "vaka.inbox.context_processors.inbox",
                "vaka.training.requirements.context",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------
DATABASE_URL = env("DATABASE_URL", f"sqlite:///{DATA_DIR / 'vaka.sqlite3'}")
DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60)}
on_sqlite = DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3"
if on_sqlite:
    # Django's, reading on when the disk is full (vaka.sqlite); WAL is set once, on a new file.
    DATABASES["default"]["ENGINE"] = "vaka.sqlite"
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        # IMMEDIATE takes the write lock at BEGIN, so concurrent writers queue on the busy
        # timeout instead of failing when a read transaction upgrades to a write.
        "transaction_mode": "IMMEDIATE",
        # How long a write waits for another to finish before it is answered 503 (the
        # database is busy, try again); reads never wait (WAL).
        "timeout": env_float("SQLITE_BUSY_TIMEOUT", 20.0, minimum=0.1),
        # A 64 MB page cache keeps large indexes (the observable index, the STIX ids) in
        # memory during bulk ingestion.
        "init_command": (
            "PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON; "
            f"PRAGMA cache_size=-{env_int('SQLITE_CACHE_MB', 64) * 1024}; "
            # Connections last one request, so each starts with an empty page cache; pages
            # read through the memory map skip a copy each (a search's page: 25 -> 21 ms).
            f"PRAGMA mmap_size={env_int('SQLITE_MMAP_MB', 256) * 2**20}; "
            "PRAGMA temp_store=MEMORY;"
        ),
    }
else:
    # A connection kept between requests is checked before its request uses it: after the
    # database restarted, the first request reconnects instead of failing on a dead one.
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
# What a read writes on the side (audit entries, hit notices, last-used times) waits at most
# this long (seconds) for a busy database; then last-used times are skipped and the rest is
# spooled to this directory and written once the database is free (vaka.policy.deferred).
SIDE_WRITE_WAIT = env_float("SIDE_WRITE_WAIT", 0.5)
DEFERRED_WRITES_DIR = DATA_DIR / "deferred"

# --- Authentication -------------------------------------------------------------------
AUTH_USER_MODEL = "directory.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
PASSWORD_HASHERS = [
    "vaka.directory.hashers.Argon2Hasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
     "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "dashboard"
LOGOUT_REDIRECT_URL = "login"
OTP_TOTP_ISSUER = SITE_NAME

AXES_FAILURE_LIMIT = env_int("LOGIN_FAILURE_LIMIT", 5, minimum=1)
AXES_COOLOFF_TIME = env_float("LOGIN_COOLOFF_HOURS", 0.5)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_VERBOSE = False
# Sign-in and sign-out bookkeeping never fails a sign-in (vaka.directory.signin): the audit
# log already records every sign-in and sign-out, so axes keeps no access log of its own.
AXES_HANDLER = "vaka.directory.signin.AxesHandler"
AXES_DISABLE_ACCESS_LOG = True
# Reverse proxies in front of Vaka that append to X-Forwarded-For (0: none, trust no header).
PROXY_COUNT = env_int("PROXY_COUNT", 0)
AXES_IPWARE_PROXY_COUNT = PROXY_COUNT
AXES_IPWARE_META_PRECEDENCE_ORDER = (
    ["HTTP_X_FORWARDED_FOR", "REMOTE_ADDR"] if PROXY_COUNT else ["REMOTE_ADDR"]
)
SERVE_WORKERS = env_int("WORKERS", 2, minimum=1)
# Largest file accepted through the web UI and API (the command line streams any size).
MAX_UPLOAD_MB = env_int("MAX_UPLOAD_MB", 100, minimum=1)
# Large STIX imports validate and index on a second core (a forked worker process).
INGEST_WORKER = env_bool("INGEST_WORKER", True)
DATA_UPLOAD_MAX_MEMORY_SIZE = MAX_UPLOAD_MB * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 8 * 1024 * 1024
# Stored files and their folders are for Vaka's own user only (the umask does the same
# for everything else).
FILE_UPLOAD_PERMISSIONS = 0o600
FILE_UPLOAD_DIRECTORY_PERMISSIONS = 0o700

# --- Sessions and security --------------------------------------------------------------
HTTPS = env_bool("HTTPS")
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_AGE = env_int("SESSION_HOURS", 12, minimum=1) * 3600
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if HTTPS:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = 31536000
    SECURE_SSL_REDIRECT = env_bool("SSL_REDIRECT", True)
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'self'; "
    "form-action 'self'; frame-ancestors 'none'"
)

# --- Secrets at rest -------------------------------------------------------------------
# Feed and peer credentials and TOTP secrets are encrypted in the database (vaka.policy.
# crypto) with this key; unset, one is derived from SECRET_KEY. Keys listed in the second
# still decrypt while `vaka secrets rotate` moves every value to the current one.
ENCRYPTION_KEY = env("ENCRYPTION_KEY")
ENCRYPTION_KEYS_PREVIOUS = env_list("ENCRYPTION_KEYS_PREVIOUS")

# --- Internationalisation ----------------------------------------------------------------
LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("fr", "Français"), ("es", "Español"), ("ar", "العربية")]
LANGUAGES_BIDI = ["ar"]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
USE_TZ = True
TIME_ZONE = env("TIME_ZONE", "UTC")

# --- Static files ------------------------------------------------------------------------
STATIC_URL = "/static/"
# Collected static files: in the data directory, or where an image keeps its own (the
# Dockerfile), so that a data volume never holds the static files of an older release.
STATIC_ROOT = Path(env("STATIC_ROOT") or DATA_DIR / "static").resolve()
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage",
                "OPTIONS": {"location": DATA_DIR / "files"}},
    "staticfiles": {
        "BACKEND": env(
            "STATIC_STORAGE", "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
WHITENOISE_MAX_AGE = 31536000

# --- Email -------------------------------------------------------------------------------
# With no VAKA_EMAIL_HOST, mail is written to the console (the embedded default).
EMAIL_BACKEND = env("EMAIL_BACKEND", "django.core.mail.backends.smtp.EmailBackend"
                    if env("EMAIL_HOST") else "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = env("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25, minimum=1)
EMAIL_HOST_USER = env("EMAIL_USER")
EMAIL_HOST_PASSWORD = env("EMAIL_PASSWORD")
EMAIL_USE_TLS = env_bool("EMAIL_TLS")
DEFAULT_FROM_EMAIL = env("EMAIL_FROM", "vaka@localhost")
# An SMTP server that does not answer must not hold a request for long.
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 10, minimum=1)
# "Something is waiting" mail: at most one per user in this many minutes.
EMAIL_BURST_MINUTES = env_int("EMAIL_BURST_MINUTES", 15)
# The address people reach this instance at, for links in e-mail.
BASE_URL = env("BASE_URL", "http://localhost:8000").rstrip("/")

# --- Background jobs ---------------------------------------------------------------------
# With no broker, jobs run in-process (the embedded default); set VAKA_BROKER_URL to a
# Redis URL in production and run `vaka worker`.
CELERY_BROKER_URL = env("BROKER_URL")
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TASK_EAGER_PROPAGATES = True
# With a broker: inputs larger than this (MB) are stored by the worker, and the request
# answers at once with the submission's status page (vaka.intel.queued).
BACKGROUND_INGEST_MB = env_float("BACKGROUND_INGEST_MB", 4.0)
# "Poll now" and "sync now" read their outcome back from the broker's Redis.
CELERY_RESULT_BACKEND = CELERY_BROKER_URL or None
CELERY_RESULT_EXPIRES = 86400
CELERY_TASK_TRACK_STARTED = True
# A broker that is down fails the enqueue within seconds (shown to the user), not a minute.
CELERY_BROKER_CONNECTION_TIMEOUT = 3
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_TRANSPORT_OPTIONS = {"socket_connect_timeout": 3, "socket_timeout": 10}
CELERY_REDIS_SOCKET_CONNECT_TIMEOUT = 3
CELERY_TASK_PUBLISH_RETRY_POLICY = {"max_retries": 2, "interval_start": 0,
                                    "interval_step": 0.5, "interval_max": 1}
CELERY_RESULT_BACKEND_TRANSPORT_OPTIONS = {"retry_policy": CELERY_TASK_PUBLISH_RETRY_POLICY}
# Feed polls and instance syncs: `vaka serve` runs `vaka scheduler` beside itself unless a
# broker is set (then Celery beat runs the same round) or this is off.
SCHEDULER = env_bool("SCHEDULER", True)
CELERY_BEAT_SCHEDULE = {"exchange-due": {"task": "vaka.exchange.tasks.run_due",
                                         "schedule": 60.0}}
# Feeds and connected instances reach only public addresses (vaka.exchange.outbound):
# these host names and IP networks are let through too, e.g. "taxii.lan,10.20.0.0/16".
OUTBOUND_ALLOW = env_list("OUTBOUND_ALLOW")
# Each answer of a feed or connected instance (every page, event and redirect hop) must
# arrive whole within this many seconds and be at most this many MiB (decompressed): a
# server trickling bytes or sending gigabytes stops the poll or sync, not the poller.
OUTBOUND_TIMEOUT_SECONDS = env_int("OUTBOUND_TIMEOUT_SECONDS", 300, minimum=1)
OUTBOUND_MAX_MB = env_int("OUTBOUND_MAX_MB", 256, minimum=1)
# Due feed polls (and due syncs) the scheduler's round runs at once, each in a thread.
SCHEDULER_THREADS = env_int("SCHEDULER_THREADS", 4, minimum=1)

# Learners' progress as xAPI statements, sent to this learning record store (its xAPI
# endpoint, e.g. https://lrs.example.org/xapi; statements go to <url>/statements) by the
# scheduler's round, with HTTP basic credentials. Empty: nothing is queued or sent.
XAPI_LRS_URL = env_url("XAPI_LRS_URL")
XAPI_LRS_USERNAME = env("XAPI_LRS_USERNAME")
XAPI_LRS_PASSWORD = env("XAPI_LRS_PASSWORD")

# Lists (pages and API) count matching rows exactly up to this many, then say "1,000+":
# counting every visible row of a large store took seconds. ``count=exact`` asks for all.
LIST_COUNT_CAP = env_int("LIST_COUNT_CAP", 1000, minimum=1)

# The analytics dashboard's figures are computed ahead by the scheduler's round when they
# are older than this many minutes (vaka.products.figures); 0: only by `vaka refresh_figures`.
ANALYTICS_REFRESH_MINUTES = env_int("ANALYTICS_REFRESH_MINUTES", 15)

# --- REST API ----------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "vaka.directory.authentication.TokenAuthentication",
        "vaka.directory.authentication.VerifiedSessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PARSER_CLASSES": [
        "vaka.web.drf.JSONParser",  # refuses JSON nested too deeply (400, not 500)
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_PAGINATION_CLASS": "vaka.web.drf.Pagination",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": [
        "vaka.web.filters.StrictFilterBackend",
        "rest_framework.filters.SearchFilter",
        "vaka.web.filters.StrictOrderingFilter",  # an unknown sort is a 400 naming it
    ],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "vaka.web.api.exception_handler",
}

# --- Rate limits and the cache they count in ------------------------------------------------
# Lookup, exports, submissions, TAXII and sync, per API token (else user, else address):
# the scopes and their defaults are vaka.web.throttling.RATES, each overridden by
# VAKA_RATE_<SCOPE> (e.g. 60/min, 1000/hour, or off). It reads no settings when imported.
from vaka.web import throttling  # noqa: E402

REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"] = throttling.configured_rates(env)
# Shared by every worker process: Redis with VAKA_CACHE_URL, else files in the data directory.
CACHES = throttling.cache_setting(env("CACHE_URL"), DATA_DIR)
if on_sqlite:
    # Sessions are kept beside the counts, not in SQLite, which lets one writer in at a
    # time: a sign-in, or a look-up whose answers the session keeps, never waits for an
    # ingest holding it. Files in the data directory swept of expired ones (or Redis);
    # PostgreSQL keeps them in the database, which several app servers share.
    SESSION_ENGINE = "django.contrib.sessions.backends.cache"
    SESSION_CACHE_ALIAS = "sessions"
    CACHES["sessions"] = (
        {**CACHES["default"], "KEY_PREFIX": "vaka-session"} if env("CACHE_URL") else
        {**CACHES["default"], "LOCATION": DATA_DIR / "sessions",
         "OPTIONS": {"MAX_ENTRIES": 50_000}})

SPECTACULAR_SETTINGS = {
    "TITLE": "Vaka API",
    "DESCRIPTION": "Cyber-threat intelligence, operations and capacity building for Asia and "
    "the South Pacific. Authenticate with `Authorization: Token <key>`.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    # The schema and its documentation pages are for signed-in users and API clients only.
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated"],
    "SWAGGER_UI_DIST": "SIDECAR",
    # No validator badge: it is an image fetched from another site with the schema's address.
    "SWAGGER_UI_SETTINGS": {"deepLinking": True, "validatorUrl": None},
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # One name per markings choice set: read labelled, written as codes (policy.api.schema).
    "ENUM_NAME_OVERRIDES": {
        "TlpEnum": "vaka.policy.markings.TLP",
        "PapEnum": "vaka.policy.markings.PAP",
        "DistributionEnum": "vaka.policy.markings.Distribution",
        "GradingSchemeEnum": "vaka.policy.markings.GRADING_SCHEME_CHOICES",
        "TlpCodeEnum": "vaka.policy.api.schema.TLP_CODES",
        "PapCodeEnum": "vaka.policy.api.schema.PAP_CODES",
        "DistributionCodeEnum": "vaka.policy.api.schema.DISTRIBUTION_CODES",
        "GradingSchemeCodeEnum": "vaka.policy.api.schema.GRADING_SCHEME_CODES",
        "ProductKindEnum": "vaka.products.models.Kind",
        "ProductStatusEnum": "vaka.products.models.Status",
        "RfiStatusEnum": "vaka.messaging.models.RequestForInformation.Status",
        "OperationPhaseEnum": "vaka.operations.models.Phase",
        "TargetKindEnum": "vaka.operations.models.Target.Kind",
        "TaskStatusEnum": "vaka.operations.models.Task.Status",
        "ActionKindEnum": "vaka.operations.models.Action.Kind",
        "ResultKindEnum": "vaka.operations.models.Result.Kind",
        "TrainingTopicEnum": "vaka.training.models.Topic",
        "CourseLevelEnum": "vaka.training.models.Level",
        "CourseDeliveryEnum": "vaka.training.models.Delivery",
        "GenderMarkerEnum": "vaka.training.models.GenderMarker",
        "ParticipantGenderEnum": "vaka.training.models.Gender",
        "CompletionEnum": "vaka.training.models.Completion",
        "EnrolmentStatusEnum": "vaka.training.models.Enrolment.Status",
        "QuestionKindEnum": "vaka.training.models.Question.Kind",
    },
}
# HSTS includeSubDomains and preload bind every name under the operator's domain to HTTPS
# (preload: in browsers, for good): the domain owner's decision, not Vaka's. The nginx
# site (deploy/nginx/vaka.conf) is where to add them once every subdomain is HTTPS-only.
SILENCED_SYSTEM_CHECKS = ["security.W005", "security.W021"]

# --- Logs --------------------------------------------------------------------------------
# Every line: UTC time, level, logger, request id, message; ``json``: one object a line.
LOG_FORMAT = env_choice("LOG_FORMAT", "text", ("text", "json"))
LOG_LEVEL = env_choice("LOG_LEVEL", "INFO", ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"))
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    # Export link keys may be in URLs (404s and the development server log them): every
    # record is redacted of Vaka's tokens and keys before it is written.
    "filters": {"redact_secrets": {"()": "vaka.web.redaction.RedactSecrets"},
                "request_id": {"()": "vaka.web.logs.RequestIdFilter"}},
    "formatters": {"vaka": {"()": "vaka.web.logs.formatter_for", "kind": LOG_FORMAT}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "vaka",
                             "filters": ["request_id", "redact_secrets"]}},
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    # pymisp logs the values it rejects: intelligence must not end up in logs.
    "loggers": {"axes": {"level": "WARNING"}, "pymisp": {"level": "CRITICAL"},
                # WeasyPrint names what a PDF could not load (a product's text holds
                # indicators) and logs a line per page; vaka.web.pdf logs refusals itself.
                "weasyprint": {"level": "CRITICAL"},
                # through the console handler (its own handler does not redact)
                "django.server": {"propagate": True}},
}
# Celery workers log through the same handler and format instead of their own.
CELERY_WORKER_HIJACK_ROOT_LOGGER = False

# --- Health ------------------------------------------------------------------------------
# /health/ready fails when VAKA_DATA_DIR has less free space than this.
HEALTH_MIN_FREE_MB = env_int("HEALTH_MIN_FREE_MB", 500)
