"""ClubCycle settings: one file, every deployment knob from the environment.

With no environment at all the project runs on SQLite, an on-disk Celery broker,
console email and the database SMS backend, so `make demo` works on a bare machine.
"""

import zoneinfo
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"

env = environ.Env()
if (BASE_DIR / ".env").exists():
    env.read_env(BASE_DIR / ".env")

DEVELOPMENT_SECRET_KEY = "clubcycle-development-only-never-use-in-production"

DEBUG = env.bool("DEBUG", default=True)
SECRET_KEY = env.str("SECRET_KEY", default=DEVELOPMENT_SECRET_KEY)
if not DEBUG and (SECRET_KEY == DEVELOPMENT_SECRET_KEY or len(SECRET_KEY) < 50):
    raise ImproperlyConfigured(
        "DEBUG is off: set SECRET_KEY to a random string of 50+ characters "
        "(the development key is refused in production)."
    )

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000")

INSTALLED_APPS = [
    # Ours, lowest layer first (see docs/architecture.md for the one-way flow).
    "club",
    "members",
    "memberships",
    "checkin",
    "campaigns",
    "analytics",
    "cms",
    # Wagtail: staff back-office and public site.
    "wagtail.contrib.forms",
    "wagtail.contrib.redirects",
    "wagtail.contrib.settings",
    "wagtail.embeds",
    "wagtail.sites",
    "wagtail.users",
    "wagtail.snippets",
    "wagtail.documents",
    "wagtail.images",
    "wagtail.search",
    "wagtail.admin",
    "wagtail",
    "modelcluster",
    "taggit",
    # Third party.
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",  # Redoc and Swagger UI as static files: /api/docs/ offline
    "django_filters",
    "phonenumber_field",
    "django_htmx",
    # Django.
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "django.contrib.humanize",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # After the user is known: staff without a zone of their own see their club's clock.
    "club.time_zones.StaffTimeZoneMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "wagtail.contrib.redirects.middleware.RedirectMiddleware",
]

ROOT_URLCONF = "club.urls"
WSGI_APPLICATION = "club.wsgi.application"

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
                "wagtail.contrib.settings.context_processors.settings",
            ],
        },
    },
]

DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'clubcycle.sqlite3'}"),
}
# Production keeps each worker's connection (and the turnstile's server-side prepared
# statements, club/prepared.py) between requests; runserver's thread per request would
# only pile connections up, so the development default is a connection per request.
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=0 if DEBUG else 60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Several processes (web, worker, beat) share the demo database file.
    DATABASES["default"]["OPTIONS"] = {"timeout": 20, "transaction_mode": "IMMEDIATE"}
elif "postgresql" in DATABASES["default"]["ENGINE"]:
    # PostgreSQL's JIT compiles the lifecycle's correlated subqueries for longer than they
    # run (benchmarks/lifecycle.py: evaluation 37 s → 15 s without it); short OLTP queries
    # never gain from it either.
    DATABASES["default"].setdefault("OPTIONS", {})["options"] = "-c jit=off"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

CACHES = {"default": env.cache("CACHE_URL", default="locmemcache://")}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "wagtailadmin_login"
# Staff sign in with a password; members sign in to the portal with a one-time link
# emailed to them (django-sesame tokens, see cms/portal/auth.py).
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "sesame.backends.ModelBackend",
]
# A sign-in link works once (logging in changes last_login, which the token is signed
# with) and for 15 minutes.
SESAME_MAX_AGE = env.int("SESAME_MAX_AGE", default=15 * 60)
SESAME_ONE_TIME = True
# Sign-in link requests allowed per email address and per client IP: "<count>/<n>m".
# The IP limit is looser: members on the club's Wi-Fi share one address.
PORTAL_LOGIN_RATE = {
    "email": env.str("PORTAL_LOGIN_RATE_EMAIL", default="5/15m"),
    "ip": env.str("PORTAL_LOGIN_RATE_IP", default="30/15m"),
}

