"""/healthz against a real database and a real (or unreachable) Redis broker."""

import pytest

from config.celery import app as celery_app
from tests.conftest import free_port

pytestmark = [pytest.mark.integration, pytest.mark.django_db]


def point_broker_at(url, monkeypatch):
    # Celery reads CELERY_BROKER_URL from the environment before its own configuration,
    # as a deployment would set it; the conf entry is set too so neither can disagree.
    monkeypatch.setenv("CELERY_BROKER_URL", url)
    monkeypatch.setitem(celery_app.conf, "broker_url", url)


def test_healthz_answers_ok_with_real_postgresql_and_redis(
    postgresql, redis_url, client, monkeypatch
):
    point_broker_at(redis_url, monkeypatch)

    response = client.get("/healthz")

    assert response.status_code == 200, response.content
    body = response.json()
    assert body == {"status": "ok", "database": "ok", "broker": "ok"}


def test_healthz_answers_503_and_names_the_broker_when_redis_is_unreachable(client, monkeypatch):
    closed_port = free_port()
    point_broker_at(f"redis://127.0.0.1:{closed_port}/0", monkeypatch)

    response = client.get("/healthz")

    assert response.status_code == 503, response.content
    body = response.json()
    assert body["status"] == "unhealthy"
    assert body["database"] == "ok"
    assert body["broker"].startswith("unreachable"), body
