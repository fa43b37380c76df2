"""What every member sees of a week's discussions — the discussion points, the ranked muddiest
points and shared links — read once per change, not once per page.

The week page is the page participants open most. Its discussion rows are the same for
everyone who opens the week; only a few marks differ from person to person (my +1s, my
upvotes, "Yours") and some controls from role to role. So the rows, with who voted for
each, are kept in Django's cache per week (`Board`, through cohorts.week_cache: every write
that changes them calls `changed`, wired to the models' signals in `connect_signals`), and
every page works out the per-person marks and role controls from it while writing the
rows' HTML (`muddiest_html`, `resources_html`: the same HTML the template wrote, without
the template engine's per-row cost).
"""

from typing import Any, NamedTuple

from django.db.models import Exists, OuterRef
from django.middleware.csrf import get_token
from django.urls import reverse
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.text import Truncator

from cohorts import week_cache
from cohorts.models import User

from .models import (
    BOARD_PART,
    DiscussionPoint,
    MuddiestPoint,
    MuddiestVote,
    ResourceUpvote,
    SessionSettings,
    SharedResource,
)

# The week page lists the top muddiest points and shared links; "Show all" lists every one.
TOP = 8


class MuddiestRow(NamedTuple):
    pk: int
    vote_count: int
    author_id: int
    promoted: bool  # a facilitator made it a discussion point (only they see it)
    voters: frozenset[int]
    text: str  # escaped HTML
    short: str  # escaped, truncated to 80 characters (the +1 button's description)


class ResourceRow(NamedTuple):
    pk: int
    pinned: bool
    upvote_count: int
    shared_by_id: int
    upvoters: frozenset[int]
    title: str  # this and the rest: escaped HTML
    url: str
    note: str
    shared_by: str  # the sharer's display name


class Board(NamedTuple):
    points_visible: bool  # shown to participants
    points: tuple[str, ...]  # every discussion point's sanitized HTML, in order
    muddiest: tuple[MuddiestRow, ...]  # the top TOP + 1 (to know there are more), or all
    resources: tuple[ResourceRow, ...]


# --- Reading -----------------------------------------------------------------------------------


def board_for(week: Any, everything: bool = False) -> Board:
    """The week's board: the top rows from the cache (read from the database after a
    change), or every row (`everything`, "Show all": read afresh)."""
    if everything:
        return load(week, limit=None)
    return week_cache.get(BOARD_PART, week.pk, lambda: load(week, limit=TOP + 1))


def load(week: Any, limit: int | None) -> Board:
    """The board from the database: five queries."""
    points_visible = SessionSettings.points_visible_for(week)
    points = tuple(
        str(html)
        for html in DiscussionPoint.objects.filter(week=week).values_list("text_html", flat=True)
    )
    muddiest = list(
        MuddiestPoint.objects.filter(week=week)
        .ranked()
        .annotate(promoted=Exists(DiscussionPoint.objects.filter(source=OuterRef("pk"))))
        .values_list("pk", "vote_count", "author_id", "promoted", "text")[:limit]
    )
    voters: dict[int, set[int]] = {}
    for point_id, user_id in MuddiestVote.objects.filter(
        point__in=[row[0] for row in muddiest]
    ).values_list("point_id", "user_id"):
        voters.setdefault(point_id, set()).add(user_id)
    resources = list(
        SharedResource.objects.filter(week=week)
        .ranked()
        .values_list(
            "pk",
            "pinned",
            "upvote_count",
            "shared_by_id",
            "title",
            "url",
            "note",
            "shared_by__name",
            "shared_by__email",
        )[:limit]
    )
    upvoters: dict[int, set[int]] = {}
    for resource_id, user_id in ResourceUpvote.objects.filter(
        resource__in=[row[0] for row in resources]
    ).values_list("resource_id", "user_id"):
        upvoters.setdefault(resource_id, set()).add(user_id)
    return Board(
        points_visible=points_visible,
        points=points,
        muddiest=tuple(
            MuddiestRow(
                pk=pk,
                vote_count=count,
                author_id=author_id,
                promoted=bool(promoted),
                voters=frozenset(voters.get(pk, ())),
                text=escape(text),
                short=escape(Truncator(text).chars(80)),
            )
            for pk, count, author_id, promoted, text in muddiest
        ),
        resources=tuple(
            ResourceRow(
                pk=pk,
                pinned=pinned,
                upvote_count=count,
                shared_by_id=shared_by_id,
                upvoters=frozenset(upvoters.get(pk, ())),
                title=escape(title),
                url=escape(url),
                note=escape(note),
                shared_by=escape(User.name_shown(name, email)),
            )
            for pk, pinned, count, shared_by_id, title, url, note, name, email in resources
        ),
    )


