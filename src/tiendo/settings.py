"""Settings for tiendo, read from the environment (TIENDO_*, DATABASE_URL).

SQLite in TIENDO_DATA_DIR by default; PostgreSQL (psycopg 3) when DATABASE_URL is set.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import dj_database_url

from tiendo.core.env import env_bool, env_choice, env_float, env_int, env_list, env_secret, env_str

BASE_DIR = Path(__file__).resolve().parent
DATA_DIR = Path(env_str("TIENDO_DATA_DIR", str(Path.cwd() / "var"))).resolve()

DEBUG = env_bool("TIENDO_DEBUG", default=False)
SECRET_KEY, SECRET_KEY_ORIGIN = env_secret("TIENDO_SECRET_KEY", fallback_file=DATA_DIR / "secret_key")
ALLOWED_HOSTS = env_list("TIENDO_ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env_list("TIENDO_CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.humanize",
    "django.contrib.staticfiles",
    "ninja",  # serves its bundled Swagger UI from static files instead of a CDN
    "django_tasks",
    "django_tasks_db",
    "axes",  # login throttling and lockout (accounts, issue 10)
    "django_otp",  # second factor: TOTP devices and backup codes
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "tiendo.core",
    "tiendo.orgunits",
    "tiendo.plans",
    "tiendo.reporting",
    "tiendo.analytics",
    "tiendo.documents",
    "tiendo.ioc",
    "tiendo.opendata",
    "tiendo.api",
    "tiendo.web",
    "tiendo.shell",  # demo, serve, worker, createadmin: they assemble the whole system
]

MIDDLEWARE = [  # Django's run synchronously in one thread under uvicorn (tiendo.web.middleware)
    "tiendo.web.middleware.PublicPageCacheMiddleware",  # public progress pages from the store, first
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "tiendo.web.middleware.VietnameseFirstMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "tiendo.web.accounts.session.SessionTimeoutMiddleware",  # idle and absolute session limits
    "tiendo.web.accounts.second_factor.SecondFactorMiddleware",  # enrol / verify before anything else
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",  # turns a lockout into the locked-out page (last, as axes asks)
]

ROOT_URLCONF = "tiendo.urls"
ASGI_APPLICATION = "tiendo.asgi.application"
WSGI_APPLICATION = "tiendo.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

_default_db = f"sqlite:///{DATA_DIR / 'tiendo.sqlite3'}"
DATABASES = {"default": dj_database_url.parse(env_str("DATABASE_URL", _default_db), conn_max_age=0)}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql" and env_bool(
    "TIENDO_DB_POOL", default=True
):
    # psycopg's connection pool (Django 5.1+): no new PostgreSQL connection per request
    DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
        "min_size": 2,
        "max_size": env_int("TIENDO_DB_POOL_MAX", default=20, minimum=2),
        "timeout": 10,
    }
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # libpq TCP keepalives: a connection to a server that vanished is noticed within a minute and a half
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"keepalives": 1, "keepalives_idle": 30, "keepalives_interval": 10, "keepalives_count": 3}
    )
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    # WAL lets readers (dashboards) proceed while a writer (an import) holds the lock.
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": env_int("TIENDO_PASSWORD_MIN_LENGTH", default=12, minimum=8)},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "home"

LANGUAGE_CODE = "vi"
LANGUAGES = [("vi", "Tiếng Việt"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
FORMAT_MODULE_PATH = ["tiendo.formats"]
USE_I18N = True
USE_THOUSAND_SEPARATOR = True
TIME_ZONE = env_str("TIENDO_TIME_ZONE", "Asia/Ho_Chi_Minh")
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = DATA_DIR / "static"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # whitenoise warns at start-up when it is missing
# Serve straight from the app folders (the npm build writes into web/static/vendor), so neither the
# demo nor the tests need a collectstatic step; production may still run collectstatic.
WHITENOISE_USE_FINDERS = True

SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_SAMESITE = "Lax"

EMAIL_BACKEND = env_str("TIENDO_EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("TIENDO_LOG_LEVEL", "WARNING")},
}

NINJA_PAGINATION_PER_PAGE = 100

# Analytics answers polled by many (the drill-down) are kept this long per process: a figure is never
# older than that, and a busy dashboard costs one computation per second (tiendo.core.cache).
TIENDO_ANALYTICS_CACHE_SECONDS = env_float("TIENDO_ANALYTICS_CACHE_SECONDS", default=1.0, minimum=0)
# The CKAN API's package_search answers kept per process, keyed by the catalogue's last change and
# who reads (a new or changed dataset is seen at once; a renamed publisher, theme or licence after
# this many seconds; 0: none); and the row numbers a datastore_search filter matched, per process.
TIENDO_CATALOGUE_CACHE_SECONDS = env_int("TIENDO_CATALOGUE_CACHE_SECONDS", default=30, minimum=0)
TIENDO_DATASTORE_MATCH_CACHE_BYTES = env_int(
    "TIENDO_DATASTORE_MATCH_CACHE_BYTES", default=64 * 1024 * 1024, minimum=0
)
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "tiendo"}}

# Background work: Django 6's tasks API through its backport; the queue lives in the database.
TASKS = {"default": {"BACKEND": env_str("TIENDO_TASKS_BACKEND", "django_tasks_db.DatabaseBackend")}}
TIENDO_REMINDER_DAYS_BEFORE = env_int("TIENDO_REMINDER_DAYS_BEFORE", default=3, minimum=0)
TIENDO_REMINDER_DAYS_AFTER = env_int("TIENDO_REMINDER_DAYS_AFTER", default=1, minimum=0)
TIENDO_DATAVALUESETS_MAX_BYTES = env_int(
    "TIENDO_DATAVALUESETS_MAX_BYTES", default=64 * 1024 * 1024, minimum=1
)
# Bounds on every import (seconds; 0 = none), so that none can wedge the database (core.db_timeouts):
# the longest statement, and the longest wait for the import lock or a row lock ("an import is
# running, retry in N s"). A request's (API, dataValueSets) are short; an operator's command longer.
TIENDO_IMPORT_STATEMENT_TIMEOUT = env_float("TIENDO_IMPORT_STATEMENT_TIMEOUT", default=60, minimum=0)
TIENDO_IMPORT_LOCK_TIMEOUT = env_float("TIENDO_IMPORT_LOCK_TIMEOUT", default=5, minimum=0)
TIENDO_IMPORT_COMMAND_STATEMENT_TIMEOUT = env_float(
    "TIENDO_IMPORT_COMMAND_STATEMENT_TIMEOUT", default=1800, minimum=0
)
TIENDO_IMPORT_COMMAND_LOCK_TIMEOUT = env_float("TIENDO_IMPORT_COMMAND_LOCK_TIMEOUT", default=60, minimum=0)
# The IOC's live events fan out between web processes through Redis Streams when this is set
# (tiendo.ioc.live); unset, one process serves the stream from its own memory.
TIENDO_REDIS_URL = env_str("TIENDO_REDIS_URL", "")
# The MQTT broker of `tiendo ingest` and `tiendo simulate` (topics tiendo/<unit>/<device>/<metric>);
# the consumer's client id is fixed so that its persistent session survives restarts.
TIENDO_MQTT_HOST = env_str("TIENDO_MQTT_HOST", "127.0.0.1")
TIENDO_MQTT_PORT = env_int("TIENDO_MQTT_PORT", default=1883, minimum=1)
TIENDO_MQTT_CLIENT_ID = env_str("TIENDO_MQTT_CLIENT_ID", "tiendo-ingest")
# Raw IOC readings are kept this many days (tiendo ioc-retention); 5-minute, hourly, daily rollups for ever.
TIENDO_IOC_RAW_DAYS = env_int("TIENDO_IOC_RAW_DAYS", default=90, minimum=1)
TIENDO_SITE_URL = env_str("TIENDO_SITE_URL", "http://127.0.0.1:8000").rstrip("/")
DEFAULT_FROM_EMAIL = env_str("TIENDO_FROM_EMAIL", "tiendo@localhost")

# How /api/v1 authenticates a request (core.api_access looks it up by name, as Django does its
# AUTHENTICATION_BACKENDS): HTTP Basic, `Authorization: ApiToken …` or the session.
TIENDO_API_AUTHENTICATOR = "tiendo.api.auth.authenticate_request"

# PAdES B-T (documents.signing): an RFC 3161 time-stamp authority for sealed PDFs; empty: PAdES B-B.
TIENDO_TSA_URL = env_str("TIENDO_TSA_URL").strip()
TIENDO_TSA_USERNAME = env_str("TIENDO_TSA_USERNAME")
TIENDO_TSA_PASSWORD = env_str("TIENDO_TSA_PASSWORD")
TIENDO_TSA_TIMEOUT = env_int("TIENDO_TSA_TIMEOUT", default=10, minimum=1)
# --- Transport security and browser policies (issue 10, "security" part) ------------------------
# Every setting `check --deploy` asks for comes from the environment (docs/operator-guide.md,
# "Production"). TIENDO_HTTPS=true turns on the set a site served only over HTTPS needs; each
# variable below can still override its own setting.
TIENDO_HTTPS = env_bool("TIENDO_HTTPS", default=False)
SECURE_SSL_REDIRECT = env_bool("TIENDO_SSL_REDIRECT", default=TIENDO_HTTPS)
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]  # a local monitor may probe over plain HTTP
SESSION_COOKIE_SECURE = env_bool("TIENDO_SESSION_COOKIE_SECURE", default=TIENDO_HTTPS)
CSRF_COOKIE_SECURE = env_bool("TIENDO_CSRF_COOKIE_SECURE", default=TIENDO_HTTPS)
SECURE_HSTS_SECONDS = env_int("TIENDO_HSTS_SECONDS", default=31_536_000 if TIENDO_HTTPS else 0, minimum=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("TIENDO_HSTS_INCLUDE_SUBDOMAINS", default=TIENDO_HTTPS)
SECURE_HSTS_PRELOAD = env_bool("TIENDO_HSTS_PRELOAD", default=TIENDO_HTTPS)
# Trust X-Forwarded-Proto only when a proxy that sets it (and drops the client's) is in front.
SECURE_PROXY_SSL_HEADER = (
    ("HTTP_X_FORWARDED_PROTO", "https") if env_bool("TIENDO_BEHIND_TLS_PROXY", default=False) else None
)
SECURE_REFERRER_POLICY = env_choice(
    "TIENDO_REFERRER_POLICY",
    default="same-origin",
    choices=(
        "no-referrer",
        "no-referrer-when-downgrade",
        "origin",
        "origin-when-cross-origin",
        "same-origin",
        "strict-origin",
        "strict-origin-when-cross-origin",
        "unsafe-url",
    ),
)
X_FRAME_OPTIONS = env_choice("TIENDO_X_FRAME_OPTIONS", default="DENY", choices=("DENY", "SAMEORIGIN"))
SECURE_CONTENT_TYPE_NOSNIFF = env_bool("TIENDO_CONTENT_TYPE_NOSNIFF", default=True)
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"

# Content-Security-Policy on every response (django-csp 4.x: one dict, directives as lists). No
# inline script or style is allowed: pages load their code from static files and read their data
# from json_script / data- attributes. Bootstrap's CSS draws some icons as data: SVG images.
# TIENDO_CSP_REPORT_URI (optional) asks browsers to report what the policy refused.
INSTALLED_APPS = [*INSTALLED_APPS, "csp"]
# before axes' middleware (the last): the locked-out page it puts in place carries the policy too
MIDDLEWARE.insert(MIDDLEWARE.index("axes.middleware.AxesMiddleware"), "csp.middleware.CSPMiddleware")
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        # the same choice as X_FRAME_OPTIONS: browsers obey frame-ancestors over X-Frame-Options
        "frame-ancestors": ["'self'" if X_FRAME_OPTIONS == "SAMEORIGIN" else "'none'"],
        **({"report-uri": [env_str("TIENDO_CSP_REPORT_URI")]} if env_str("TIENDO_CSP_REPORT_URI") else {}),
    },
}

# API tokens: how long one lives unless asked otherwise, and the most it may (tiendo.reporting.tokens)
TIENDO_TOKEN_MAX_DAYS = env_int("TIENDO_TOKEN_MAX_DAYS", default=365, minimum=1)
TIENDO_TOKEN_DAYS = min(env_int("TIENDO_TOKEN_DAYS", default=90, minimum=1), TIENDO_TOKEN_MAX_DAYS)

# Accounts (issue 10, ASVS L2): lockout, second factor, session limits. See docs/security.md.
# django-axes counts failures per username + client IP; its backend comes first so a locked-out
# attempt is refused before ModelBackend runs the password hasher (a wrong Basic password is cheap).
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = env_int("TIENDO_LOGIN_FAILURE_LIMIT", default=5, minimum=1)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("TIENDO_LOGIN_COOLOFF_MINUTES", default=15, minimum=1))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False  # a fixed window: Retry-After tells the truth
AXES_SENSITIVE_PARAMETERS: list[str] = []  # log the username and IP tried (the password never)
AXES_LOCKOUT_CALLABLE = "tiendo.web.accounts.lockout.lockout_response"
AXES_HTTP_RESPONSE_CODE = 429
AXES_IPWARE_PROXY_COUNT = env_int("TIENDO_PROXY_COUNT", default=0, minimum=0) or None
AXES_IPWARE_META_PRECEDENCE_ORDER = (
    ("HTTP_X_FORWARDED_FOR", "REMOTE_ADDR") if AXES_IPWARE_PROXY_COUNT else ("REMOTE_ADDR",)
)
# Second factor (django-otp, TOTP + backup codes): required for admins and reviewers
# (orgunits.selectors.user_requires_second_factor), optional for everyone else.
TIENDO_REQUIRE_2FA = env_bool("TIENDO_REQUIRE_2FA", default=True)
OTP_TOTP_ISSUER = env_str("TIENDO_OTP_ISSUER", "tiendo")
# Sessions: signed out after TIENDO_SESSION_IDLE_MINUTES without a request, and after
# TIENDO_SESSION_MAX_HOURS whatever happens (tiendo.web.accounts.session).
TIENDO_SESSION_IDLE_MINUTES = env_int("TIENDO_SESSION_IDLE_MINUTES", default=30, minimum=1)
TIENDO_SESSION_MAX_HOURS = env_int("TIENDO_SESSION_MAX_HOURS", default=12, minimum=1)
SESSION_COOKIE_AGE = TIENDO_SESSION_MAX_HOURS * 3600
PASSWORD_RESET_TIMEOUT = env_int("TIENDO_PASSWORD_RESET_MINUTES", default=60, minimum=5) * 60
