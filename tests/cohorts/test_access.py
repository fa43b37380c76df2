"""Every URL under /c/<slug>/ goes through the one access check, for every actor.

The test walks the URL configuration, so a view added later without
`cohort_view(...)` makes it fail, and so does a URL argument it cannot fill.

One narrow exception: a view that calendar apps (which have no session) fetch with a
secret token in the URL sets `token_access = True` instead, and must be named in
TOKEN_ACCESS below. Such a view is checked with its own assertions: no token, a wrong
token, another cohort's member's token and a member who left all get 404, and signing in
opens nothing; only a current member's own token gets 200.
"""

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from assignments.models import Assignment, PreworkItem, Submission
from cohorts.models import Invitation, Membership, Week
from cohorts.permissions import FACILITATOR, MEMBER, ORGANIZER, CohortAccess

# "staff" is site staff who is not a member: nobody inside the cohort, like an outsider.
ACTORS = ["anonymous", "outsider", "staff", "participant", "facilitator", "organizer"]
# The only cohort URLs reached by a token instead of a session (see the docstring).
TOKEN_ACCESS = {"cohorts:calendar"}
ALLOWED = {
    MEMBER: {"participant", "facilitator", "organizer"},
    FACILITATOR: {"facilitator", "organizer"},
    ORGANIZER: {"organizer"},
}


def cohort_patterns():
    """(route, name, callback) for every pattern mounted under c/<slug:slug>/."""
    found = []

    def walk(patterns, prefix, namespace):
        for pattern in patterns:
            route = prefix + str(pattern.pattern)
            if isinstance(pattern, URLResolver):
                ns = pattern.namespace or namespace
                walk(pattern.url_patterns, route, ns)
            elif isinstance(pattern, URLPattern) and route.startswith("c/<slug:slug>/"):
                name = f"{namespace}:{pattern.name}" if namespace else pattern.name
                found.append((route, name, pattern.callback))

    walk(get_resolver().url_patterns, "", None)
    return found


@pytest.fixture
def actors(people, make_user):
    return {**people, "staff": make_user("staff@example.com", "Sam Staff", staff=True)}


@pytest.fixture
def url_arguments(cohort, people):
    week = cohort.weeks.get(number=1)
    week.publish_at = timezone.now()
    week.save()
    invitation = Invitation.objects.create(cohort=cohort, email="someone@example.com")
    participant = Membership.objects.get(cohort=cohort, user=people["participant"])
    item = PreworkItem.objects.create(week=week, title="Video", url="https://example.com/v")
    assignment = Assignment.objects.create(week=week, title="Notebook", due_at=week.session_start)
    submission = Submission.objects.create(assignment=assignment, user=people["participant"])
    from discussions.models import (
        DiscussionPoint,
        MuddiestPoint,
        PairPrompt,
        Room,
        SharedResource,
    )

    muddiest = MuddiestPoint.objects.create(week=week, author=people["participant"], text="Why?")
    resource = SharedResource.objects.create(
        week=week, shared_by=people["participant"], title="A post", url="https://example.com/"
    )
    from notifications.models import Announcement, Delivery

    announcement = Announcement.objects.create(
        cohort=cohort,
        subject="Hello",
        body="Hi",
        form_key="access-check",
        status=Announcement.Status.SCHEDULED,
        send_at=timezone.now(),
    )

    unknown = Delivery.objects.create(
        kind="invitation",
        cohort=cohort,
        recipient="someone@example.com",
        dedupe_key="invitation:access-check",
        status=Delivery.Status.UNKNOWN,
    )
    return {
        "slug": cohort.slug,
        "number": 1,
        "member_id": participant.pk,
        "invitation_id": invitation.pk,
        "item_id": item.pk,
        "assignment_id": assignment.pk,
        "submission_id": submission.pk,
        "user_id": people["participant"].pk,
        "point_id": DiscussionPoint.objects.create(week=week, text="A point").pk,
        "prompt_id": PairPrompt.objects.create(week=week, prompt="Explain it").pk,
        "muddiest_id": muddiest.pk,
        "resource_id": resource.pk,
        "delivery_id": unknown.pk,
        "room_id": Room.objects.create(cohort=cohort, name="Main room").pk,
        "announcement_id": announcement.pk,
    }


