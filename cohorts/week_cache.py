"""What many members read of a week and few change (the discussion rows, the pre-work
list), kept in Django's cache per week and part, read afresh after every change.

Each (part, week) has a version token in the cache, and the value is cached beside it with
the token it was read under; a page reads both in one round trip and uses the value only
when the tokens match. A write that changes the part calls `changed(part, week_id)`: a new
token at once (the writer's own next page, even inside a longer transaction) and again
after the commit — a page that read the rows before the commit stored them with a token
that no longer matches, so the next page after a write always shows it. Entries also
expire after `SECONDS` unasked.

Parts are named by the apps that own them (cohorts never names them).

The cache only saves work: when it cannot be reached (Redis down), pages read the rows
afresh and writes go through, with a warning in the log. (Rows cached before an outage and
changed during it can then show until they expire, `SECONDS` at most.)
"""

import logging
from collections.abc import Callable
from functools import partial
from typing import Any
from uuid import uuid4

from django.core.cache import cache
from django.db import transaction
from django.db.models import QuerySet
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)

# How long a value (and its version token) stays cached without being asked for.
SECONDS = 15 * 60


def version_key(part: str, week_id: int) -> str:
    return f"week:{part}:{week_id}"


def value_key(part: str, week_id: int) -> str:
    return f"{version_key(part, week_id)}:value"


def _new_version(key: str) -> str:
    token = uuid4().hex
    if not cache.add(key, token, SECONDS):  # another page made one meanwhile
        token = cache.get(key) or token
    return token


def version(part: str, week_id: int) -> str:
    """The part's current version token (a new one when the cache has none)."""
    key = version_key(part, week_id)
    return cache.get(key) or _new_version(key)


def store(part: str, week_id: int, token: str, value: Any) -> None:
    """Cache `value`, read from the database under version `token`."""
    cache.set(value_key(part, week_id), (token, value), SECONDS)


def get(part: str, week_id: int, build: Callable[[], Any]) -> Any:
    """The part's cached value, or `build()` (then cached) after a change: one round trip
    to the cache when nothing changed."""
    key = version_key(part, week_id)
    try:
        found = cache.get_many([key, value_key(part, week_id)])
        token = found.get(key) or _new_version(key)
    except RedisError as exc:
        logger.warning("The cache is out of reach (%s): %s read afresh.", exc, part)
        return build()
    held = found.get(value_key(part, week_id))
    if held is not None and held[0] == token:
        return held[1]
    value = build()
    try:
        store(part, week_id, token, value)
    except RedisError as exc:
        logger.warning("The cache is out of reach (%s): %s not kept.", exc, part)
    return value


def _replace(part: str, week_id: int) -> None:
    try:
        cache.set(version_key(part, week_id), uuid4().hex, SECONDS)
    except RedisError as exc:
        logger.warning("The cache is out of reach (%s): %s not marked changed.", exc, part)


def changed(part: str, week_id: int | None) -> None:
    """Something the part shows changed: the next page reads it afresh (see above)."""
    if week_id is None:
        return
    _replace(part, week_id)
    transaction.on_commit(lambda: _replace(part, week_id))


def follow(part: str, *models: Any) -> None:
    """Saving or deleting a row of these models (each with a `week_id`) changes the part.
    Called once, from the owning app's ready()."""
    from django.db.models import signals

    for model in models:
        uid = f"week-cache-{part}-{model._meta.label}"
        receiver = partial(_row_written, part)
        signals.post_save.connect(receiver, sender=model, weak=False, dispatch_uid=uid)
        signals.post_delete.connect(receiver, sender=model, weak=False, dispatch_uid=uid)


def _row_written(part: str, sender: Any, instance: Any, **kwargs: Any) -> None:
    origin = kwargs.get("origin")  # (deletes only)
    if origin is not None and goes_with_its_week(origin):
        return
    changed(part, instance.week_id)


def goes_with_its_week(origin: Any) -> bool:
    """Whether a row is deleted because its week or cohort is (the post_delete signal's
    `origin`): nothing of that week is shown again, so its parts need no new version (a
    cohort's deletion would otherwise write one per row)."""
    from .models import Cohort, Week

    model = origin.model if isinstance(origin, QuerySet) else type(origin)
    return model in (Week, Cohort)


class BulkWritesTell:
    """QuerySet mixin for a model whose rows the week part `week_part` shows: bulk writes
    (bulk_create, bulk_update, update) send no signals, so they change the part of every
    week they touch. (Saves and deletes, cascades included, send signals: see `follow`.)"""

    week_part = ""  # set by each QuerySet

    def week_changed(self, week_ids: set[int]) -> None:
        if not self.week_part:
            raise TypeError(f"{type(self).__name__} names no week_part.")
        for week_id in week_ids:
            changed(self.week_part, week_id)

    def bulk_create(self, objs: Any, *args: Any, **kwargs: Any) -> Any:
        created = super().bulk_create(objs, *args, **kwargs)  # type: ignore[misc]
        self.week_changed({row.week_id for row in created})
        return created

    def bulk_update(self, objs: Any, fields: Any, *args: Any, **kwargs: Any) -> Any:
        objs = list(objs)
        updated = super().bulk_update(objs, fields, *args, **kwargs)  # type: ignore[misc]
        self.week_changed({row.week_id for row in objs})
        return updated

    def update(self, **kwargs: Any) -> Any:
        week_ids = set(self.values_list("week_id", flat=True))  # type: ignore[attr-defined]
        updated = super().update(**kwargs)  # type: ignore[misc]
        self.week_changed(week_ids)
        return updated
