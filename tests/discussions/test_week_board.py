"""The week page's discussion rows are cached per week (discussions/board.py): every write
that changes them shows on the very next page, and what one person or role sees never
reaches another — whoever's page filled the cache."""

import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from cohorts import week_cache
from cohorts.models import Membership, Role
from discussions import board
from discussions.models import (
    BOARD_PART,
    DiscussionPoint,
    MuddiestPoint,
    MuddiestVote,
    ResourceUpvote,
    SessionSettings,
    SharedResource,
)

pytestmark = pytest.mark.django_db


def url(name, week, *args):
    return reverse(f"discussions:{name}", args=[week.cohort.slug, week.number, *args])


def signed_in(user):
    client = Client()
    client.force_login(user)
    return client


def page(client, week, query=""):
    response = client.get(week.get_absolute_url() + query)
    assert response.status_code == 200
    return response.content.decode()


def row(html, kind, pk):
    """The <li> of one muddiest point ("muddiest") or shared link ("resource")."""
    match = re.search(rf'<li id="{kind}-{pk}" class="{kind}[^"]*">.*?</li>', html, re.S)
    assert match, f"no {kind} {pk} on the page"
    return match.group(0)


def points_section(html):
    match = re.search(r'<section id="points".*?</section>', html, re.S)
    return match.group(0) if match else ""


@pytest.fixture
def room(week_in_session, participants, people):
    """Week 1 with a point by participant 0 (+1 by participant 1) and a link shared by
    participant 2 (upvoted by participant 3); every viewer's page already seen once, so
    the board is cached before each test's write."""
    week = week_in_session
    point = MuddiestPoint.objects.create(week=week, author=participants[0], text="Why linear?")
    MuddiestVote.objects.create(point=point, user=participants[1])
    resource = SharedResource.objects.create(
        week=week, shared_by=participants[2], title="Gradients video", url="https://v.example/g"
    )
    ResourceUpvote.objects.create(resource=resource, user=participants[3])
    SessionSettings.set_points_visible(week, True)
    DiscussionPoint.objects.create(week=week, text="Bias and *variance*")
    clients = {
        "author": signed_in(participants[0]),
        "voter": signed_in(participants[1]),
        "sharer": signed_in(participants[2]),
        "upvoter": signed_in(participants[3]),
        "other": signed_in(participants[4]),
        "facilitator": signed_in(people["facilitator"]),
        "organizer": signed_in(people["organizer"]),
    }
    for client in clients.values():
        page(client, week)
    return {"week": week, "point": point, "resource": resource, "clients": clients}


# --- Every write shows on the next page -------------------------------------------------------


def test_a_new_muddiest_point_shows_on_everyones_next_page(room, participants):
    week, clients = room["week"], room["clients"]
    clients["other"].post(url("muddiest_add", week), {"muddiest-text": "What is a kernel?"})
    new = MuddiestPoint.objects.get(text="What is a kernel?")
    assert "Yours" in row(page(clients["other"], week), "muddiest", new.pk)
    seen = row(page(clients["voter"], week), "muddiest", new.pk)
    assert "What is a kernel?" in seen and "Yours" not in seen


def test_a_vote_and_taking_it_back_show_at_once(room):
    week, point, clients = room["week"], room["point"], room["clients"]
    clients["other"].post(url("muddiest_vote", week, point.pk), {"on": "1"})
    mine = row(page(clients["other"], week), "muddiest", point.pk)
    assert "<strong>2</strong>" in mine and 'aria-pressed="true"' in mine
    assert "<strong>2</strong>" in row(page(clients["author"], week), "muddiest", point.pk)

    clients["other"].post(url("muddiest_vote", week, point.pk), {"on": "0"})
    mine = row(page(clients["other"], week), "muddiest", point.pk)
    assert "<strong>1</strong>" in mine and 'aria-pressed="false"' in mine
    assert "<strong>1</strong>" in row(page(clients["voter"], week), "muddiest", point.pk)


def test_votes_reorder_the_points_on_the_next_page(room, participants):
    week, clients = room["week"], room["clients"]
    later = MuddiestPoint.objects.create(week=week, author=participants[4], text="Second one")
    html = page(clients["other"], week)
    assert html.index(f'id="muddiest-{room["point"].pk}"') < html.index(f'id="muddiest-{later.pk}"')
    for name in ("author", "voter", "sharer"):
        clients[name].post(url("muddiest_vote", week, later.pk), {"on": "1"})
    html = page(clients["other"], week)
    assert html.index(f'id="muddiest-{later.pk}"') < html.index(f'id="muddiest-{room["point"].pk}"')


