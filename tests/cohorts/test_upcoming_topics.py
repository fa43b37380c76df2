"""Upcoming topics: a per-cohort choice to show participants the titles of sessions not yet
published (once the organizer has named them), never their pre-work."""

from datetime import timedelta

import icalendar
import pytest
from django.urls import reverse
from django.utils import timezone

from assignments.models import PreworkItem
from cohorts.calendar import feed
from cohorts.forms import CohortSettingsForm
from cohorts.models import Membership


@pytest.fixture
def syllabus(cohort):
    """Week 1 published; week 2 named but unpublished, with pre-work; week 3 unnamed."""
    weeks = {week.number: week for week in cohort.weeks.all()}
    weeks[1].title = "Linear models"
    weeks[1].publish_at = timezone.now() - timedelta(days=1)
    weeks[1].save()
    weeks[2].title = "Gradient descent"
    weeks[2].publish_at = timezone.now() + timedelta(days=5)
    weeks[2].save()
    PreworkItem.objects.create(week=weeks[2], kind="video", title="Descending slopes", minutes=9)
    return weeks


def schedule_for(client, cohort):
    response = client.get(reverse("cohorts:detail", args=[cohort.slug]))
    assert response.status_code == 200
    return response.content.decode()


def test_participants_see_only_published_topics_by_default(cohort, people, syllabus, client_for):
    page = schedule_for(client_for(people["participant"]), cohort)
    assert "Linear models" in page
    assert "Gradient descent" not in page
    assert page.count("Topic not published yet") == 11


def test_with_upcoming_topics_shown_participants_see_named_titles_but_no_prework(
    cohort, people, syllabus, client_for
):
    cohort.show_upcoming_titles = True
    cohort.save()
    participant = client_for(people["participant"])
    page = schedule_for(participant, cohort)

    assert "Gradient descent" in page
    assert syllabus[2].get_absolute_url() not in page  # a title, not a link to the week
    assert "Descending slopes" not in page
    assert page.count("Topic not published yet") == 10  # weeks 3–12 still carry default titles
    assert "Coming soon" in page
    assert participant.get(syllabus[2].get_absolute_url()).status_code == 404

    membership = Membership.objects.get(user=people["participant"], cohort=cohort)
    summaries = {
        str(event["SUMMARY"])
        for event in icalendar.Calendar.from_ical(feed(membership)).walk("VEVENT")
    }
    assert f"{cohort.title} · {syllabus[2].heading}" in summaries
    assert f"{cohort.title} · {syllabus[3].label}" in summaries


def test_the_organizer_switches_upcoming_topics_on_in_the_settings(cohort, people, client_for):
    form = CohortSettingsForm(instance=cohort)
    data = {name: form[name].value() for name in form.fields}
    data = {name: value for name, value in data.items() if value not in (None, False)}
    data["show_upcoming_titles"] = "on"
    organizer = client_for(people["organizer"])
    url = reverse("cohorts:manage_settings", args=[cohort.slug])
    assert "Show upcoming topics" in organizer.get(url).content.decode()

    response = organizer.post(url, data)

    assert response.status_code == 302
    cohort.refresh_from_db()
    assert cohort.show_upcoming_titles


@pytest.mark.parametrize("shown", [True, False])
def test_my_cohorts_names_the_next_session_as_the_schedule_does(
    cohort, other_cohort, people, client_for, shown
):
    """The "My cohorts" card follows the same rule as the schedule: the next session's title
    once named, if the cohort shows upcoming topics; its label alone otherwise."""
    cohort.show_upcoming_titles = shown
    cohort.save()
    week = cohort.weeks.get(number=2)
    week.title, week.publish_at = "Gradient descent", None
    week.save()
    Membership.objects.create(user=people["participant"], cohort=other_cohort)
    now = week.session_start - timedelta(days=1)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(timezone, "now", lambda: now)
        page = client_for(people["participant"]).get(reverse("home")).content.decode()
    card = page.split(f'card__title"><a href="{cohort.get_absolute_url()}">')[1].split("</li>")[0]
    assert "Next session: " in card
    assert ("Week 2: Gradient descent" in card) is shown
    assert week.get_absolute_url() not in card  # still no way into an unpublished week
    if not shown:
        assert "Next session: Week 2," in card
