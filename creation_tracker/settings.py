"""Settings for the rectification ledger, driven by environment variables.

Every variable is listed in docs/configuration.md. The defaults make a
development machine work with no configuration: SQLite in the project folder, Redis on
127.0.0.1:6379, DEBUG on.
"""

import datetime
import os
from pathlib import Path

import dj_database_url
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str) -> list[str]:
    return [part.strip() for part in os.environ.get(name, default).split(",") if part.strip()]


DEBUG = env_bool("DJANGO_DEBUG", True)
SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise RuntimeError("DJANGO_SECRET_KEY must be set when DJANGO_DEBUG is off")
    SECRET_KEY = "dev-only-insecure-key-do-not-use-in-production"

ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", "127.0.0.1,localhost,testserver")
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS", "")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_filters",
    "captcha",  # django-simple-captcha: the public report form's offline captcha
    "issues.apps.LoginGuardConfig",  # django-axes, named for the admin
    "issues",
    "demo",
]
# the benchmark (make bench) is a development tool, not part of a deployment
if DEBUG or env_bool("LEDGER_BENCH", False):
    INSTALLED_APPS.append("bench")

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "issues.middleware.ContentSecurityPolicyMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "issues.middleware.ChosenLanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "issues.middleware.RequestSizeLimitMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "creation_tracker.urls"

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
                "django.template.context_processors.i18n",
                "issues.context_processors.roles",
            ],
        },
    },
]

WSGI_APPLICATION = "creation_tracker.wsgi.application"
ASGI_APPLICATION = "creation_tracker.asgi.application"

