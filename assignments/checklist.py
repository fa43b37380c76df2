"""One pre-work item's checklist row, the same HTML on the week page and in the answer to
"Mark watched" (the busiest request, where a template costs more than the rest of the work).

The week's items and assignments are the same for everyone who opens the week: the week
page keeps them in Django's cache per week (`prework_for`, through cohorts.week_cache;
every write that changes them replaces its version: the models' signals, followed in
`connect_signals`, and their QuerySets' bulk writes) and asks only for this person's ticks
and hand-ins.
"""

from typing import Any

from django.urls import reverse
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.text import capfirst

from cohorts import week_cache

from .models import PREWORK_PART, Assignment, PreworkItem


def load(week_id: int) -> tuple[list[PreworkItem], list[Assignment]]:
    """The week's items and assignments, without their week (two queries)."""
    return (
        list(PreworkItem.objects.filter(week_id=week_id)),
        list(Assignment.objects.filter(week_id=week_id)),
    )


def prework_for(week: Any) -> tuple[list[PreworkItem], list[Assignment]]:
    """The week's items and assignments, from the cache (fresh objects every time)."""
    return week_cache.get(PREWORK_PART, week.pk, lambda: load(week.pk))


def connect_signals() -> None:
    """From AssignmentsConfig.ready(): saving or deleting an item or an assignment."""
    week_cache.follow(PREWORK_PART, PreworkItem, Assignment)


def _meta(item: PreworkItem) -> str:
    parts = [f"{item.minutes} min"] if item.minutes else []
    if not item.required:
        parts.append("optional")
    return " · ".join(parts)


def completion_url(item: PreworkItem, cohort_slug: str) -> str:
    return reverse("assignments:item_completion", args=[cohort_slug, item.pk])


def _toggle(item: PreworkItem, url: str, csrf_token: str) -> SafeString:
    """The participant's button: "Mark watched" / "Watched", posted with or without htmx
    to `url` (completion_url)."""
    done = bool(getattr(item, "is_done", False))
    return format_html(
        '\n  <form method="post" action="{url}" data-hx-post="{url}" data-hx-target="#item-{pk}"'
        ' data-hx-swap="outerHTML" class="checklist__form">\n'
        '    <input type="hidden" name="csrfmiddlewaretoken" value="{token}">\n'
        '    <input type="hidden" name="done" value="{value}">\n'
        '    <button type="submit" id="toggle-{pk}" class="check{on}" aria-pressed="{pressed}"'
        ' aria-describedby="item-title-{pk}">\n'
        '      <span class="check__box" aria-hidden="true">{tick}</span>\n'
        '      <span class="check__label">{label}</span>\n'
        "    </button>\n  </form>",
        url=url,
        pk=item.pk,
        token=csrf_token,
        value="0" if done else "1",
        on=" check--on" if done else "",
        pressed="true" if done else "false",
        tick="✓" if done else "",
        label=capfirst(item.done_verb) if done else f"Mark {item.done_verb}",
    )


def item_html(item: PreworkItem, url: str, csrf_token: str, readiness: bool = False) -> SafeString:
    """The row, its button posting to `url` (completion_url); `readiness` (facilitators and
    organizers) leaves out the button."""
    done = bool(getattr(item, "is_done", False))
    if item.url:
        title = format_html(
            '<a href="{}" rel="noopener noreferrer" target="_blank">{}'
            '<span class="visually-hidden"> (opens in a new tab)</span></a>',
            item.url,
            item.title,
        )
    else:
        title = format_html("{}", item.title)
    notes = (
        format_html('\n    <div class="prose prose--small">{}</div>', item.notes_html)
        if item.notes_html
        else ""
    )
    return format_html(
        '<li class="checklist__item{done}{plain}" id="item-{pk}">{toggle}\n'
        '  <div class="checklist__body">\n'
        '    <p class="checklist__title" id="item-title-{pk}">{title}</p>\n'
        '    <p class="checklist__meta muted">{meta}</p>{notes}\n'
        "  </div>\n</li>",
        done=" checklist__item--done" if done else "",
        plain=" checklist__item--plain" if readiness else "",
        pk=item.pk,
        toggle="" if readiness else _toggle(item, url, csrf_token),
        title=title,
        meta=_meta(item),
        notes=notes,
    )


def items_html(items: list, cohort_slug: str, csrf_token: str, readiness: bool) -> SafeString:
    """A group's rows on the week page, without a template tag per row."""
    return mark_safe(  # noqa: S308 - each row escaped by format_html
        "\n".join(
            item_html(
                item, "" if readiness else completion_url(item, cohort_slug), csrf_token, readiness
            )
            for item in items
        )
    )


def progress_html(required_done: int, required_total: int, percent: int) -> SafeString:
    """The week's "2 of 3 required done" bar (inside #prework-progress)."""
    return format_html(
        '<progress max="{total}" value="{done}" aria-labelledby="prework-progress-label">'
        "</progress>\n"
        '    <span id="prework-progress-label">{done} of {total} required done ({percent}%)</span>',
        total=required_total,
        done=required_done,
        percent=percent,
    )


def marked_html(item: PreworkItem, url: str, csrf_token: str, summary: dict) -> SafeString:
    """The htmx answer to "Mark watched" (posted to `url`): the changed row, and out of band
    the "left" summary and the progress bar."""
    parts = [
        item_html(item, url, csrf_token),
        format_html(
            '\n<p id="prework-left" hx-swap-oob="innerHTML"><strong>{}</strong></p>',
            summary["remaining"].summary(),
        ),
    ]
    if summary["required_total"]:
        parts.append(
            format_html(
                '\n<div id="prework-progress" hx-swap-oob="innerHTML">{}</div>',
                progress_html(
                    summary["required_done"], summary["required_total"], summary["percent"]
                ),
            )
        )
    return mark_safe("".join(parts))  # noqa: S308 - each part escaped by format_html
