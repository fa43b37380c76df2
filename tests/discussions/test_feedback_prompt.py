"""The last session's feedback form, offered where participants look: "How was Week 1?
Rate it" on the coming week's page and on the cohort page, until they have answered."""

import pytest
from django.urls import reverse

from discussions.models import Feedback

pytestmark = pytest.mark.django_db


def feedback_url(week):
    return reverse("discussions:feedback", args=[week.cohort.slug, week.number])


def rate(week, user):
    Feedback.objects.create(
        week=week, user=user, logistics=4, content_quality=4, content_relevance=5, overall=4
    )


def test_the_coming_week_asks_for_the_last_sessions_feedback_until_it_is_given(
    week_in_session, future_week, people, client_for
):
    client = client_for(people["participant"])
    page = client.get(future_week.get_absolute_url()).content.decode()
    assert "How was Week 1?" in page
    assert f'href="{feedback_url(week_in_session)}">Rate it</a>' in page
    # The prompt comes before the pre-work, where people look first.
    assert page.index("How was Week 1?") < page.index('id="prework"')
    # This week's own form is not open yet, and says so.
    assert "Feedback opens when the session starts" in page

    cohort_page = client.get(week_in_session.cohort.get_absolute_url()).content.decode()
    assert "How was Week 1?" in cohort_page
    assert f'href="{feedback_url(week_in_session)}">Rate it</a>' in cohort_page

    rate(week_in_session, people["participant"])
    assert "How was Week 1?" not in client.get(future_week.get_absolute_url()).content.decode()
    assert (
        "How was Week 1?"
        not in client.get(week_in_session.cohort.get_absolute_url()).content.decode()
    )


def test_the_session_that_started_shows_its_own_form_not_a_prompt(
    week_in_session, future_week, people, client_for
):
    page = client_for(people["participant"]).get(week_in_session.get_absolute_url())
    page = page.content.decode()
    assert "How was Week" not in page
    assert 'id="feedback-heading"' in page and "Feedback opens" not in page


def test_no_prompt_before_the_first_session_or_for_facilitators_and_organizers(
    week_in_session, future_week, cohort, people, client_for
):
    for role in ("facilitator", "organizer"):
        client = client_for(people[role])
        assert "How was Week" not in client.get(future_week.get_absolute_url()).content.decode()
        assert "How was Week" not in client.get(cohort.get_absolute_url()).content.decode()
    # Week 1 moved to next week: no session has happened yet, nothing to rate.
    week_in_session.session_start = future_week.session_start + (
        future_week.session_start - week_in_session.session_start
    )
    week_in_session.save()
    client = client_for(people["participant"])
    assert "How was Week" not in client.get(future_week.get_absolute_url()).content.decode()
    assert "How was Week" not in client.get(cohort.get_absolute_url()).content.decode()


def test_an_unpublished_week_is_never_offered(week_in_session, future_week, people, client_for):
    week_in_session.publish_at = None
    week_in_session.save()
    page = client_for(people["participant"]).get(future_week.get_absolute_url()).content.decode()
    assert "How was Week" not in page


def test_rating_from_the_feedback_page_with_htmx_goes_to_the_week_page(
    week_in_session, future_week, people, client_for
):
    url = feedback_url(week_in_session)
    response = client_for(people["participant"]).post(
        url,
        {
            f"feedback-{name}": 4
            for name in ("logistics", "content_quality", "content_relevance", "overall")
        },
        HTTP_HX_REQUEST="true",
        HTTP_HX_CURRENT_URL=f"http://testserver{url}",
    )
    assert response.status_code == 200
    assert response["HX-Redirect"] == f"{week_in_session.get_absolute_url()}#feedback"
    assert Feedback.objects.get(user=people["participant"]).overall == 4
