"""What many members read of a week and few change (the discussion rows, the pre-work
list), kept in Django's cache per week and part, read afresh after every change.

Each (part, week) has a version token in the cache; the value is cached under it. A write
that changes the part calls `changed(part, week_id)`: a new token at once (the writer's own
next page, even inside a longer transaction) and again after the commit — a page that
read the rows before the commit stored them under a token nobody asks for any more, so
the next page after a write always shows it. Entries also expire after `SECONDS` unasked.

Parts are named by the apps that own them (cohorts never names them).
"""

from collections.abc import Callable
from typing import Any
from uuid import uuid4

from django.core.cache import cache
from django.db import transaction

# How long a value (and its version token) stays cached without being asked for.
SECONDS = 15 * 60


def version_key(part: str, week_id: int) -> str:
    return f"week:{part}:{week_id}"


def version(part: str, week_id: int) -> str:
    """The part's current version token (a new one when the cache has none)."""
    key = version_key(part, week_id)
    token = cache.get(key)
    if token is None:
        token = uuid4().hex
        if not cache.add(key, token, SECONDS):  # another page made one meanwhile
            token = cache.get(key) or token
    return token


def value_key(part: str, week_id: int) -> str:
    return f"{version_key(part, week_id)}:{version(part, week_id)}"


def get(part: str, week_id: int, build: Callable[[], Any]) -> Any:
    """The part's cached value, or `build()` (then cached) after a change."""
    key = value_key(part, week_id)
    value = cache.get(key)
    if value is None:
        value = build()
        cache.set(key, value, SECONDS)
    return value


def _replace(part: str, week_id: int) -> None:
    cache.set(version_key(part, week_id), uuid4().hex, SECONDS)


def changed(part: str, week_id: int | None) -> None:
    """Something the part shows changed: the next page reads it afresh (see above)."""
    if week_id is None:
        return
    _replace(part, week_id)
    transaction.on_commit(lambda: _replace(part, week_id))