LANGUAGE_CODE = "en"
# Dates and times as European staff read them ("18 Nov 2026, 08:10"), not US English's.
FORMAT_MODULE_PATH = ["club.formats"]
# Stored in UTC (USE_TZ); every club schedules in its own time zone (club.clock). The
# back-office shows and takes times in the staff member's club's zone (club.time_zones), or in
# one they pick in their profile; TIME_ZONE is for everyone else.
DEFAULT_CLUB_TIME_ZONE = env.str("DEFAULT_CLUB_TIME_ZONE", default="Europe/Amsterdam")
TIME_ZONE = DEFAULT_CLUB_TIME_ZONE
USE_I18N = True
USE_TZ = True
DEFAULT_CURRENCY = env.str("DEFAULT_CURRENCY", default="EUR")
PHONENUMBER_DEFAULT_REGION = env.str("PHONENUMBER_DEFAULT_REGION", default="NL")

STATIC_URL = "static/"
STATIC_ROOT = env.path("STATIC_ROOT", default=VAR_DIR / "static")
# static_build/ holds browser libraries from npm (`make install`); absent without npm.
STATICFILES_DIRS = [BASE_DIR / "static"] + [
    folder for folder in [BASE_DIR / "static_build"] if folder.is_dir()
]
MEDIA_URL = "media/"
MEDIA_ROOT = env.path("MEDIA_ROOT", default=VAR_DIR / "media")
# Member photos are personal data: not under MEDIA_ROOT, served only by signed links.
MEMBER_PHOTOS_ROOT = env.path("MEMBER_PHOTOS_ROOT", default=VAR_DIR / "member_photos")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}

# Email: console by default; any anymail backend or SMTP through EMAIL_URL.
EMAIL_CONFIG = env.email("EMAIL_URL", default="consolemail://")
vars().update(EMAIL_CONFIG)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="ClubCycle <no-reply@localhost>")

# Integrations are off by default; when on, their keys are required at start-up.
# Stripe (online renewal in the portal, memberships/stripe/) is on once a secret key is set;
# without one the portal says "pay at the front desk" and nothing calls Stripe.
STRIPE_SECRET_KEY = env.str("STRIPE_SECRET_KEY", default="")
STRIPE_WEBHOOK_SECRET = env.str("STRIPE_WEBHOOK_SECRET", default="")
STRIPE_ENABLED = env.bool("STRIPE_ENABLED", default=bool(STRIPE_SECRET_KEY))
if STRIPE_ENABLED and not (STRIPE_SECRET_KEY and STRIPE_WEBHOOK_SECRET):
    # A checkout whose webhook cannot be verified would take the money and renew nothing.
    raise ImproperlyConfigured(
        "Stripe is on: set both STRIPE_SECRET_KEY and STRIPE_WEBHOOK_SECRET "
        "(or STRIPE_ENABLED=false)."
    )
# Tests point the SDK at a fake Stripe; empty means api.stripe.com.
STRIPE_API_BASE = env.str("STRIPE_API_BASE", default="")
TWILIO_ENABLED = env.bool("TWILIO_ENABLED", default=False)
if TWILIO_ENABLED:
    TWILIO_ACCOUNT_SID = env.str("TWILIO_ACCOUNT_SID")
    TWILIO_AUTH_TOKEN = env.str("TWILIO_AUTH_TOKEN")
else:
    TWILIO_ACCOUNT_SID = TWILIO_AUTH_TOKEN = ""
# Tests and the benchmark point the SDK at a local fake Twilio; empty means api.twilio.com.
TWILIO_API_BASE = env.str("TWILIO_API_BASE", default="")
# The sender of clubs without their own number (Club.sms_sender).
TWILIO_DEFAULT_SENDER = env.str("TWILIO_DEFAULT_SENDER", default="ClubCycle")
# Segments per second one sender number may send (Twilio queues beyond its own limit).
TWILIO_SEGMENTS_PER_SECOND = env.int("TWILIO_SEGMENTS_PER_SECOND", default=10)

# Lifecycle message channels, chosen like email backends: dotted paths per channel.
# Without Twilio the demo's SMS go to the console (and the outbox keeps the text).
CAMPAIGN_CHANNELS = {
    "sms": env.str(
        "CAMPAIGN_SMS_BACKEND",
        default="campaigns.channels.twilio_sms.TwilioSMS"
        if TWILIO_ENABLED
        else "campaigns.channels.console.ConsoleSMS",
    ),
    "email": env.str("CAMPAIGN_EMAIL_BACKEND", default="campaigns.channels.email.EmailChannel"),
    "task": env.str("CAMPAIGN_TASK_BACKEND", default="campaigns.channels.staff_task.StaffTask"),
}
# A touchpoint left in "sending" longer than this (its worker died) is reconciled with the
# provider and sent only if the provider never got it.
CAMPAIGN_SENDING_LEASE_SECONDS = env.int("CAMPAIGN_SENDING_LEASE_SECONDS", default=300)

