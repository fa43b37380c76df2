"""Slack incoming webhooks: message pieces that are escaped and within Slack's limits, and the POST.

Everything a person typed (titles, links, muddiest points) reaches Slack through `escape` or
`link`, so nobody can slip `<!channel>` or a disguised link into a cohort's channel. Messages
are cut to Slack's limits here (50 blocks, 3,000 characters in a section) rather than
rejected by Slack. `post` turns Slack's answer into one of the exceptions below; what to do
about it (disable the webhook, retry later, give up) is decided in `notifications/outbox.py`.
"""

import contextlib
import http.client
import json
import re
import socket
import threading
from urllib.parse import urlsplit

from django.conf import settings

from cohorts.models import DigestCadence

MAX_BLOCKS = 50
MAX_SECTION_TEXT = 3000
MAX_FALLBACK_TEXT = 3000
DEFAULT_RETRY_AFTER = 30
MAX_RETRY_AFTER = 3600


class SlackError(Exception):
    """Slack did not take the message."""


class SlackGone(SlackError):
    """403, 404 or 410: the webhook was revoked, or its channel archived or deleted."""


class SlackRateLimited(SlackError):
    """429: try again after `retry_after` seconds."""

    def __init__(self, message, retry_after):
        super().__init__(message)
        self.retry_after = retry_after


class SlackUnavailable(SlackError):
    """5xx, a timeout or a broken connection: worth another try later."""


class SlackRejected(SlackError):
    """Any other answer (e.g. 400 invalid_payload): retrying the same message will not help."""


# --- Text --------------------------------------------------------------------------------


def escape(text):
    """Slack's three control characters, so user text stays text (no mentions, no links)."""
    return str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def link(url, label):
    """`<url|label>` for http(s) URLs; just the label for anything else."""
    label = escape(label)
    if not url or urlsplit(url).scheme not in ("http", "https"):
        return label
    # Inside <…> a '|' starts the label and '>' ends the link; keep both out of the URL.
    safe_url = escape(url).replace("|", "%7C").replace(" ", "%20")
    return f"<{safe_url}|{label}>"


def truncate(text, limit):
    return text if len(text) <= limit else text[: limit - 1] + "…"


# --- Blocks ------------------------------------------------------------------------------


def section(mrkdwn):
    return {
        "type": "section",
        "text": {"type": "mrkdwn", "text": truncate(mrkdwn, MAX_SECTION_TEXT)},
    }


def context(mrkdwn):
    return {
        "type": "context",
        "elements": [{"type": "mrkdwn", "text": truncate(mrkdwn, MAX_SECTION_TEXT)}],
    }


def divider():
    return {"type": "divider"}


def list_sections(title, lines, max_lines=25, page="the week page"):
    """A bold title and bullet lines, split over as many sections as 3,000 characters need;
    beyond `max_lines` one last line says how many more there are on `page`."""
    lines = list(lines)
    if len(lines) > max_lines:
        hidden = len(lines) - (max_lines - 1)
        lines = [*lines[: max_lines - 1], f"…and {hidden} more on {escape(page)}"]
    blocks, current = [], f"*{title}*"
    for line in lines:
        line = truncate(f"• {line}", MAX_SECTION_TEXT - len(title) - 4)
        if len(current) + 1 + len(line) > MAX_SECTION_TEXT:
            blocks.append(section(current))
            current = line
        else:
            current = f"{current}\n{line}"
    blocks.append(section(current))
    return blocks


def message(blocks, fallback, more_url=None, more_text="More on the week page"):
    """The webhook body: at most 50 blocks (the last one, `more_text`, says where the rest
    is) and a text fallback for notifications and clients that show no blocks."""
    if len(blocks) > MAX_BLOCKS:
        more = f"{escape(more_text)}." if not more_url else link(more_url, more_text)
        blocks = [*blocks[: MAX_BLOCKS - 1], context(f"…{more}")]
    return {"text": truncate(fallback, MAX_FALLBACK_TEXT), "blocks": blocks}


# --- The webhook -------------------------------------------------------------------------

# Slack answers with a short code such as `no_service`; anything else is not shown.
SLACK_ERROR_CODE = re.compile(r"[a-z0-9_]{1,64}")
MAX_ANSWER_BYTES = 1000


def _prefix_parts(prefix):
    parts = urlsplit(prefix)
    path = parts.path or "/"
    if not path.endswith("/"):
        path += "/"  # a prefix ends at a path boundary: /services never allows /servicesX
    return parts.scheme.lower(), parts.netloc.lower(), path


