"""The week page's discussion section: muddiest points, discussion points, shared resources
and feedback — what each role sees and may do."""

import pytest
from django.urls import reverse

from discussions.models import (
    DiscussionPoint,
    Feedback,
    MuddiestPoint,
    MuddiestVote,
    SessionSettings,
    SharedResource,
)

pytestmark = pytest.mark.django_db


def url(name, week, *args):
    return reverse(f"discussions:{name}", args=[week.cohort.slug, week.number, *args])


def week_page(client, week):
    return client.get(week.get_absolute_url())


def test_participant_posts_a_muddiest_point_and_others_upvote_it(
    week_in_session, participants, client_for
):
    author, other = participants[0], participants[1]
    client = client_for(author)
    response = client.post(
        url("muddiest_add", week_in_session), {"muddiest-text": "  Why is it linear?  "}
    )
    assert response.status_code == 302
    assert response["Location"].endswith("#muddiest")
    point = MuddiestPoint.objects.get(week=week_in_session)
    assert point.text == "Why is it linear?" and point.author == author

    # The author cannot +1 their own point.
    client.post(url("muddiest_vote", week_in_session, point.pk))
    assert point.votes.count() == 0

    client = client_for(other)
    client.post(url("muddiest_vote", week_in_session, point.pk))
    assert MuddiestVote.objects.filter(point=point, user=other).exists()
    page = week_page(client, week_in_session).content.decode()
    assert "Why is it linear?" in page
    assert 'aria-pressed="true"' in page
    assert author.display_name not in page, "muddiest points are shown without names"
    client.post(url("muddiest_vote", week_in_session, point.pk))  # and take it back
    assert point.votes.count() == 0


def test_muddiest_points_are_ranked_by_votes(week_in_session, participants, client_for):
    low = MuddiestPoint.objects.create(week=week_in_session, author=participants[0], text="Low")
    high = MuddiestPoint.objects.create(week=week_in_session, author=participants[0], text="High")
    for voter in participants[1:4]:
        MuddiestVote.objects.create(point=high, user=voter)
    MuddiestVote.objects.create(point=low, user=participants[4])
    assert list(week_in_session.muddiest_points.ranked()) == [high, low]
    page = week_page(client_for(participants[5]), week_in_session).content.decode()
    assert page.index("High") < page.index("Low")


def test_empty_or_too_long_muddiest_point_is_refused(week_in_session, participants, client_for):
    client = client_for(participants[0])
    response = client.post(url("muddiest_add", week_in_session), {"muddiest-text": "   "})
    assert response.status_code == 200 and b"This field is required" in response.content
    response = client.post(url("muddiest_add", week_in_session), {"muddiest-text": "x" * 501})
    assert b"at most 500 characters" in response.content
    assert not MuddiestPoint.objects.exists()


