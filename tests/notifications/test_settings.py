"""Celery beat runs dispatch every DISPATCH_INTERVAL_SECONDS; bad values stop start-up."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

from config.celery import app

REPO = Path(__file__).resolve().parents[2]
OURS = {"DISPATCH_INTERVAL_SECONDS", "SLACK_WEBHOOK_URL_PREFIXES", "SLACK_TIMEOUT_SECONDS"}


def settings_value(expression, tmp_path, **variables):
    env = {k: v for k, v in os.environ.items() if k not in OURS and k != "DATABASE_URL"}
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings",
        SECRET_KEY="settings-test",
        HOMEROOM_DATA_DIR=str(tmp_path),
        **variables,
    )
    code = f"import django; django.setup(); from django.conf import settings; print({expression})"
    return subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, env=env, capture_output=True, text=True, timeout=60
    )


def test_beat_runs_the_dispatch_task_every_five_minutes_by_default():
    entry = settings.CELERY_BEAT_SCHEDULE["dispatch"]
    assert entry["task"] == "notifications.tasks.dispatch_due"
    assert entry["task"] in app.tasks
    assert entry["schedule"] == settings.DISPATCH_INTERVAL_SECONDS
    assert entry["options"]["expires"] == entry["schedule"]


def test_the_interval_comes_from_the_environment(tmp_path):
    result = settings_value(
        "settings.CELERY_BEAT_SCHEDULE['dispatch']['schedule']",
        tmp_path,
        DISPATCH_INTERVAL_SECONDS="120",
    )
    assert result.stdout.strip() == "120", result.stderr
    assert settings_value("settings.DISPATCH_INTERVAL_SECONDS", tmp_path).stdout.strip() == "300"


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("DISPATCH_INTERVAL_SECONDS", "often", "DISPATCH_INTERVAL_SECONDS must be a whole number"),
        ("DISPATCH_INTERVAL_SECONDS", "0", "DISPATCH_INTERVAL_SECONDS must be between 1 and 3600"),
        ("SLACK_TIMEOUT_SECONDS", "600", "SLACK_TIMEOUT_SECONDS must be between 1 and 60"),
        ("SLACK_WEBHOOK_URL_PREFIXES", "hooks.slack.com", "SLACK_WEBHOOK_URL_PREFIXES must list"),
    ],
)
def test_a_bad_value_stops_start_up_and_names_the_variable(tmp_path, variable, value, message):
    result = settings_value("1", tmp_path, **{variable: value})
    assert result.returncode != 0
    assert message in result.stderr
