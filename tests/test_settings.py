"""Production settings: refuse the development key, and pass Django's deployment checks.

Settings are read once per process, so each case runs in a fresh interpreter with an
environment built here from nothing (never the test run's own, which may point at
PostgreSQL, Redis or a developer's keys).
"""

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

from club.settings import DEVELOPMENT_SECRET_KEY

BASE_DIR = Path(__file__).resolve().parent.parent


def run_python(*args: str, **env: str) -> subprocess.CompletedProcess:
    clean_env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": os.environ.get("HOME", "/tmp"),
        "LANG": "C.UTF-8",
        "DJANGO_SETTINGS_MODULE": "club.settings",
        "PYTHONDONTWRITEBYTECODE": "1",
        **env,
    }
    return subprocess.run(
        [sys.executable, *args],
        cwd=BASE_DIR,
        env=clean_env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.mark.parametrize(
    "secret_key",
    [pytest.param(None, id="no-key"), pytest.param(DEVELOPMENT_SECRET_KEY, id="development-key")],
)
def test_production_refuses_the_development_secret_key(secret_key):
    # given DEBUG off and no secret key, or the development one
    env = {"DEBUG": "false"} | ({"SECRET_KEY": secret_key} if secret_key else {})

    # when Django starts
    result = run_python("-c", "import django; django.setup()", **env)

    # then it stops with a message that says what to do
    assert result.returncode != 0
    assert "django.core.exceptions.ImproperlyConfigured: DEBUG is off: set SECRET_KEY" in (
        result.stderr
    )


def test_production_settings_pass_the_deployment_checks():
    # given DEBUG off, a long random key and a host name
    env = {
        "DEBUG": "false",
        "SECRET_KEY": secrets.token_urlsafe(64),
        "ALLOWED_HOSTS": "club.example.com",
    }

    # when Django's deployment checks run, failing on any warning
    result = run_python("manage.py", "check", "--deploy", "--fail-level", "WARNING", **env)

    # then they pass
    assert result.returncode == 0, result.stderr
    assert "System check identified no issues" in result.stdout


@pytest.mark.parametrize(
    "env, enabled",
    [
        pytest.param({}, "False", id="no key: off"),
        pytest.param(
            {"STRIPE_SECRET_KEY": "sk_test_x", "STRIPE_WEBHOOK_SECRET": "whsec_x"}, "True", id="on"
        ),
        pytest.param(
            {
                "STRIPE_SECRET_KEY": "sk_test_x",
                "STRIPE_WEBHOOK_SECRET": "whsec_x",
                "STRIPE_ENABLED": "false",
            },
            "False",
            id="switched off",
        ),
    ],
)
def test_stripe_is_on_once_its_keys_are_set(env, enabled):
    show = "import django; django.setup(); from django.conf import settings; "
    result = run_python("-c", show + "print(settings.STRIPE_ENABLED)", **env)

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == enabled


@pytest.mark.parametrize(
    "env",
    [
        pytest.param({"STRIPE_SECRET_KEY": "sk_test_x"}, id="no webhook secret"),
        pytest.param({"STRIPE_ENABLED": "true"}, id="no keys"),
    ],
)
def test_stripe_on_with_a_key_missing_refuses_to_start(env):
    # A checkout whose webhook cannot be verified would take money and renew nothing.
    result = run_python("-c", "import django; django.setup()", **env)

    assert result.returncode != 0
    assert "Stripe is on: set both STRIPE_SECRET_KEY and STRIPE_WEBHOOK_SECRET" in result.stderr


@pytest.mark.parametrize(
    "env, seconds",
    [
        pytest.param({}, "0", id="development: a connection per request"),
        pytest.param(
            {"DEBUG": "false", "SECRET_KEY": "k" * 64}, "60", id="production: kept for a minute"
        ),
        pytest.param(
            {"DEBUG": "false", "SECRET_KEY": "k" * 64, "CONN_MAX_AGE": "5"}, "5", id="as set"
        ),
        pytest.param({"CONN_MAX_AGE": "nope"}, None, id="not a number"),
    ],
)
def test_production_keeps_database_connections(env, seconds):
    show = "import django; django.setup(); from django.db import connection as c; "
    result = run_python(
        "-c",
        show + "print(c.settings_dict['CONN_MAX_AGE'], c.settings_dict['CONN_HEALTH_CHECKS'])",
        **env,
    )

    if seconds is None:
        assert result.returncode != 0
        assert "invalid literal for int()" in result.stderr
    else:
        assert result.returncode == 0, result.stderr
        assert result.stdout.split() == [seconds, "True"]


def test_production_static_files_collect(tmp_path):
    # given production settings, which serve hashed and compressed files through WhiteNoise
    env = {"DEBUG": "false", "SECRET_KEY": "k" * 64, "STATIC_ROOT": str(tmp_path)}

    # when a release collects the static files
    result = run_python("manage.py", "collectstatic", "--noinput", "-v0", **env)

    # then every file collects, scripts with their source maps, and the manifest names them
    assert result.returncode == 0, result.stderr
    manifest = (tmp_path / "staticfiles.json").read_text()
    assert '"wagtailadmin/css/core.css"' in manifest
    assert '"checkin/desk.js"' in manifest
    if (BASE_DIR / "static_build" / "vendor" / "chart.umd.js").exists():  # npm was there
        assert '"vendor/chart.umd.js"' in manifest


def test_production_health_check_answers_over_plain_http():
    # A load balancer checks inside the network, without TLS; everything else goes to HTTPS.
    show = (
        "import django; django.setup(); from django.test import Client; c = Client(); "
        "print(c.get('/health/').status_code, c.get('/admin/login/').status_code)"
    )
    result = run_python("-c", show, DEBUG="false", SECRET_KEY="k" * 64)

    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["200", "301"]
