"""WSGI entry points for the load benchmarks only (`manage.py load_mark_watched`,
`session_poll_benchmark`): the product plus the bench-only minimal page, on plain static
storage; and the poll benchmark's floor. Never deployed."""

import os

import django
from django.conf import settings

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
django.setup()
settings.ROOT_URLCONF = "discussions.management.commands._perf_urls"
settings.STORAGES = {
    **settings.STORAGES,
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

from django.core.wsgi import get_wsgi_application  # noqa: E402

application = get_wsgi_application()


def not_modified(environ, start_response):
    """The poll benchmark's floor: a poll answered "304, nothing changed" with no work at
    all, so what remains is gunicorn's own cost per request (session_poll_benchmark)."""
    start_response("304 Not Modified", [("ETag", environ.get("HTTP_IF_NONE_MATCH", '""'))])
    return [b""]