def test_walker_finds_the_cohort_urls():
    names = {name for _, name, _ in cohort_patterns()}
    assert {"cohorts:detail", "cohorts:week", "cohorts:manage_invitations"} <= names


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("route", "name", "callback"), cohort_patterns(), ids=lambda v: v if isinstance(v, str) else ""
)
def test_every_cohort_url_checks_access(
    route, name, callback, url_arguments, actors, client_for, request
):
    people = actors
    if getattr(callback, "token_access", False):
        assert name in TOKEN_ACCESS, f"{route} ({name}) uses token access but is not listed"
        check_token_access(route, name, url_arguments, people, client_for, request)
        return
    assert name not in TOKEN_ACCESS, f"{name} is listed in TOKEN_ACCESS but is not token_access"
    rule = getattr(callback, "cohort_rule", None)
    assert rule in ALLOWED, f"{route} ({name}) is not wrapped in cohorts.permissions.cohort_view"
    needed = re.findall(r"<(?:\w+:)?(\w+)>", route)
    missing = [arg for arg in needed if arg not in url_arguments]
    assert not missing, f"Add sample values for {missing} to url_arguments so {name} is checked"
    url = reverse(name, kwargs={arg: url_arguments[arg] for arg in needed})

    for actor in ACTORS:
        client = client_for(people.get(actor))
        response = client.get(url)
        if actor == "anonymous":
            assert response.status_code == 302, (url, actor)
            assert response["Location"].startswith(reverse("account_login")), (url, actor)
        elif actor in ("outsider", "staff"):
            assert response.status_code == 404, (url, actor)
        elif actor in ALLOWED[rule]:
            assert response.status_code not in (302, 403, 404), (url, actor, response.status_code)
        else:
            assert response.status_code == 403, (url, actor, response.status_code)


def check_token_access(route, name, url_arguments, people, client_for, request):
    needed = re.findall(r"<(?:\w+:)?(\w+)>", route)
    url = reverse(name, kwargs={arg: url_arguments[arg] for arg in needed})
    cohort_slug = url_arguments["slug"]
    own = Membership.objects.get(cohort__slug=cohort_slug, user=people["participant"])
    other_cohort = request.getfixturevalue("other_cohort")
    foreigner = Membership.objects.create(user=people["outsider"], cohort=other_cohort)
    left = Membership.objects.get(cohort__slug=cohort_slug, user=people["facilitator"])
    left.left_at = timezone.now()
    left.save()

    anonymous = client_for(None)
    assert anonymous.get(url).status_code == 404, (url, "no token")
    assert anonymous.get(url, {"token": "not-a-token"}).status_code == 404, (url, "bad token")
    assert anonymous.get(url, {"token": ""}).status_code == 404, (url, "empty token")
    foreign = anonymous.get(url, {"token": foreigner.calendar_token})
    assert foreign.status_code == 404, (url, "another cohort's member's token")
    assert anonymous.get(url, {"token": left.calendar_token}).status_code == 404, (url, "left")
    for actor in ("participant", "organizer", "outsider", "staff"):
        signed_in = client_for(people[actor])
        assert signed_in.get(url).status_code == 404, (url, actor, "a session is no key")
    assert client_for(None).get(url, {"token": own.calendar_token}).status_code == 200, url
    # Once reset, the old token opens nothing.
    old_token = own.calendar_token
    own.reset_calendar_token()
    assert client_for(None).get(url, {"token": old_token}).status_code == 404, (url, "reset")


def test_token_access_list_names_real_urls():
    names = {name for _, name, _ in cohort_patterns()}
    assert TOKEN_ACCESS.issubset(names)


@pytest.mark.django_db
def test_member_of_one_cohort_gets_404_in_another(cohort, other_cohort, people, client_for):
    client = client_for(people["organizer"])
    assert client.get(reverse("cohorts:detail", args=[other_cohort.slug])).status_code == 404
    assert (
        client.get(reverse("cohorts:manage_members", args=[other_cohort.slug])).status_code == 404
    )
    assert client.get("/c/no-such-cohort/").status_code == 404


@pytest.mark.django_db
def test_member_who_left_is_an_outsider(cohort, people, client_for):
    Membership.objects.filter(user=people["participant"]).update(left_at=timezone.now())
    client = client_for(people["participant"])
    assert client.get(reverse("cohorts:detail", args=[cohort.slug])).status_code == 404


@pytest.mark.django_db
def test_organizer_cannot_act_on_another_cohorts_rows(
    cohort, other_cohort, people, make_user, client_for
):
    stranger = make_user("stranger@example.com")
    foreign = Membership.objects.create(user=stranger, cohort=other_cohort)
    foreign_invite = Invitation.objects.create(cohort=other_cohort, email="x@example.com")
    client = client_for(people["organizer"])
    url = reverse("cohorts:manage_member_remove", args=[cohort.slug, foreign.pk])
    assert client.post(url).status_code == 404
    url = reverse("cohorts:manage_invitation_revoke", args=[cohort.slug, foreign_invite.pk])
    assert client.post(url).status_code == 404
    foreign.refresh_from_db()
    foreign_invite.refresh_from_db()
    assert foreign.left_at is None and foreign_invite.revoked_at is None


# --- Each finer rule in cohorts.permissions, with an actor it allows and one it refuses ---


@pytest.fixture
def started_week(cohort):
    """Week 1, published, its session an hour ago; week 2 stays a draft."""
    week = cohort.weeks.get(number=1)
    week.publish_at = timezone.now() - timedelta(days=6)
    week.session_start = timezone.now() - timedelta(hours=1)
    week.save()
    return week


