"""The production shape, run for real: gunicorn serving the app with WhiteNoise and a CSP."""

import gzip
import os
import re
import secrets
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from tests.conftest import free_port

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def fetch(url, headers=None):
    opener = urllib.request.build_opener(NoRedirect)
    request = urllib.request.Request(url, headers=headers or {})
    try:
        response = opener.open(request, timeout=10)
    except urllib.error.HTTPError as error:
        response = error
    return response.status, response.headers, response.read()


def stop(server, timeout=10):
    """Ask the server to stop (SIGTERM); kill it if it has not stopped within `timeout`."""
    server.terminate()
    try:
        server.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait(timeout=timeout)


@pytest.fixture
def gunicorn(tmp_path):
    port = free_port()
    env = {
        key: value
        for key, value in os.environ.items()
        if key
        not in {"DATABASE_URL", "CELERY_BROKER_URL", "EMAIL_HOST", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    }
    env.update(
        DEBUG="0",
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS="127.0.0.1",
        SITE_URL=f"http://127.0.0.1:{port}",
        HOMEROOM_DATA_DIR=str(tmp_path),
    )
    for command in (["migrate", "--no-input"], ["collectstatic", "--no-input"]):
        subprocess.run(
            [sys.executable, "manage.py", *command],
            cwd=REPO,
            env=env,
            check=True,
            capture_output=True,
        )
    # Output goes to a file, not a pipe: an unread pipe fills up and blocks the server.
    log_path = tmp_path / "gunicorn.log"
    with log_path.open("wb") as log:
        server = subprocess.Popen(
            [
                str(BIN / "gunicorn"),
                "config.wsgi",
                "--bind",
                f"127.0.0.1:{port}",
                "--workers",
                "2",
                "--graceful-timeout",
                "5",
            ],
            cwd=REPO,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                fetch(f"{base}/healthz")
                break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    stop(server)
                    pytest.fail(f"gunicorn did not start:\n{log_path.read_text(errors='replace')}")
                time.sleep(0.2)
        yield base
    finally:
        stop(server)


def test_gunicorn_serves_pages_and_static_files_with_security_headers(gunicorn):
    status, _, body = fetch(f"{gunicorn}/healthz")
    assert status == 200 and b'"database": "ok"' in body and b'"broker": "ok"' in body

    status, headers, body = fetch(f"{gunicorn}/accounts/login/")
    assert status == 200
    csp = headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "style-src 'self'" in csp and "unsafe-inline" not in csp
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["X-Content-Type-Options"] == "nosniff"
    page = body.decode()
    assert "<script>" not in page and "style=" not in page
    # One render-blocking stylesheet (the screen styles joined), under a hashed name; the
    # print styles load without blocking.
    blocking = re.findall(r'<link rel="stylesheet" href="([^"]+)">', page)
    assert len(blocking) == 1 and re.fullmatch(
        r"/static/css/screen\.[0-9a-f]{12}\.css", blocking[0]
    )
    assert re.search(r'href="/static/css/print\.[0-9a-f]{12}\.css" media="print"', page)

    status, headers, css = fetch(gunicorn + blocking[0], {"Accept-Encoding": "gzip"})
    assert status == 200
    assert (
        "immutable" in headers["Cache-Control"] and "max-age=315360000" in headers["Cache-Control"]
    )
    assert headers["Content-Encoding"] == "gzip"
    css = gzip.decompress(css).decode()
    for part in ("homeroom", "assignments", "discussions", "curriculum", "notifications"):
        source = (REPO / "static" / "css" / f"{part}.css").read_text().strip()
        assert f"/* css/{part}.css */" in css and source[-200:] in css, part

    # The page itself: compressed when the browser says Homeroom asked for it, not when
    # another site did (BREACH).
    compress = {"Accept-Encoding": "gzip"}
    _, headers, body = fetch(f"{gunicorn}/accounts/login/", {**compress, "Sec-Fetch-Site": "none"})
    assert headers["Content-Encoding"] == "gzip" and b"Sign in" in gzip.decompress(body)
    for origin in ("cross-site", "same-site"):
        _, headers, body = fetch(
            f"{gunicorn}/accounts/login/", {**compress, "Sec-Fetch-Site": origin}
        )
        assert headers["Content-Encoding"] is None and b"Sign in" in body

    status, headers, _ = fetch(f"{gunicorn}/c/anything/")
    assert status == 302 and headers["Location"].startswith("/accounts/login/")
