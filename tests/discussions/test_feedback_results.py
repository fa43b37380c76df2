"""Feedback results: averages and counts per week, a trend chart with a table beside it;
comments for organizers only."""

import pytest
from django.urls import reverse

from discussions import charts
from discussions.models import RATINGS, Feedback

pytestmark = pytest.mark.django_db


def give(week, user, overall, comment="", others=4):
    return Feedback.objects.create(
        week=week,
        user=user,
        logistics=others,
        content_quality=others,
        content_relevance=others,
        overall=overall,
        comment=comment,
    )


def test_averages_and_counts_per_week(cohort, week_in_session, participants, people, client_for):
    week_two = cohort.weeks.get(number=2)  # its session date is in the fixture's past
    give(week_in_session, participants[0], 5, "Loved the pairs")
    give(week_in_session, participants[1], 2, others=2)
    give(week_two, participants[0], 3)
    summary = Feedback.objects.summary_by_week(cohort)
    assert summary[week_in_session.pk]["responses"] == 2
    assert summary[week_in_session.pk]["overall"] == 3.5
    assert summary[week_in_session.pk]["logistics"] == 3
    assert summary[week_two.pk]["responses"] == 1

    response = client_for(people["organizer"]).get(
        reverse("discussions:feedback_results", args=[cohort.slug])
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert 'role="img"' in page and "<title" in page  # the chart has a text alternative
    assert "<table" in page and "<td>3.5</td>" in page and "<td>2</td>" in page
    assert "Loved the pairs" in page
    assert participants[0].display_name not in page, "comments are shown without names"


def test_facilitators_see_aggregates_but_not_comments(
    cohort, week_in_session, participants, people, client_for
):
    give(week_in_session, participants[0], 4, "Private remark")
    response = client_for(people["facilitator"]).get(
        reverse("discussions:feedback_results", args=[cohort.slug])
    )
    assert response.status_code == 200
    assert b"4.0" in response.content
    assert b"Private remark" not in response.content
    participant = client_for(participants[0])
    assert (
        participant.get(reverse("discussions:feedback_results", args=[cohort.slug])).status_code
        == 403
    )


def test_no_feedback_yet(cohort, people, client_for):
    response = client_for(people["organizer"]).get(
        reverse("discussions:feedback_results", args=[cohort.slug])
    )
    assert b"No feedback yet" in response.content


def test_trend_chart_coordinates(cohort):
    weeks = list(cohort.weeks.all()[:3])
    rows = [
        {
            "week": weeks[0],
            "logistics": 5,
            "content_quality": 1,
            "content_relevance": 3,
            "overall": 4,
        },
        {
            "week": weeks[1],
            "logistics": 4,
            "content_quality": 2,
            "content_relevance": 3,
            "overall": 4,
        },
        {
            "week": weeks[2],
            "logistics": 3,
            "content_quality": 3,
            "content_relevance": 3,
            "overall": 4,
        },
    ]
    chart = charts.trend_chart(rows, RATINGS)
    logistics = chart.series[0]
    assert [point[3] for point in logistics.points] == [5, 4, 3]
    # Higher ratings sit higher: smaller y.
    assert logistics.points[0][1] < logistics.points[2][1]
    assert logistics.points[0][1] == chart.plot_top
    assert chart.series[1].points[0][1] == chart.plot_bottom
    assert [label for _, label in chart.x_ticks] == ["W1", "W2", "W3"]
    assert charts.trend_chart([], RATINGS) is None