@pytest.mark.django_db
def test_can_see_week(cohort, started_week, people, client_for):
    draft = reverse("cohorts:week", args=[cohort.slug, 2])
    assert client_for(people["facilitator"]).get(draft).status_code == 200
    assert client_for(people["participant"]).get(draft).status_code == 404
    published = reverse("cohorts:week", args=[cohort.slug, 1])
    assert client_for(people["participant"]).get(published).status_code == 200
    # So do the schedule and the week pager.
    week_2_link = f'href="{draft}"'
    schedule = reverse("cohorts:detail", args=[cohort.slug])
    assert week_2_link in client_for(people["facilitator"]).get(schedule).content.decode()
    assert week_2_link not in client_for(people["participant"]).get(schedule).content.decode()
    assert week_2_link not in client_for(people["participant"]).get(published).content.decode()
    assert week_2_link in client_for(people["facilitator"]).get(published).content.decode()
    # The calendar feed asks the same question: a draft week's title stays hidden.
    cohort.weeks.filter(number=2).update(title="Secret topic")
    participant = Membership.objects.get(cohort=cohort, user=people["participant"])
    facilitator = Membership.objects.get(cohort=cohort, user=people["facilitator"])
    feed = reverse("cohorts:calendar", args=[cohort.slug])
    assert (
        b"Secret topic"
        not in client_for(None).get(feed, {"token": participant.calendar_token}).content
    )
    assert (
        b"Secret topic" in client_for(None).get(feed, {"token": facilitator.calendar_token}).content
    )


@pytest.mark.django_db
def test_can_remove(cohort, started_week, people, make_user, client_for):
    from discussions.models import MuddiestPoint

    other = make_user("other@example.com", "Other Participant")
    Membership.objects.create(user=other, cohort=cohort)

    def delete_as(user):
        point = MuddiestPoint.objects.create(
            week=started_week, author=people["participant"], text="?"
        )
        url = reverse("discussions:muddiest_delete", args=[cohort.slug, 1, point.pk])
        status = client_for(user).post(url).status_code
        return status, MuddiestPoint.objects.filter(pk=point.pk).exists()

    assert delete_as(other) == (403, True)
    assert delete_as(people["participant"]) == (302, False)
    assert delete_as(people["facilitator"]) == (302, False)


@pytest.mark.django_db
def test_can_give_feedback(cohort, started_week, people, client_for):
    from discussions.models import Feedback

    ratings = {
        "feedback-logistics": "4",
        "feedback-content_quality": "4",
        "feedback-content_relevance": "4",
        "feedback-overall": "4",
    }
    url = reverse("discussions:feedback", args=[cohort.slug, 1])
    assert client_for(people["facilitator"]).post(url, ratings).status_code == 403
    assert client_for(people["participant"]).post(url, ratings).status_code == 302
    assert Feedback.objects.filter(user=people["participant"]).count() == 1
    # Before the session has started, nobody rates it.
    week_2 = cohort.weeks.get(number=2)
    week_2.publish_at = timezone.now()
    week_2.session_start = timezone.now() + timedelta(days=1)
    week_2.save()
    url = reverse("discussions:feedback", args=[cohort.slug, 2])
    assert client_for(people["participant"]).post(url, ratings).status_code == 403


@pytest.mark.django_db
def test_can_import_courses(cohort, people, actors, client_for):
    url = reverse("course_import")
    assert client_for(people["organizer"]).get(url).status_code == 200
    assert client_for(actors["staff"]).get(url).status_code == 200
    assert client_for(people["facilitator"]).get(url).status_code == 403


@pytest.mark.django_db
def test_site_staff_required(actors, client_for):
    url = reverse("cohort_create")
    assert client_for(actors["staff"]).get(url).status_code == 200
    refused = client_for(actors["organizer"]).get(url)
    # Homeroom's own 403 page, not the Django admin's login.
    assert refused.status_code == 403
    anonymous = client_for(None).get(url)
    assert anonymous.status_code == 302
    assert anonymous["Location"].startswith(reverse("account_login"))


@pytest.mark.django_db
def test_site_staff_are_nobody_inside_a_cohort(cohort, actors, client_for):
    client = client_for(actors["staff"])
    assert client.get(reverse("cohorts:detail", args=[cohort.slug])).status_code == 404
    url = reverse("cohorts:manage_member_remove", args=[cohort.slug, 1])
    assert client.post(url).status_code == 404
    # …and the home page lists no cohort of which they are not a member.
    assert "Machine Learning" not in client.get(reverse("home")).content.decode()


def test_can_see_week_in_sql_is_the_same_rule(cohort, people):
    """The condition Mark watched's single statement writes under (PostgreSQL) agrees with
    `can_see_week` for every role and every kind of publish time, the instant itself too."""
    now = timezone.now()
    week = cohort.weeks.get(number=1)
    publish_times = [None, now - timedelta(days=1), now, now + timedelta(microseconds=1)]
    for membership in Membership.objects.filter(cohort=cohort):
        access = CohortAccess.of(membership)
        for publish_at in publish_times:
            week.publish_at = publish_at
            week.save(update_fields=["publish_at"])
            condition, params = access.can_see_week_sql("w", now)
            with connection.cursor() as cursor:
                cursor.execute(
                    f"SELECT {condition} FROM {Week._meta.db_table} w WHERE w.id = %s",  # noqa: S608
                    [*params, week.pk],
                )
                in_sql = bool(cursor.fetchone()[0])
            assert in_sql is access.can_see_week(week, now), (membership.role, publish_at)