# Celery: an on-disk broker by default (no server needed), Redis via CELERY_BROKER_URL.
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="filesystem://")
CELERY_BROKER_FOLDER = VAR_DIR / "celery" / "broker"
if CELERY_BROKER_URL.startswith("filesystem://"):
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(CELERY_BROKER_FOLDER),
        "data_folder_out": str(CELERY_BROKER_FOLDER),
        "processed_folder": str(VAR_DIR / "celery" / "processed"),
        # Broadcast (pidbox) messages; kombu's default is ./control in the working directory.
        "control_folder": str(VAR_DIR / "celery" / "control"),
        "store_processed": False,
    }
else:
    CELERY_BROKER_TRANSPORT_OPTIONS = {}
CELERY_RESULT_BACKEND = env.str("CELERY_RESULT_BACKEND", default=None)
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
# A task that dies with its worker is redelivered rather than lost; tasks are idempotent.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# Celery closes the database connection around every task unless this is set; with it, it
# does so only every 2,000 tasks, and club/celery.py applies Django's CONN_MAX_AGE instead.
CELERY_DB_REUSE_MAX = 1000
CELERY_TIMEZONE = "UTC"

REST_FRAMEWORK = {
    # Our /api/v1/ views name their bearer-token auth and scopes (club.api.IntegrationAPI);
    # Wagtail's admin API names session auth. A view that names nothing gets no user and is
    # refused, rather than inheriting token scopes that Wagtail's views would fail.
    "DEFAULT_AUTHENTICATION_CLASSES": [],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_PAGINATION_CLASS": "club.api.Pagination",
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    # DRF's three, with JSON that is nested too deeply a 400 rather than a 500.
    "DEFAULT_PARSER_CLASSES": [
        "club.parsers.JSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "UNAUTHENTICATED_USER": None,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "ClubCycle API",
    "DESCRIPTION": "Check-ins for turnstiles and card readers; member lookup and lead capture "
    "for websites; changed members for exports (`updated_since`). Authenticate with "
    "`Authorization: Bearer <integration token>`.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # Wagtail's own DRF views would otherwise leak into our schema.
    "PREPROCESSING_HOOKS": ["club.api.only_our_api"],
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "club.api.request_bodies_required",
    ],
    "COMPONENT_SPLIT_REQUEST": True,
    # Enums named for what they are, not "ReasonEnum" and "CodeEnum".
    "ENUM_NAME_OVERRIDES": {
        "CheckInReasonEnum": "checkin.api.REASON_CHOICES",
        "KnownElsewhereCodeEnum": "members.api.KNOWN_ELSEWHERE_CODES",
    },
    # The docs' JavaScript from our static files (drf-spectacular-sidecar), not a CDN: the
    # page must work on a club's network without internet.
    "REDOC_DIST": "SIDECAR",
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
}

WAGTAIL_SITE_NAME = env.str("WAGTAIL_SITE_NAME", default="ClubCycle")
WAGTAILADMIN_BASE_URL = SITE_URL
WAGTAILSEARCH_BACKENDS = {"default": {"BACKEND": "wagtail.search.backends.database"}}
WAGTAIL_ENABLE_UPDATE_CHECK = False
# No avatars from gravatar.com: they would hand a hash of every staff member's email to a
# third party on each back-office page, and fail on a club's offline network.
WAGTAIL_GRAVATAR_PROVIDER_URL = None
# The zones a staff member may pick in their account: the named ones. The system's list also
# holds aliases of the host's own zone ("localtime", "posixrules") that browsers reject.
WAGTAIL_USER_TIME_ZONES = sorted(
    zone for zone in zoneinfo.available_timezones() if "/" in zone or zone == "UTC"
)
WAGTAILDOCS_EXTENSIONS = ["csv", "pdf", "xlsx", "docx", "txt"]

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
}

if not DEBUG:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    USE_X_FORWARDED_HOST = env.bool("USE_X_FORWARDED_HOST", default=True)
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    # A load balancer checks health over plain HTTP, inside the network.
    SECURE_REDIRECT_EXEMPT = [r"^health/"]
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_CONTENT_TYPE_NOSNIFF = True