# Database: SQLite in a git-ignored file by default; DATABASE_URL picks another
# (sqlite:////abs/path.sqlite3, postgres://user:pass@host:5432/db).
DEFAULT_SQLITE_PATH = BASE_DIR / "var" / "db.sqlite3"
DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL") or f"sqlite:///{DEFAULT_SQLITE_PATH}",
        conn_max_age=int(os.environ.get("DATABASE_CONN_MAX_AGE", "0")),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the web server read while the nightly job writes; IMMEDIATE
    # transactions take the write lock up front instead of failing half-way.
    # A 16 MB page cache per connection: the operating system caches the file anyway, and a larger
    # one was most of an export's or a web worker's memory.
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": (
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON; "
            "PRAGMA busy_timeout=20000; PRAGMA cache_size=-16384; PRAGMA temp_store=MEMORY;"
        ),
    }
    Path(DATABASES["default"]["NAME"]).parent.mkdir(parents=True, exist_ok=True)

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "issues.core.validators.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Failed logins (django-axes): after AXES_FAILURE_LIMIT wrong passwords for one username from one
# address, that pair waits AXES_COOLOFF_MINUTES; a right password clears the count.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "issues.core.backends.LedgerBackend",
]
AXES_ENABLED = env_bool("AXES_ENABLED", True)
AXES_FAILURE_LIMIT = int(os.environ.get("AXES_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = datetime.timedelta(minutes=int(os.environ.get("AXES_COOLOFF_MINUTES", "15")))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "issues.views.errors.login_locked"
AXES_VERBOSE = False

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
# A session lasts SESSION_COOKIE_AGE from sign-in (12 hours: a working day), however active.
SESSION_COOKIE_AGE = int(os.environ.get("SESSION_COOKIE_AGE", str(60 * 60 * 12)))
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_FAILURE_VIEW = "issues.views.errors.csrf_failure"

# Language and time: Simplified Chinese by default, English on request;
# deadlines are local dates in TIME_ZONE.
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = os.environ.get("TIME_ZONE", "Asia/Shanghai")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", BASE_DIR / "var" / "staticfiles"))
# With DEBUG off, WhiteNoise serves the files collectstatic gathered, named by their content (so browsers
# keep them for a year) and compressed ahead (gzip and brotli); with DEBUG on, straight from static/.
STATIC_MANIFEST = env_bool("STATIC_MANIFEST", not DEBUG)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage" if STATIC_MANIFEST
                    else "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# the favicon, robots.txt: files browsers ask for at the site's root
WHITENOISE_ROOT = BASE_DIR / "static" / "root"

# Uploaded photos default to a git-ignored folder in the project.
MEDIA_URL = "media/"
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", BASE_DIR / "var" / "media"))
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
# Photos: the largest file accepted, and how many in one form.
PHOTO_MAX_BYTES = int(os.environ.get("PHOTO_MAX_BYTES", str(15 * 1024 * 1024)))
PHOTO_MAX_FILES = int(os.environ.get("PHOTO_MAX_FILES", "9"))
DATA_UPLOAD_MAX_NUMBER_FILES = PHOTO_MAX_FILES + 1
# Excel imports: the largest file, what it may unpack to, the largest compression ratio of one part
# (zip bombs), and from how many rows an import or export runs as a Celery task with a progress bar.
IMPORT_MAX_BYTES = int(os.environ.get("IMPORT_MAX_BYTES", str(20 * 1024 * 1024)))
IMPORT_MAX_UNPACKED_BYTES = int(os.environ.get("IMPORT_MAX_UNPACKED_BYTES", str(300 * 1024 * 1024)))
IMPORT_MAX_RATIO = int(os.environ.get("IMPORT_MAX_RATIO", "200"))
IMPORT_ASYNC_ROWS = int(os.environ.get("IMPORT_ASYNC_ROWS", "10000"))
EXPORT_ASYNC_ROWS = int(os.environ.get("EXPORT_ASYNC_ROWS", "5000"))
DATA_UPLOAD_MAX_MEMORY_SIZE = int(os.environ.get("DATA_UPLOAD_MAX_MEMORY_SIZE", str(40 * 1024 * 1024)))
DATA_UPLOAD_MAX_NUMBER_FIELDS = int(os.environ.get("DATA_UPLOAD_MAX_NUMBER_FIELDS", "2000"))
# Materials (材料申报): the largest file a unit uploads, and how many in one submission.
MATERIAL_MAX_BYTES = int(os.environ.get("MATERIAL_MAX_BYTES", str(20 * 1024 * 1024)))
MATERIAL_MAX_FILES = int(os.environ.get("MATERIAL_MAX_FILES", "5"))
# The whole request body, files included: the largest import or a form's photos, with room for the form.
REQUEST_MAX_BYTES = int(os.environ.get("REQUEST_MAX_BYTES", str(
    max(IMPORT_MAX_BYTES, PHOTO_MAX_BYTES * PHOTO_MAX_FILES, MATERIAL_MAX_BYTES * MATERIAL_MAX_FILES) + 1024 * 1024)))

# Citizen reports (随手拍, the public form and Open311): reports an hour from one address and from one
# phone number, photos and bytes in one report, and the days after closure the reporter may answer
# "fixed" / "not fixed". From the second report of a browser session, the form asks a captcha.
REPORTS_PER_HOUR = int(os.environ.get("REPORTS_PER_HOUR", "5"))
REPORT_MAX_PHOTOS = int(os.environ.get("REPORT_MAX_PHOTOS", "6"))
REPORT_MAX_BYTES = int(os.environ.get("REPORT_MAX_BYTES", str(40 * 1024 * 1024)))
REPORT_FEEDBACK_DAYS = int(os.environ.get("REPORT_FEEDBACK_DAYS", "7"))
# Surveys (问卷调查) answered by the public: answers an hour from one network address (a school's or a
# company's network shares one), and from how many in the hour the form asks a captcha.
SURVEY_ANSWERS_PER_HOUR = int(os.environ.get("SURVEY_ANSWERS_PER_HOUR", "30"))
SURVEY_CAPTCHA_AFTER = int(os.environ.get("SURVEY_CAPTCHA_AFTER", "3"))
# Open311's discovery: whom other systems' developers ask, and how they get an api_key
OPEN311_CONTACT = os.environ.get("OPEN311_CONTACT", "市创文办")
OPEN311_KEY_SERVICE = os.environ.get("OPEN311_KEY_SERVICE", "向市创文办申请，由工作人员在配置后台签发")
# the captcha is drawn here (no outside service): a small sum to work out, images stored in the database
CAPTCHA_CHALLENGE_FUNCT = "captcha.helpers.math_challenge"
CAPTCHA_MATH_CHALLENGE_OPERATOR = "+"
CAPTCHA_IMAGE_SIZE = (120, 44)
CAPTCHA_FONT_SIZE = 30
CAPTCHA_TIMEOUT = 10  # minutes
CAPTCHA_LETTER_ROTATION = (-15, 15)
CAPTCHA_NOISE_FUNCTIONS = ("captcha.helpers.noise_dots",)

# Redis and Celery.
REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL", REDIS_URL)
CELERY_RESULT_BACKEND = os.environ.get("CELERY_RESULT_BACKEND", REDIS_URL)
CELERY_TIMEZONE = TIME_ZONE
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", False)
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BEAT_SCHEDULE_FILENAME = str(BASE_DIR / "var" / "celerybeat-schedule")

# The nightly job: local time of day (HH:MM), or every N seconds (for tests and demos).
NIGHTLY_JOB_TIME = os.environ.get("NIGHTLY_JOB_TIME", "00:30")
NIGHTLY_JOB_EVERY_SECONDS = float(os.environ.get("NIGHTLY_JOB_EVERY_SECONDS", "0"))
NIGHTLY_JOB_LOCK_SECONDS = int(os.environ.get("NIGHTLY_JOB_LOCK_SECONDS", str(6 * 3600)))


def _nightly_schedule():
    from celery.schedules import crontab

    if NIGHTLY_JOB_EVERY_SECONDS > 0:
        return NIGHTLY_JOB_EVERY_SECONDS
    hour, minute = (int(part) for part in NIGHTLY_JOB_TIME.split(":"))
    return crontab(hour=hour, minute=minute)


CELERY_BEAT_SCHEDULE = {
    "nightly-escalations": {"task": "issues.run_nightly_job", "schedule": _nightly_schedule()},
    "retry-outbound-messages": {"task": "issues.retry_outbound", "schedule": 300.0},
    "receipt-reminders": {"task": "issues.remind_unacknowledged", "schedule": 900.0},
}

# The office's working hours on a working day: notices unacknowledged after Policy's number of
# working hours are reminded (签收提醒), counted in these hours only.
OFFICE_HOURS = os.environ.get("OFFICE_HOURS", "08:30-12:00,14:00-17:30")

# Absolute links in emails and robot messages.
SITE_URL = os.environ.get("SITE_URL", "http://127.0.0.1:8000").rstrip("/")
WEBHOOK_TIMEOUT_SECONDS = float(os.environ.get("WEBHOOK_TIMEOUT_SECONDS", "5"))
OUTBOUND_MAX_ATTEMPTS = int(os.environ.get("OUTBOUND_MAX_ATTEMPTS", "6"))

EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = os.environ.get("EMAIL_HOST", "127.0.0.1")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "25"))
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "chuangwen@localhost")

# Production hardening, on whenever DEBUG is off.
if not DEBUG:
    SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", True)
    CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", True)
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", "31536000"))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# Content-Security-Policy on every response (issues.middleware); empty turns it off.
CONTENT_SECURITY_POLICY = os.environ.get("CONTENT_SECURITY_POLICY", "; ".join([
    "default-src 'self'", "script-src 'self'", "style-src 'self' 'unsafe-inline'", "img-src 'self' data: blob:",
    "font-src 'self'", "connect-src 'self'", "object-src 'none'", "base-uri 'self'", "form-action 'self'",
    "frame-ancestors 'none'",
]))
X_FRAME_OPTIONS = "DENY"
SECURE_REFERRER_POLICY = "same-origin"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    # a refused or missing page is one line; a server error keeps its traceback
    "filters": {"refusals_in_one_line": {"()": "issues.core.logfilters.RefusalsInOneLine"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "filters": ["refusals_in_one_line"]}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"}, "axes": {"level": "WARNING"},
        # Django's request loggers would hand the record to the root's handler a second time
        "django": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO"), "propagate": False},
    },
}

# Human-readable labels reused by several modules.
SITE_TITLE = _("创文整改台账")