def test_removing_a_muddiest_point_shows_at_once(room):
    week, point, clients = room["week"], room["point"], room["clients"]
    clients["author"].post(url("muddiest_delete", week, point.pk))
    assert not MuddiestPoint.objects.exists()
    assert "Why linear?" not in page(clients["voter"], week)
    assert "Nothing posted yet" in page(clients["facilitator"], week)


def test_a_facilitator_removing_a_point_shows_at_once(room):
    week, point, clients = room["week"], room["point"], room["clients"]
    clients["facilitator"].post(url("muddiest_delete", week, point.pk))
    assert "Why linear?" not in page(clients["author"], week)


def test_promoting_a_point_shows_at_once_to_facilitators_only(room):
    week, point, clients = room["week"], room["point"], room["clients"]
    clients["facilitator"].post(url("muddiest_promote", week, point.pk))
    facilitators = page(clients["facilitator"], week)
    assert "Discussion point</span>" in row(facilitators, "muddiest", point.pk)
    assert "Why linear?" in points_section(facilitators)
    # Participants see the new discussion point (points are shown), never the badge.
    participants_page = page(clients["other"], week)
    assert "Why linear?" in points_section(participants_page)
    assert "Discussion point</span>" not in participants_page
    assert "Make it a discussion point" not in participants_page


def test_a_shared_link_and_its_upvotes_show_at_once(room):
    week, clients = room["week"], room["clients"]
    clients["other"].post(
        url("resource_add", week),
        {"resource-title": "Kernels explained", "resource-url": "https://k.example/"},
    )
    new = SharedResource.objects.get(title="Kernels explained")
    assert "Shared by you" in row(page(clients["other"], week), "resource", new.pk)
    assert "Shared by Person 4 · 0 upvotes" in row(page(clients["voter"], week), "resource", new.pk)

    clients["voter"].post(url("resource_upvote", week, new.pk), {"on": "1"})
    voters = row(page(clients["voter"], week), "resource", new.pk)
    assert "1 upvote<" in voters and 'aria-pressed="true"' in voters
    assert "1 upvote<" in row(page(clients["other"], week), "resource", new.pk)
    clients["voter"].post(url("resource_upvote", week, new.pk), {"on": "0"})
    assert "0 upvotes" in row(page(clients["other"], week), "resource", new.pk)


def test_pinning_and_removing_a_link_show_at_once(room, participants):
    week, resource, clients = room["week"], room["resource"], room["clients"]
    other = SharedResource.objects.create(
        week=week, shared_by=participants[4], title="Another", url="https://a.example/"
    )
    html = page(clients["voter"], week)
    assert html.index(f'id="resource-{resource.pk}"') < html.index(f'id="resource-{other.pk}"')

    clients["organizer"].post(url("resource_pin", week, other.pk))
    html = page(clients["voter"], week)
    assert "Pinned" in row(html, "resource", other.pk)
    assert html.index(f'id="resource-{other.pk}"') < html.index(f'id="resource-{resource.pk}"')
    assert "Unpin" in row(page(clients["organizer"], week), "resource", other.pk)

    clients["organizer"].post(url("resource_remove", week, other.pk))
    assert "Another" not in page(clients["voter"], week)


def test_showing_and_hiding_the_points_shows_at_once(room):
    week, clients = room["week"], room["clients"]
    assert "variance" in points_section(page(clients["other"], week))
    clients["facilitator"].post(url("points_visibility", week), {"visible": "0"})
    assert "variance" not in page(clients["other"], week)
    facilitators = points_section(page(clients["facilitator"], week))
    assert "variance" in facilitators and "Hidden from participants" in facilitators
    clients["facilitator"].post(url("points_visibility", week), {"visible": "1"})
    assert "variance" in points_section(page(clients["other"], week))
    assert "Hidden from participants" not in page(clients["facilitator"], week)