def test_htmx_gets_the_section_back_with_errors(week_in_session, participants, client_for):
    client = client_for(participants[0])
    response = client.post(
        url("muddiest_add", week_in_session), {"muddiest-text": ""}, HTTP_HX_REQUEST="true"
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert body.count('id="discussions"') == 1 and "This field is required" in body
    assert "<html" not in body


def test_someones_refused_input_never_shows_in_the_empty_forms_others_get(
    week_in_session, participants, client_for
):
    # The empty muddiest point and link forms are rendered once and reused.
    blank = week_page(client_for(participants[1]), week_in_session).content.decode()
    assert 'name="muddiest-text"' in blank and 'name="resource-url"' in blank
    client = client_for(participants[0])
    refused = client.post(
        url("resource_add", week_in_session),
        {"resource-title": "Secret draft title", "resource-url": "not a link"},
        HTTP_HX_REQUEST="true",
    ).content.decode()
    assert "Secret draft title" in refused and "Enter a valid URL" in refused
    again = week_page(client_for(participants[1]), week_in_session).content.decode()
    assert "Secret draft title" not in again and "Enter a valid URL" not in again
    assert again.count('name="resource-url"') == 1 and again.count('name="muddiest-text"') == 1


def test_facilitator_turns_a_muddiest_point_into_a_discussion_point_once(
    week_in_session, participants, people, client_for
):
    point = MuddiestPoint.objects.create(
        week=week_in_session, author=participants[0], text="Loss vs cost?"
    )
    client = client_for(people["facilitator"])
    assert "Make it a discussion point" in week_page(client, week_in_session).content.decode()
    client.post(url("muddiest_promote", week_in_session, point.pk))
    client.post(url("muddiest_promote", week_in_session, point.pk))
    discussion_point = DiscussionPoint.objects.get(week=week_in_session)
    assert discussion_point.text == "Loss vs cost?" and discussion_point.source == point
    # Participants cannot promote.
    other = MuddiestPoint.objects.create(
        week=week_in_session, author=participants[0], text="Another"
    )
    response = client_for(participants[1]).post(url("muddiest_promote", week_in_session, other.pk))
    assert response.status_code == 403


def test_only_the_author_or_a_facilitator_removes_a_muddiest_point(
    week_in_session, participants, people, client_for
):
    point = MuddiestPoint.objects.create(week=week_in_session, author=participants[0], text="Mine")
    assert (
        client_for(participants[1])
        .post(url("muddiest_delete", week_in_session, point.pk))
        .status_code
        == 403
    )
    assert (
        client_for(participants[0])
        .get(url("muddiest_delete", week_in_session, point.pk))
        .status_code
        == 200
    )
    client_for(participants[0]).post(url("muddiest_delete", week_in_session, point.pk))
    assert not MuddiestPoint.objects.exists()
    point = MuddiestPoint.objects.create(
        week=week_in_session, author=participants[0], text="Theirs"
    )
    client_for(people["facilitator"]).post(url("muddiest_delete", week_in_session, point.pk))
    assert not MuddiestPoint.objects.exists()


def test_discussion_points_show_to_participants_only_when_switched_on(
    week_in_session, participants, people, client_for
):
    DiscussionPoint.objects.create(week=week_in_session, text="Why is **this** linear?")
    participant = client_for(participants[0])
    assert (
        "Why is <strong>this</strong> linear?"
        not in week_page(participant, week_in_session).content.decode()
    )
    facilitator = client_for(people["facilitator"])
    page = week_page(facilitator, week_in_session).content.decode()
    assert "Why is <strong>this</strong> linear?" in page and "Hidden from participants" in page
    facilitator.post(url("points_visibility", week_in_session), {"visible": "1"})
    assert SessionSettings.points_visible_for(week_in_session)
    participant = client_for(participants[0])
    assert (
        "Why is <strong>this</strong> linear?"
        in week_page(participant, week_in_session).content.decode()
    )


def test_markdown_in_discussion_points_is_sanitized(week_in_session, people, client_for):
    SessionSettings.set_points_visible(week_in_session, True)
    DiscussionPoint.objects.create(week=week_in_session, text="<script>alert(1)</script> *ok*")
    page = week_page(client_for(people["participant"]), week_in_session).content.decode()
    assert "<script>alert(1)" not in page and "<em>ok</em>" in page


def test_sharing_upvoting_pinning_and_removing_a_resource(
    week_in_session, participants, people, client_for
):
    sharer = client_for(participants[0])
    response = sharer.post(
        url("resource_add", week_in_session),
        {
            "resource-title": "3Blue1Brown on gradients",
            "resource-url": "https://www.youtube.com/watch?v=IHZwWFHWa-w",
            "resource-note": "Finally made sense",
        },
    )
    assert response.status_code == 302
    resource = SharedResource.objects.get()
    assert resource.shared_by == participants[0]

    client_for(participants[1]).post(url("resource_upvote", week_in_session, resource.pk))
    client_for(participants[2]).post(url("resource_upvote", week_in_session, resource.pk))
    client_for(participants[0]).post(
        url("resource_upvote", week_in_session, resource.pk)
    )  # own: no
    assert resource.upvotes.count() == 2

    assert (
        client_for(participants[1])
        .post(url("resource_pin", week_in_session, resource.pk))
        .status_code
        == 403
    )
    assert (
        client_for(people["facilitator"])
        .post(url("resource_pin", week_in_session, resource.pk))
        .status_code
        == 403
    )
    client_for(people["organizer"]).post(url("resource_pin", week_in_session, resource.pk))
    resource.refresh_from_db()
    assert resource.pinned

    organizer = client_for(people["organizer"])
    confirm = organizer.get(url("resource_remove", week_in_session, resource.pk))
    assert confirm.status_code == 200 and b"Remove" in confirm.content
    assert SharedResource.objects.exists(), "GET only asks"
    organizer.post(url("resource_remove", week_in_session, resource.pk))
    assert not SharedResource.objects.exists()


def test_resource_links_must_be_http(week_in_session, participants, client_for):
    client = client_for(participants[0])
    for bad in ["javascript:alert(1)", "ftp://example.com/file", "not a url"]:
        response = client.post(
            url("resource_add", week_in_session), {"resource-title": "Bad", "resource-url": bad}
        )
        assert response.status_code == 200, bad
    assert not SharedResource.objects.exists()


def test_pinned_resources_come_first(week_in_session, participants):
    popular = SharedResource.objects.create(
        week=week_in_session, shared_by=participants[0], title="Popular", url="https://a.example/"
    )
    pinned = SharedResource.objects.create(
        week=week_in_session,
        shared_by=participants[0],
        title="Pinned",
        url="https://b.example/",
        pinned=True,
    )
    popular.toggle_upvote(participants[1])
    assert list(week_in_session.shared_resources.ranked()) == [pinned, popular]


RATINGS = {
    "feedback-logistics": "4",
    "feedback-content_quality": "5",
    "feedback-content_relevance": "3",
    "feedback-overall": "4",
    "feedback-comment": "More pair time please",
}


def test_feedback_opens_at_the_session_start(future_week, participants, client_for):
    client = client_for(participants[0])
    page = week_page(client, future_week).content.decode()
    assert "Feedback opens when the session starts" in page
    assert 'name="feedback-overall"' not in page
    response = client.post(url("feedback", future_week), RATINGS)
    assert response.status_code == 403
    assert not Feedback.objects.exists()


def test_one_feedback_per_person_and_week_and_it_can_be_changed(
    week_in_session, participants, client_for
):
    client = client_for(participants[0])
    assert 'name="feedback-overall"' in week_page(client, week_in_session).content.decode()
    assert client.post(url("feedback", week_in_session), RATINGS).status_code == 302
    assert (
        client.post(
            url("feedback", week_in_session), {**RATINGS, "feedback-overall": "2"}
        ).status_code
        == 302
    )
    feedback = Feedback.objects.get()
    assert (feedback.user, feedback.overall, feedback.logistics) == (participants[0], 2, 4)
    page = week_page(client, week_in_session).content.decode()
    assert "you rated this session" in page and "Update feedback" in page


def test_feedback_ratings_must_be_one_to_five(week_in_session, participants, client_for):
    client = client_for(participants[0])
    for value in ["0", "6", "", "x"]:
        response = client.post(
            url("feedback", week_in_session), {**RATINGS, "feedback-overall": value}
        )
        assert response.status_code == 200, value
        page = response.content.decode()
        assert 'name="feedback-overall"' in page and "field__error" in page, value
        assert "checked" in page  # the other answers are kept
    assert not Feedback.objects.exists()


def test_facilitators_do_not_rate_but_see_the_summary(
    week_in_session, participants, people, client_for
):
    Feedback.objects.create(
        week=week_in_session,
        user=participants[0],
        logistics=4,
        content_quality=4,
        content_relevance=4,
        overall=5,
    )
    client = client_for(people["facilitator"])
    page = week_page(client, week_in_session).content.decode()
    assert 'name="feedback-overall"' not in page
    assert "1 response, overall 5.0 of 5" in page
    assert client.post(url("feedback", week_in_session), RATINGS).status_code == 403


def test_participants_see_no_facilitator_things_on_the_week_page(
    week_in_session, participants, people, client_for
):
    week_in_session.facilitator_notes = "SECRET-NOTES: watch the time"
    week_in_session.save()
    page = week_page(client_for(participants[0]), week_in_session).content.decode()
    for hidden in [
        "SECRET-NOTES",
        "Open the session page",
        "Attendance",
        "Pre-work done",
        url("session", week_in_session),
        url("pairs_print", week_in_session),
    ]:
        assert hidden not in page


def test_participants_never_see_unpublished_weeks(cohort, participants, client_for):
    draft = cohort.weeks.get(number=5)
    draft.publish_at = None
    draft.save()
    client = client_for(participants[0])
    assert client.get(url("feedback", draft)).status_code == 404
    assert client.post(url("muddiest_add", draft), {"muddiest-text": "Hm"}).status_code == 404
