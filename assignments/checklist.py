"""The week page's pre-work checklist.

The week's items and assignments are the same for everyone who opens the week: they are
kept in Django's cache per week (`prework_for`, through cohorts.week_cache; every write
that changes them calls `changed`: the models' signals, wired in `connect_signals`, and
their QuerySets' bulk writes). Each page then asks only for this person's ticks and
hand-ins.

The rows are written without the template engine's per-row cost, the same HTML as
`assignments/_checklist_item.html` writes (which the htmx answer to "Mark watched" still
uses; a test holds the two to the same output)."""

from typing import Any

from django.middleware.csrf import get_token
from django.urls import reverse
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.text import capfirst

from cohorts import week_cache

from .models import Assignment, PreworkItem

# The cache's name for a week's items and assignments (bump the number when what is cached
# changes shape).
PART = "assignments-prework-1"


def load(week_id: int) -> tuple[list[PreworkItem], list[Assignment]]:
    """The week's items and assignments, without their week (two queries)."""
    return (
        list(PreworkItem.objects.filter(week_id=week_id)),
        list(Assignment.objects.filter(week_id=week_id)),
    )


def prework_for(week: Any) -> tuple[list[PreworkItem], list[Assignment]]:
    """The week's items and assignments, from the cache (fresh objects every time)."""
    return week_cache.get(PART, week.pk, lambda: load(week.pk))


def changed(week_id: int | None) -> None:
    week_cache.changed(PART, week_id)


def _row_saved_or_deleted(sender: Any, instance: Any, **kwargs: Any) -> None:
    changed(instance.week_id)


def connect_signals() -> None:
    """From AssignmentsConfig.ready(): saving or deleting an item or an assignment."""
    from django.db.models import signals

    for model in (PreworkItem, Assignment):
        uid = f"week-prework-{model.__name__}"
        signals.post_save.connect(_row_saved_or_deleted, sender=model, dispatch_uid=uid)
        signals.post_delete.connect(_row_saved_or_deleted, sender=model, dispatch_uid=uid)


# Stands in for an item's id in the reversed URL; no real id is this long.
_ITEM_ID = 987654321987654321


def completion_url_parts(cohort: Any) -> tuple[str, str]:
    """The "Mark watched" URL around the item's id: one reversal per page."""
    before, _, after = reverse(
        "assignments:item_completion", args=[cohort.slug, _ITEM_ID]
    ).rpartition(str(_ITEM_ID))
    return escape(before), escape(after)


def csrf_input(request: Any) -> str:
    """What {% csrf_token %} writes."""
    return f'<input type="hidden" name="csrfmiddlewaretoken" value="{escape(get_token(request))}">'


def item_html(
    item: Any, readiness: bool, csrf: str = "", url_parts: tuple[str, str] = ("", "")
) -> str:
    """One item's <li>: with this person's tick and its form, or plain (`readiness`, for
    facilitators). `item.is_done` says whether this person ticked it off."""
    pk = item.pk
    done = bool(getattr(item, "is_done", False))
    classes = "checklist__item"
    if done:
        classes += " checklist__item--done"
    if readiness:
        classes += " checklist__item--plain"
    form = ""
    if not readiness:
        action = f"{url_parts[0]}{pk}{url_parts[1]}"
        verb = escape(item.done_verb)
        label = escape(capfirst(item.done_verb)) if done else f"Mark {verb}"
        form = (
            f'<form method="post" action="{action}" data-hx-post="{action}" '
            f'data-hx-target="#item-{pk}" data-hx-swap="outerHTML" class="checklist__form">\n'
            f"{csrf}\n"
            f'<input type="hidden" name="done" value="{0 if done else 1}">\n'
            f'<button type="submit" id="toggle-{pk}" class="check{" check--on" if done else ""}" '
            f'aria-pressed="{"true" if done else "false"}" aria-describedby="item-title-{pk}">\n'
            f'<span class="check__box" aria-hidden="true">{"✓" if done else ""}</span>\n'
            f'<span class="check__label">{label}</span>\n</button>\n</form>\n'
        )
    title = escape(item.title)
    if item.url:
        title = (
            f'<a href="{escape(item.url)}" rel="noopener noreferrer" target="_blank">{title}'
            '<span class="visually-hidden"> (opens in a new tab)</span></a>'
        )
    meta = f"{item.minutes} min" if item.minutes else ""
    if not item.required:
        meta += " · optional" if item.minutes else "optional"
    notes = f'<div class="prose prose--small">{item.notes_html}</div>\n' if item.notes else ""
    return (
        f'<li class="{classes}" id="item-{pk}">\n{form}'
        f'<div class="checklist__body">\n'
        f'<p class="checklist__title" id="item-title-{pk}">\n{title}\n</p>\n'
        f'<p class="checklist__meta muted">{meta}</p>\n{notes}</div>\n</li>'
    )


def items_html(
    items: list, readiness: bool, csrf: str = "", url_parts: tuple[str, str] = ("", "")
) -> SafeString:
    """The <li>s of a group of items (user text escaped; notes sanitized on save). For a
    checklist, `csrf` and `url_parts` (made once per page) give each row its form."""
    return mark_safe(  # noqa: S308 - see above
        "\n".join(item_html(item, readiness, csrf, url_parts) for item in items)
    )
