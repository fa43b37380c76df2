"""Sign-in rate limits are shared by every process (a cache in the database, or Redis) and
count the client's address as the trusted proxy reports it, not the proxy's own."""

import json
import os

import pytest
import redis
from django.core.cache import caches
from django.urls import reverse

from tests.config.test_settings import manage

pytestmark = pytest.mark.django_db

TOO_MANY = "Too many failed login attempts"


def settings_in_a_fresh_process(tmp_path, **variables):
    code = (
        "import json; from django.conf import settings as s; "
        "print(json.dumps({'cache': s.CACHES['default'], "
        "'proxies': s.ALLAUTH_TRUSTED_PROXY_COUNT}))"
    )
    result = manage(["shell", "-c", code], tmp_path, SECRET_KEY="k", **variables)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_the_cache_is_the_database_by_default_and_redis_when_configured(tmp_path):
    default = settings_in_a_fresh_process(tmp_path)
    assert default["cache"]["BACKEND"] == "django.core.cache.backends.db.DatabaseCache"
    redis = settings_in_a_fresh_process(tmp_path, CACHE_URL="redis://127.0.0.1:6379/5")
    assert redis["cache"]["BACKEND"] == "django.core.cache.backends.redis.RedisCache"
    assert redis["cache"]["LOCATION"] == "redis://127.0.0.1:6379/5"


def test_the_trusted_proxy_count_comes_from_the_environment(tmp_path):
    assert settings_in_a_fresh_process(tmp_path)["proxies"] == 0
    assert settings_in_a_fresh_process(tmp_path, BEHIND_TLS_PROXY="1")["proxies"] == 1
    assert settings_in_a_fresh_process(tmp_path, TRUSTED_PROXY_COUNT="2")["proxies"] == 2


def failed_logins(client, count, address, start=0):
    """`count` failed logins (each for another address, so only the per-client limit
    counts) from `address`; True for each that was refused as one too many."""
    url = reverse("account_login")
    return [
        TOO_MANY
        in client.post(
            url,
            {"login": f"nobody{n}@example.com", "password": "wrong"},
            HTTP_X_FORWARDED_FOR=f"10.0.0.1, {address}",
        ).content.decode()
        for n in range(start, start + count)
    ]


def test_failed_logins_are_counted_per_client_behind_the_proxy(people, client, settings):
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 1
    # allauth allows 10 failed logins per client address and minute.
    assert not any(failed_logins(client, 10, "203.0.113.7"))
    assert failed_logins(client, 1, "203.0.113.7", start=10) == [True]
    # Someone else behind the same proxy (the same REMOTE_ADDR) is not locked out, and the
    # address a client writes into X-Forwarded-For itself (10.0.0.1 here) is not trusted.
    assert failed_logins(client, 1, "198.51.100.9", start=11) == [False]
    good = {"login": "org@example.com", "password": "correct-horse-battery-staple"}
    response = client.post(reverse("account_login"), good, HTTP_X_FORWARDED_FOR="198.51.100.9")
    assert response.status_code == 302


def test_without_a_trusted_proxy_the_socket_address_counts(people, client, settings):
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 0
    assert not any(failed_logins(client, 10, "203.0.113.7"))
    # X-Forwarded-For is ignored: a made-up address does not get around the limit.
    assert failed_logins(client, 1, "198.51.100.9", start=10) == [True]


def test_the_counters_are_in_the_shared_cache_not_in_one_process(people, client, settings):
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 1
    failed_logins(client, 3, "203.0.113.8")
    # A new cache connection, as another worker process would open, sees the counters.
    other_process = caches.create_connection("default")
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT cache_key FROM homeroom_cache")
        keys = [row[0] for row in cursor.fetchall()]
    assert any("203.0.113.8" in key for key in keys), keys
    assert any(other_process.get(key.split(":", 2)[-1]) for key in keys)


@pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="needs REDIS_URL (a real Redis)")
def test_the_counters_are_shared_through_redis(people, client, settings):
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 1
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": os.environ["REDIS_URL"],
            "KEY_PREFIX": "homeroom-test-ratelimit",
        }
    }
    from django.core.cache import cache

    cache.clear()
    try:
        assert not any(failed_logins(client, 10, "203.0.113.9"))
        # The counters are in Redis, where every worker process reads them.
        stored = redis.Redis.from_url(os.environ["REDIS_URL"]).keys("homeroom-test-ratelimit*")
        assert any(b"203.0.113.9" in key for key in stored), stored
        assert failed_logins(client, 1, "203.0.113.9", start=10) == [True]
    finally:
        cache.clear()