def webhook_url_allowed(url):
    """Only Slack's webhook host (SLACK_WEBHOOK_URL_PREFIXES), so a stored URL cannot point the
    worker at an internal service: same scheme, exactly the same host and port (so
    `hooks.slack.com.attacker.example` is not `hooks.slack.com`), a path under the prefix's,
    ASCII only, no user name, no spaces."""
    if not url or not url.isascii() or any(ch.isspace() or ch in "\\@" for ch in url):
        return False
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError on a malformed port
    except ValueError:
        return False
    if parts.fragment or not parts.netloc:
        return False
    for prefix in settings.SLACK_WEBHOOK_URL_PREFIXES:
        scheme, netloc, path = _prefix_parts(prefix)
        if (
            parts.scheme.lower() == scheme
            and parts.netloc.lower() == netloc
            and parts.path.startswith(path)
            and len(parts.path) > len(path)
        ):
            return True
    return False


def retry_after_seconds(headers):
    for name, value in (headers or {}).items():
        if name.lower() == "retry-after":
            try:
                return min(max(int(str(value).strip()), 1), MAX_RETRY_AFTER)
            except ValueError:
                break
    return DEFAULT_RETRY_AFTER


def short_error(raw):
    """Slack's short error code from an answer body, or nothing."""
    text = raw.decode("ascii", "replace").strip()
    return text if SLACK_ERROR_CODE.fullmatch(text) else ""


def _exchange(url, payload, deadline):
    """One POST, no redirects followed; (status, headers, body). A watchdog closes the socket
    when `deadline` seconds have passed, so an answer trickled a byte at a time is cut too."""
    parts = urlsplit(url)
    connection_class = (
        http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
    )
    connection = connection_class(parts.hostname, parts.port, timeout=deadline)
    cut = threading.Event()
    opened = []  # the socket, kept: http.client lets go of it once the answer has begun

    def cut_off():
        cut.set()
        for sock in opened:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)

    watchdog = threading.Timer(deadline, cut_off)
    watchdog.daemon = True
    watchdog.start()
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    body = json.dumps(payload).encode()
    try:
        connection.connect()
        opened.append(connection.sock)
        if cut.is_set():
            cut_off()
        connection.request(
            "POST",
            path,
            body=body,
            headers={"Content-Type": "application/json; charset=utf-8", "User-Agent": "Homeroom"},
        )
        response = connection.getresponse()
        answer = response.read(MAX_ANSWER_BYTES)
        if cut.is_set():  # what arrived was cut short: not an answer
            raise http.client.IncompleteRead(answer)
        return response.status, dict(response.getheaders()), answer
    except (OSError, http.client.HTTPException) as exc:  # timeouts and refused connections too
        if cut.is_set():
            raise SlackUnavailable(
                f"No answer from Slack: timed out (no full answer within {deadline} s)"
            ) from exc
        raise SlackUnavailable(f"No answer from Slack: {type(exc).__name__}: {exc}") from exc
    finally:
        watchdog.cancel()
        connection.close()


def post(url, payload, timeout=None):
    """POST the message to the webhook within SLACK_TIMEOUT_SECONDS in all; returns on 2xx,
    raises a SlackError otherwise. Retries are Celery's job: a worker never sleeps here."""
    if not webhook_url_allowed(url):
        raise SlackRejected(
            "The webhook URL is not a Slack webhook URL (SLACK_WEBHOOK_URL_PREFIXES)."
        )
    status, headers, raw = _exchange(url, payload, timeout or settings.SLACK_TIMEOUT_SECONDS)
    if 200 <= status < 300:
        return
    answer = f"Slack answered {status} {short_error(raw)}".strip()
    if status in (403, 404, 410):
        raise SlackGone(answer)
    if status == 429:
        raise SlackRateLimited(answer, retry_after=retry_after_seconds(headers))
    if status >= 500:
        raise SlackUnavailable(answer)
    raise SlackRejected(answer)  # 400s, and redirects: they are not followed


def digest_rhythm(cohort):
    """What the cohort's digest is called: "weekly digest" or "digest before each day"."""
    if cohort.digest_cadence == DigestCadence.SESSION:
        return f"digest before each {cohort.unit_name.lower()}"
    return "weekly digest"


def test_message(cohort, sent_by):
    """What "Send a test message" posts: proof that the webhook reaches the channel."""
    text = (
        f"Test message from Homeroom for *{escape(cohort.title)}*, sent by "
        f"{escape(sent_by.display_name)}. The {escape(digest_rhythm(cohort))} will be posted "
        "in this channel."
    )
    return message([section(text)], f"Test message from Homeroom for {escape(cohort.title)}.")