# --- Invalidation ------------------------------------------------------------------------------


def changed(week_id: int | None) -> None:
    """Something the week's board shows changed: the next page reads it afresh."""
    week_cache.changed(BOARD_PART, week_id)


def _user_saved(
    sender: Any, instance: Any, created: bool, update_fields: Any, **kwargs: Any
) -> None:
    """A new name (or email, when there is no name) is the name under their shared links."""
    if created or (update_fields is not None and not {"name", "email"} & set(update_fields)):
        return
    for week_id in set(
        SharedResource.objects.filter(shared_by=instance).values_list("week_id", flat=True)
    ):
        changed(week_id)


def _user_deleted(sender: Any, instance: Any, **kwargs: Any) -> None:
    """Their +1s and upvotes go with them (their own points and links tell by themselves)."""
    weeks = set(
        MuddiestPoint.objects.filter(votes__user=instance).values_list("week_id", flat=True)
    )
    weeks.update(
        SharedResource.objects.filter(upvotes__user=instance).values_list("week_id", flat=True)
    )
    for week_id in weeks:
        changed(week_id)


def connect_signals() -> None:
    """From DiscussionsConfig.ready(): every write that changes a board replaces its
    version. (+1s and upvotes: `toggle_vote` and `toggle_upvote`; bulk writes of discussion
    points: their QuerySet.)"""
    from django.contrib.auth import get_user_model
    from django.db.models import signals

    week_cache.follow(BOARD_PART, MuddiestPoint, SharedResource, DiscussionPoint, SessionSettings)
    user = get_user_model()
    signals.post_save.connect(_user_saved, sender=user, dispatch_uid="week-board-user")
    signals.pre_delete.connect(_user_deleted, sender=user, dispatch_uid="week-board-user")


# --- Writing the rows' HTML --------------------------------------------------------------------


def csrf_input(request: Any) -> str:
    """What {% csrf_token %} writes."""
    return f'<input type="hidden" name="csrfmiddlewaretoken" value="{escape(get_token(request))}">'


# Stands in for a row's id in a reversed URL; no real id is this long.
_ROW_ID = 987654321987654321


def url_parts(name: str, week: Any) -> tuple[str, str]:
    """A row action's URL around the row's id: one reversal per page and action."""
    before, _, after = reverse(name, args=[week.cohort.slug, week.number, _ROW_ID]).rpartition(
        str(_ROW_ID)
    )
    return escape(before), escape(after)


def _plural(count: int) -> str:
    return "" if count == 1 else "s"


def muddiest_html(
    rows: tuple[MuddiestRow, ...], week: Any, user_id: int, can_facilitate: bool, csrf: str
) -> SafeString:
    """The muddiest points' <li>s as the week page shows them to this person."""
    vote_a, vote_b = url_parts("discussions:muddiest_vote", week)
    delete_a, delete_b = url_parts("discussions:muddiest_delete", week)
    promote_a, promote_b = url_parts("discussions:muddiest_promote", week)
    out = []
    for row in rows:
        pk = row.pk
        delete = f"{delete_a}{pk}{delete_b}"
        if row.author_id == user_id:
            actions = (
                f'<span class="badge">Yours</span>\n<a href="{delete}">Remove'
                '<span class="visually-hidden"> your point</span></a>\n'
            )
        else:
            vote = f"{vote_a}{pk}{vote_b}"
            mine = user_id in row.voters
            actions = (
                f'<form method="post" action="{vote}" data-hx-post="{vote}" class="inline-form">\n'
                f"{csrf}\n"
                f'<input type="hidden" name="on" value="{0 if mine else 1}">\n'
                f'<button type="submit" id="vote-muddiest-{pk}" class="button button--small '
                f'{"button--toggled" if mine else "button--secondary"}" '
                f'aria-pressed="{"true" if mine else "false"}" '
                f'aria-describedby="muddiest-{pk}-text">+1</button>\n</form>\n'
            )
            if can_facilitate:
                actions += f'<a href="{delete}">Remove</a>\n'
        if can_facilitate:
            if row.promoted:
                actions += '<span class="badge badge--success">Discussion point</span>\n'
            else:
                promote = f"{promote_a}{pk}{promote_b}"
                actions += (
                    f'<form method="post" action="{promote}" data-hx-post="{promote}" '
                    f'class="inline-form">\n{csrf}\n<button type="submit" '
                    f'id="promote-muddiest-{pk}" class="link-button">Make it a discussion '
                    "point</button>\n</form>\n"
                )
        out.append(
            f'<li id="muddiest-{pk}" class="muddiest">\n'
            f'<p class="muddiest__votes"><strong>{row.vote_count}</strong> '
            f'<span class="muted">vote{_plural(row.vote_count)}</span></p>\n'
            f'<p class="muddiest__text">{row.text}</p>\n'
            f'<div class="muddiest__actions">\n{actions}</div>\n'
            f'<span id="muddiest-{pk}-text" hidden>{row.short}</span>\n</li>'
        )
    return mark_safe("\n".join(out))  # noqa: S308 - user text escaped in `load`


