"""Effboard settings, read from the environment with development defaults.

Every setting an operator may change is listed in deploy/.env.example.
"""

import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parents[2]
VAR_DIR = Path(os.environ.get("EFFBOARD_VAR_DIR", BASE_DIR / "var"))


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("DEBUG", True)
SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off")
    SECRET_KEY = "dev-only-insecure-key-do-not-use-in-production"
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost,[::1]" if DEBUG else "")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", "")

# HTTPS: on by default in production. Behind nginx, which terminates TLS, Django only learns
# the scheme from the header nginx sets, e.g. SECURE_PROXY_SSL_HEADER=HTTP_X_FORWARDED_PROTO,https.
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not DEBUG)
# Load balancers and container health checks probe plain HTTP from inside.
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
_proxy_ssl_header = env_list("SECURE_PROXY_SSL_HEADER", "")
if _proxy_ssl_header:
    if len(_proxy_ssl_header) != 2:
        raise ImproperlyConfigured("SECURE_PROXY_SSL_HEADER must be HEADER,value")
    SECURE_PROXY_SSL_HEADER = tuple(_proxy_ssl_header)
# HSTS is hard to take back once browsers have seen it, so the operator opts in.
SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", "0"))
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", False)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)
SESSION_COOKIE_SECURE = not DEBUG
CSRF_COOKIE_SECURE = not DEBUG

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_rq",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",  # Redoc's assets for /api/docs/, served by us: no CDN
    "problems",
    "evaluation",
    "leaderboard",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Before the session: a visitor without cookies gets a kept page without that work.
    "leaderboard.project.shared_responses.SharedResponseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "leaderboard.project.urls"
WSGI_APPLICATION = "leaderboard.project.wsgi.application"

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

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{VAR_DIR / 'effboard.sqlite3'}"),
        conn_max_age=int(os.environ.get("DATABASE_CONN_MAX_AGE", "60")),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # SQLite creates the file but not its folder (var/ on a fresh checkout).
    Path(DATABASES["default"]["NAME"]).parent.mkdir(parents=True, exist_ok=True)
    # Workers and the web process write concurrently: wait for the lock instead of failing.
    DATABASES["default"]["OPTIONS"] = {"timeout": 30, "transaction_mode": "IMMEDIATE"}
    # Tests start real worker processes, which cannot see an in-memory database; one file per
    # test run, as several runs may share a checkout.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / f"test-{os.getpid()}.sqlite3")}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
RQ_QUEUES = {"default": {"URL": REDIS_URL, "DEFAULT_TIMEOUT": 3600}}
# Our worker requeues stalled submissions when it starts and takes back the job of a worker
# that died once no heartbeat came for RQ_HEARTBEAT_SECONDS + RQ_HEARTBEAT_GRACE_SECONDS,
# looking every RQ_MAINTENANCE_SECONDS (see leaderboard.worker).
RQ = {"WORKER_CLASS": "leaderboard.worker.Worker"}
RQ_HEARTBEAT_SECONDS = int(os.environ.get("RQ_HEARTBEAT_SECONDS", "30"))
RQ_HEARTBEAT_GRACE_SECONDS = int(os.environ.get("RQ_HEARTBEAT_GRACE_SECONDS", "60"))
RQ_MAINTENANCE_SECONDS = int(os.environ.get("RQ_MAINTENANCE_SECONDS", "60"))
# The leaderboard's cache (leaderboard.standings.leaderboard_cache), shared by the web
# processes and the workers that invalidate it. Short timeouts: when Redis is away pages are
# computed uncached instead of waiting.
CACHES = {
    "default": {
        # Django's, keeping one client per pool: see the module.
        "BACKEND": "leaderboard.project.redis_cache.RedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": "effboard",
        "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
    }
}
# The longest one chunk job (EVALUATION_CHUNK_SAMPLES samples of a problem) may take before
# it is failed (and retried).
EVALUATION_JOB_TIMEOUT = int(os.environ.get("EVALUATION_JOB_TIMEOUT", "3600"))
# A problem's samples run as jobs of at most this many, spread over the workers.
EVALUATION_CHUNK_SAMPLES = int(os.environ.get("EVALUATION_CHUNK_SAMPLES", "20"))

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# What the leaderboard adds to a problem's page, below its reference solution (problems.sections).
PROBLEM_PAGE_SECTIONS = [
    "leaderboard.pages.problem_sections.model_results",
    "leaderboard.pages.problem_sections.efficiency_profile",
]

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/"

# Uploads: files above MAX_UPLOAD_BYTES are cut short while they arrive (so they never fill
# memory or disk) and then refused by the form; other form fields stay small.
MAX_UPLOAD_BYTES = int(os.environ.get("MAX_UPLOAD_BYTES", 50 * 1024 * 1024))
DATA_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
FILE_UPLOAD_HANDLERS = [
    "leaderboard.uploads.handlers.TruncatingUploadHandler",
    "django.core.files.uploadhandler.MemoryFileUploadHandler",
    "django.core.files.uploadhandler.TemporaryFileUploadHandler",
]
# Uploads per user, counted from the database: the web form and the API share it.
UPLOAD_RATE_LIMIT = os.environ.get("UPLOAD_RATE_LIMIT", "5/hour")

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.AllowAny"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Effboard API",
    "DESCRIPTION": "The efficiency of LLM-generated code on ENAMEL (eff@k)",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "REDOC_DIST": "SIDECAR",
}

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = VAR_DIR / "staticfiles"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}
MEDIA_ROOT = VAR_DIR / "media"

# ENAMEL's data: the problem set and the sample sets. Read in place, never copied into the repo.
_shared = BASE_DIR.parent / "shared"
ENAMEL_DATA_DIR = Path(
    os.environ.get(
        "ENAMEL_DATA_DIR",
        _shared / "enamel" if (_shared / "enamel").is_dir() else VAR_DIR / "enamel",
    )
)
GENERATIONS_DIR = Path(os.environ.get("GENERATIONS_DIR", _shared / "generations"))
# Production insists on bubblewrap: a worker without it refuses to evaluate rather than run
# untrusted code unisolated. "auto" (the development default) falls back to rlimits only;
# "rlimits" is the operator's explicit choice of no isolation. Results record which ran.
SANDBOX_ISOLATION = os.environ.get("SANDBOX_ISOLATION", "auto" if DEBUG else "bubblewrap")
# Warm parents per worker under bubblewrap. With 2, one prepares the next run on a second core
# while the other's run is timed: faster, but only for a worker with two cores to itself, or
# its preparations slow the timed calls of other workers (see BENCHMARKS.md).
SANDBOX_ZYGOTES = int(os.environ.get("SANDBOX_ZYGOTES", "1"))
# Generated tests and answers, per problem (see evaluation.cache).
TEST_CACHE_DIR = Path(os.environ.get("TEST_CACHE_DIR", VAR_DIR / "tests"))

# One JSON object per line on stdout in production, for journald or docker to collect.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "json": {"()": "leaderboard.project.json_logging.JsonFormatter"},
        "text": {"format": "{asctime} {levelname} {name}: {message}", "style": "{"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "stream": "ext://sys.stdout",
            "formatter": "json" if env_bool("LOG_JSON", not DEBUG) else "text",
        }
    },
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
}
