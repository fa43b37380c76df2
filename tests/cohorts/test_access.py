"""Every URL under /c/<slug>/ goes through the one access check, for every actor.

The test walks the URL configuration, so a view added later without
`cohort_view(...)` makes it fail, and so does a URL argument it cannot fill.
"""

import re

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from assignments.models import Assignment, PreworkItem, Submission
from cohorts.models import Invitation, Membership
from cohorts.permissions import FACILITATOR, MEMBER, ORGANIZER

ACTORS = ["anonymous", "outsider", "participant", "facilitator", "organizer"]
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
def url_arguments(cohort, people):
    week = cohort.weeks.get(number=1)
    week.publish_at = timezone.now()
    week.save()
    invitation = Invitation.objects.create(cohort=cohort, email="someone@example.com")
    participant = Membership.objects.get(cohort=cohort, user=people["participant"])
    item = PreworkItem.objects.create(week=week, title="Video", url="https://example.com/v")
    assignment = Assignment.objects.create(week=week, title="Notebook", due_at=week.session_start)
    submission = Submission.objects.create(assignment=assignment, user=people["participant"])
    from discussions.models import DiscussionPoint, MuddiestPoint, PairPrompt, SharedResource

    muddiest = MuddiestPoint.objects.create(week=week, author=people["participant"], text="Why?")
    resource = SharedResource.objects.create(
        week=week, shared_by=people["participant"], title="A post", url="https://example.com/"
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
    }


def test_walker_finds_the_cohort_urls():
    names = {name for _, name, _ in cohort_patterns()}
    assert {"cohorts:detail", "cohorts:week", "cohorts:manage_invitations"} <= names


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("route", "name", "callback"), cohort_patterns(), ids=lambda v: v if isinstance(v, str) else ""
)
def test_every_cohort_url_checks_access(route, name, callback, url_arguments, people, client_for):
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
        elif actor == "outsider":
            assert response.status_code == 404, (url, actor)
        elif actor in ALLOWED[rule]:
            assert response.status_code not in (302, 403, 404), (url, actor, response.status_code)
        else:
            assert response.status_code == 403, (url, actor, response.status_code)


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
