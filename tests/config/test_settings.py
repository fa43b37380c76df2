"""Settings come from the environment; a bad value stops start-up and names the variable."""

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]

# Variables that settings.py reads; each subprocess starts without any of them from our own
# environment, so a developer's or CI's DATABASE_URL cannot change what is being checked.
SETTINGS_VARIABLES = {
    "ALLOWED_HOSTS",
    "BEHIND_TLS_PROXY",
    "CACHE_URL",
    "CELERY_BROKER_URL",
    "CELERY_TASK_ALWAYS_EAGER",
    "CSRF_TRUSTED_ORIGINS",
    "DATABASE_PREPARED_STATEMENTS",
    "DATABASE_URL",
    "DEBUG",
    "DEFAULT_FROM_EMAIL",
    "EMAIL_BACKEND",
    "EMAIL_HOST",
    "EMAIL_HOST_PASSWORD",
    "EMAIL_HOST_USER",
    "EMAIL_PORT",
    "EMAIL_TIMEOUT",
    "EMAIL_USE_SSL",
    "EMAIL_USE_TLS",
    "LOG_LEVEL",
    "SECRET_KEY",
    "SECURE_HSTS_PRELOAD",
    "SECURE_HSTS_SECONDS",
    "SECURE_SSL_REDIRECT",
    "SITE_URL",
    "TIME_ZONE",
    "TRUSTED_PROXY_COUNT",
}


def manage(args, tmp_path, **variables):
    env = {k: v for k, v in os.environ.items() if k not in SETTINGS_VARIABLES}
    # The browser tests set this for their own process; a deployment never has it.
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings",
        HOMEROOM_DATA_DIR=str(tmp_path / "var"),
        PYTHONDONTWRITEBYTECODE="1",
    )
    env.update({name: value for name, value in variables.items() if value is not None})
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def last_line(text):
    lines = [line for line in text.splitlines() if line.strip()]
    return lines[-1] if lines else ""


@pytest.mark.parametrize(
    ("variable", "variables"),
    [
        ("DEBUG", {"DEBUG": "maybe"}),
        ("EMAIL_PORT", {"EMAIL_HOST": "smtp.example.com", "EMAIL_PORT": "abc"}),
        ("DATABASE_URL", {"DATABASE_URL": "nonsense://x"}),
        ("CELERY_BROKER_URL", {"CELERY_BROKER_URL": "ftp://x"}),
        ("SITE_URL", {"SITE_URL": "notaurl"}),
        ("TIME_ZONE", {"TIME_ZONE": "Mars/Base"}),
        ("CACHE_URL", {"CACHE_URL": "memcached://x"}),
        ("TRUSTED_PROXY_COUNT", {"TRUSTED_PROXY_COUNT": "-1"}),
        ("SECRET_KEY", {"SECRET_KEY": None, "DEBUG": "0"}),
        ("OIDC_ISSUER_URL", {"OIDC_ISSUER_URL": "idp.example.com"}),
        ("OIDC_CLIENT_ID", {"OIDC_ISSUER_URL": "https://idp.example.com"}),
        ("OIDC_SSO_ONLY", {"OIDC_SSO_ONLY": "1"}),
    ],
)
def test_a_malformed_value_stops_start_up_and_names_the_variable(tmp_path, variable, variables):
    variables = {"SECRET_KEY": "a-secret-key-for-this-test", **variables}

    result = manage(["check"], tmp_path, **variables)

    assert result.returncode != 0, result.stdout + result.stderr
    # The last line of the traceback is the message a person reads first; the source lines
    # above it mention the names too, so only the message itself counts.
    message = last_line(result.stderr)
    assert "ImproperlyConfigured" in message, result.stderr
    assert variable in message, result.stderr


def test_the_embedded_defaults_start(tmp_path):
    result = manage(["check"], tmp_path, DEBUG="1")

    assert result.returncode == 0, result.stdout + result.stderr


def test_production_values_pass_the_deploy_checks_without_a_warning(tmp_path):
    result = manage(
        ["check", "--deploy", "--fail-level", "WARNING"],
        tmp_path,
        DEBUG="0",
        SECRET_KEY=secrets.token_urlsafe(60),
        ALLOWED_HOSTS="homeroom.example.com",
        SITE_URL="https://homeroom.example.com",
        DATABASE_URL=f"sqlite:///{tmp_path / 'homeroom.sqlite3'}",
        CELERY_BROKER_URL="redis://127.0.0.1:6379/0",
        EMAIL_HOST="smtp.example.com",
        EMAIL_PORT="587",
        DEFAULT_FROM_EMAIL="Homeroom <homeroom@example.com>",
    )

    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "WARNING" not in output.upper(), output
    assert "System check identified no issues" in output, output


def test_the_development_server_logs_pages_but_not_each_static_file(caplog):
    import logging

    server = logging.getLogger("django.server")
    with caplog.at_level(logging.INFO, logger="django.server"):
        server.info('"%s" %s %s', "GET /static/css/homeroom.css HTTP/1.1", "200", "9000")
        server.info('"%s" %s %s', "GET /c/ml/weeks/1/ HTTP/1.1", "200", "12000")
    messages = [record.getMessage() for record in caplog.records]
    assert messages == ['"GET /c/ml/weeks/1/ HTTP/1.1" 200 12000']