def test_adding_editing_moving_and_deleting_points_show_at_once(room):
    week, clients = room["week"], room["clients"]
    facilitator = clients["facilitator"]
    facilitator.post(url("point_add", week), {"point-text": "Regularisation"})
    points = points_section(page(clients["other"], week))
    assert points.index("variance") < points.index("Regularisation")

    second = DiscussionPoint.objects.get(text="Regularisation")
    facilitator.post(url("point_move", week, second.pk), {"direction": "up"})
    points = points_section(page(clients["other"], week))
    assert points.index("Regularisation") < points.index("variance")

    facilitator.post(url("point_edit", week, second.pk), {"point-text": "L2 *penalty*"})
    points = points_section(page(clients["other"], week))
    assert "<em>penalty</em>" in points and "Regularisation" not in points

    facilitator.post(url("point_delete", week, second.pk))
    assert "penalty" not in page(clients["other"], week)


def test_points_written_in_bulk_show_at_once(room):
    """A course's points arrive with bulk_create, which sends no signals."""
    week, clients = room["week"], room["clients"]
    DiscussionPoint.objects.bulk_create([DiscussionPoint(week=week, text="From the course")])
    assert "From the course" in points_section(page(clients["other"], week))


def test_a_new_name_shows_under_the_links_at_once(room, participants):
    week, resource, clients = room["week"], room["resource"], room["clients"]
    sharer = participants[2]
    assert f"Shared by {sharer.display_name}" in row(
        page(clients["other"], week), "resource", resource.pk
    )
    clients["sharer"].post(reverse("account_name"), {"name": "Grace Hopper"})
    sharer.refresh_from_db()
    assert sharer.name == "Grace Hopper"
    assert "Shared by Grace Hopper" in row(page(clients["other"], week), "resource", resource.pk)


def test_a_deleted_voter_no_longer_counts(room, participants):
    week, point, resource, clients = room["week"], room["point"], room["resource"], room["clients"]
    participants[1].delete()
    participants[3].delete()
    html = page(clients["other"], week)
    assert "<strong>0</strong>" in row(html, "muddiest", point.pk)
    assert "0 upvotes" in row(html, "resource", resource.pk)


def test_a_page_that_read_the_rows_before_a_vote_committed_does_not_hide_it(
    room, django_capture_on_commit_callbacks
):
    """A page that read the rows while a vote was being written (before its commit) may
    store them after the vote replaced the version; the version is replaced again after
    the commit, so the next page shows the vote."""
    week, point, clients = room["week"], room["point"], room["clients"]
    before = board.load(week, limit=board.TOP + 1)  # read before the vote commits
    with django_capture_on_commit_callbacks(execute=True):
        clients["other"].post(url("muddiest_vote", week, point.pk), {"on": "1"})
        # …and stored under the version the vote has just put in place.
        week_cache.store(BOARD_PART, week.pk, week_cache.version(BOARD_PART, week.pk), before)
        assert "<strong>1</strong>" in row(page(clients["author"], week), "muddiest", point.pk)
    # The commit replaced the version: the vote shows.
    assert "<strong>2</strong>" in row(page(clients["author"], week), "muddiest", point.pk)


# --- One cached board, each person's marks and each role's controls -------------------------


def test_each_person_sees_their_own_marks_from_one_cached_board(room, participants):
    week, point, resource, clients = room["week"], room["point"], room["resource"], room["clients"]
    author = row(page(clients["author"], week), "muddiest", point.pk)
    assert "Yours" in author and f'id="vote-muddiest-{point.pk}"' not in author
    voter = row(page(clients["voter"], week), "muddiest", point.pk)
    assert "Yours" not in voter and 'aria-pressed="true"' in voter and "button--toggled" in voter
    other = row(page(clients["other"], week), "muddiest", point.pk)
    assert "Yours" not in other and 'aria-pressed="false"' in other
    assert "button--secondary" in other and 'name="on" value="1"' in other

    sharer = row(page(clients["sharer"], week), "resource", resource.pk)
    assert "Shared by you" in sharer and f'id="upvote-resource-{resource.pk}"' not in sharer
    upvoter = row(page(clients["upvoter"], week), "resource", resource.pk)
    assert f"Shared by {participants[2].display_name}" in upvoter
    assert 'aria-pressed="true"' in upvoter and 'name="on" value="0"' in upvoter
    other = row(page(clients["other"], week), "resource", resource.pk)
    assert "Shared by you" not in other and 'aria-pressed="false"' in other


