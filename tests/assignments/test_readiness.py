"""Facilitators and organizers see the class's readiness on the week page, not a
checklist of their own."""

import pytest
from django.urls import reverse
from django.utils import timezone

from assignments.models import Completion, Submission
from cohorts.models import Membership, Role

pytestmark = pytest.mark.django_db


@pytest.fixture
def class_of_three(upcoming_week, items, assignment, people, make_user):
    """Pat did the three required videos and handed in; Ann did one video; Bo nothing; Lea
    did everything but left the cohort."""
    ann, bo, lea = (make_user(f"{n}@example.com", n.title()) for n in ("ann", "bo", "lea"))
    for user in (ann, bo, lea):
        Membership.objects.create(user=user, cohort=upcoming_week.cohort, role=Role.PARTICIPANT)
    pat = people["participant"]
    for user, done in ((pat, items[:3]), (ann, items[:1]), (lea, items[:3])):
        Completion.objects.bulk_create(Completion(user=user, item=item) for item in done)
    for user in (pat, lea):
        Submission.objects.create(assignment=assignment, user=user, link="https://a.example/x")
    Membership.objects.filter(user=lea).update(left_at=timezone.now())
    return upcoming_week


@pytest.mark.parametrize("role", ["facilitator", "organizer"])
def test_facilitators_see_who_is_ready_and_the_items_without_ticks(
    class_of_three, items, role, people, client_for
):
    week = class_of_three
    page = client_for(people[role]).get(week.get_absolute_url()).content.decode()
    assert "1 of 3 participants finished the required pre-work" in page
    assert "Handed in by 1 of 3 participants." in page
    progress_url = reverse("assignments:progress_week", args=[week.cohort.slug, week.number])
    assert f'href="{progress_url}"' in page
    for item in items:
        assert item.title in page
    # None of a participant's own checklist.
    for words in ("Mark watched", "Hand it in", "required done", "min left", "aria-pressed"):
        assert words not in page[page.index('id="prework"') : page.index('id="discussions"')]


def test_participants_keep_their_checklist(class_of_three, people, client_for):
    page = client_for(people["participant"]).get(class_of_three.get_absolute_url())
    page = page.content.decode()
    assert "Watched" in page and "3 of 3 required done" in page
    assert "finished the required pre-work" not in page and "Handed in by" not in page