def resources_html(
    rows: tuple[ResourceRow, ...], week: Any, user_id: int, can_manage: bool, csrf: str
) -> SafeString:
    """The shared links' <li>s as the week page shows them to this person."""
    upvote_a, upvote_b = url_parts("discussions:resource_upvote", week)
    pin_a, pin_b = url_parts("discussions:resource_pin", week)
    remove_a, remove_b = url_parts("discussions:resource_remove", week)
    out = []
    for row in rows:
        pk = row.pk
        mine = row.shared_by_id == user_id
        actions = ""
        if not mine:
            upvote = f"{upvote_a}{pk}{upvote_b}"
            on = user_id in row.upvoters
            actions += (
                f'<form method="post" action="{upvote}" data-hx-post="{upvote}" '
                f'class="inline-form">\n{csrf}\n'
                f'<input type="hidden" name="on" value="{0 if on else 1}">\n'
                f'<button type="submit" id="upvote-resource-{pk}" class="button button--small '
                f'{"button--toggled" if on else "button--secondary"}" '
                f'aria-pressed="{"true" if on else "false"}" '
                f'aria-describedby="resource-{pk}-title">Upvote</button>\n</form>\n'
            )
        if can_manage:
            pin = f"{pin_a}{pk}{pin_b}"
            actions += (
                f'<form method="post" action="{pin}" data-hx-post="{pin}" class="inline-form">\n'
                f'{csrf}\n<button type="submit" id="pin-resource-{pk}" class="link-button">'
                f"{'Unpin' if row.pinned else 'Pin'}"
                f'<span class="visually-hidden"> {row.title}</span></button>\n</form>\n'
                f'<a href="{remove_a}{pk}{remove_b}">Remove'
                f'<span class="visually-hidden"> {row.title}</span></a>\n'
            )
        pinned = '<span class="badge badge--accent">Pinned</span>' if row.pinned else ""
        note = f'<p class="resource__note">{row.note}</p>\n' if row.note else ""
        out.append(
            f'<li id="resource-{pk}" class="resource{" resource--pinned" if row.pinned else ""}">\n'
            f'<div class="resource__body">\n<p class="resource__title">\n{pinned}\n'
            f'<a href="{row.url}" rel="noopener noreferrer nofollow" target="_blank" '
            f'id="resource-{pk}-title">{row.title}<span class="visually-hidden"> (opens in a new '
            "tab)</span></a>\n</p>\n"
            f"{note}"
            f'<p class="meta">Shared by {"you" if mine else row.shared_by} · '
            f"{row.upvote_count} upvote{_plural(row.upvote_count)}</p>\n</div>\n"
            f'<div class="resource__actions">\n{actions}</div>\n</li>'
        )
    return mark_safe("\n".join(out))  # noqa: S308 - user text escaped in `load`


def points_html(points: tuple[str, ...]) -> SafeString:
    """The discussion points' <li>s (HTML sanitized when saved)."""
    return mark_safe(  # noqa: S308 - sanitized on save (cohorts.markdown)
        "".join(f'<li><div class="prose">{html}</div></li>' for html in points)
    )