@pytest.mark.parametrize("first", ["facilitator", "organizer", "other"])
def test_role_controls_follow_the_viewer_not_whoever_filled_the_cache(room, first):
    week, point, resource, clients = room["week"], room["point"], room["resource"], room["clients"]
    board.changed(week.pk)
    page(clients[first], week)  # this one's page fills the cache
    SessionSettings.set_points_visible(week, False)
    page(clients[first], week)

    participant = page(clients["other"], week)
    assert "Make it a discussion point" not in participant
    assert url("muddiest_delete", week, point.pk) not in participant
    assert url("resource_pin", week, resource.pk) not in participant
    assert url("resource_remove", week, resource.pk) not in participant
    assert "variance" not in participant, "hidden points stay hidden"
    assert "Running the session" not in participant

    facilitator = page(clients["facilitator"], week)
    assert "Make it a discussion point" in row(facilitator, "muddiest", point.pk)
    assert url("muddiest_delete", week, point.pk) in row(facilitator, "muddiest", point.pk)
    assert url("resource_pin", week, resource.pk) not in facilitator, "pinning is the organizer's"
    assert "Hidden from participants" in facilitator and "variance" in facilitator

    organizer = page(clients["organizer"], week)
    assert url("resource_pin", week, resource.pk) in row(organizer, "resource", resource.pk)
    assert url("resource_remove", week, resource.pk) in row(organizer, "resource", resource.pk)
    assert "Make it a discussion point" in row(organizer, "muddiest", point.pk)


def test_show_all_lists_every_row_with_the_same_marks(room, participants, make_user):
    week, clients = room["week"], room["clients"]
    extra = []
    for n in range(board.TOP + 2):
        extra.append(
            MuddiestPoint.objects.create(week=week, author=participants[4], text=f"Extra {n}")
        )
    MuddiestVote.objects.create(point=extra[-1], user=participants[1])
    top = page(clients["voter"], week)
    assert top.count('class="muddiest"') == board.TOP and "Show all muddiest points" in top
    everything = page(clients["voter"], week, "?all=muddiest")
    assert everything.count('class="muddiest"') == board.TOP + 3
    assert 'aria-pressed="true"' in row(everything, "muddiest", extra[-1].pk)
    assert "Yours" in row(page(clients["other"], week, "?all=muddiest"), "muddiest", extra[0].pk)


def test_another_cohorts_week_shows_its_own_board(room, other_cohort, make_user):
    """The board is per week: another cohort's week with the same number shows its own."""
    other_week = other_cohort.weeks.get(number=1)
    stranger = make_user("stranger@example.com", "Stranger")
    Membership.objects.create(user=stranger, cohort=other_cohort, role=Role.FACILITATOR)
    html = page(signed_in(stranger), other_week)
    assert "Why linear?" not in html and "Gradients video" not in html


def test_deleting_a_cohort_costs_the_same_however_many_rows_its_weeks_have(
    cohort, other_cohort, make_user
):
    """Rows deleted with their week need no new version of its board: no cache write per
    muddiest point or link."""
    author = make_user("author@example.com", "Author")

    def fill(week, count):
        for n in range(count):
            MuddiestPoint.objects.create(week=week, author=author, text=f"Hard {n}")
            SharedResource.objects.create(
                week=week, shared_by=author, title=f"Link {n}", url=f"https://l.example/{n}"
            )
        DiscussionPoint.objects.create(week=week, text="A point")

    fill(cohort.weeks.get(number=1), 3)
    fill(other_cohort.weeks.get(number=1), 30)
    counts = []
    for doomed in (cohort, other_cohort):
        with CaptureQueriesContext(connection) as queries:
            doomed.delete()
        counts.append(len(queries))
    assert counts[0] == counts[1]
    assert not MuddiestPoint.objects.exists()


def test_with_the_cache_out_of_reach_the_week_page_reads_afresh_and_writes_go_through(
    week_in_session, participants, settings, caplog
):
    from tests.conftest import free_port

    settings.CACHES = {  # a Redis that is not there: every call fails at once
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{free_port()}/0",
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
        }
    }
    week = week_in_session
    client = signed_in(participants[0])
    before = page(client, week)
    assert "Nothing posted yet" in before and "Videos</h3>" not in before
    response = client.post(url("muddiest_add", week), {"muddiest-text": "What is a kernel?"})
    assert response.status_code == 302
    assert "What is a kernel?" in page(signed_in(participants[1]), week)
    assert "The cache is out of reach" in caplog.text
