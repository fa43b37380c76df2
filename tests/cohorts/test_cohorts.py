import io
from datetime import UTC, date, datetime, time, timedelta

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from cohorts import demo
from cohorts.models import Cohort, Membership, Role, User, Week

pytestmark = pytest.mark.django_db


def test_weeks_keep_local_session_time_across_dst():
    cohort = Cohort.objects.create(
        title="Autumn",
        slug="autumn",
        time_zone="Europe/Berlin",
        start_date=date(2026, 10, 12),  # a Monday; sessions on Thursdays
        session_weekday=3,
        session_time=time(18, 30),
    )
    weeks = cohort.create_weeks(3)
    local = [cohort.local(w.session_start) for w in Week.objects.filter(cohort=cohort)]
    assert [d.date() for d in local] == [date(2026, 10, 15), date(2026, 10, 22), date(2026, 10, 29)]
    assert {(d.hour, d.minute) for d in local} == {(18, 30)}
    # Berlin leaves summer time on 25 October: same wall clock, different UTC hour.
    utc_hours = [w.session_start.astimezone(UTC).hour for w in weeks]
    assert utc_hours == [16, 16, 17]


def test_staff_creates_a_cohort_with_its_weeks(make_user, client_for):
    staff = make_user("staff@example.com", "Sam Staff", staff=True)
    response = client_for(staff).post(
        reverse("cohort_create"),
        {
            "title": "Deep Learning",
            "description": "Twelve weeks of **deep learning**.",
            "time_zone": "America/New_York",
            "start_date": "2026-11-02",
            "session_weekday": "2",
            "session_time": "12:00",
            "session_minutes": "90",
            "location": "https://meet.example.com/dl",
            "weeks": "10",
            "organizer_email": "",
        },
    )
    cohort = Cohort.objects.get(title="Deep Learning")
    assert response.status_code == 302 and response["Location"] == cohort.get_absolute_url()
    assert cohort.slug == "deep-learning"
    assert cohort.weeks.count() == 10
    first = cohort.local(cohort.weeks.first().session_start)
    assert (first.date(), first.hour) == (date(2026, 11, 4), 12)
    assert Membership.objects.get(cohort=cohort).role == Role.ORGANIZER


def test_create_form_reports_errors_inline(make_user, client_for):
    staff = make_user("staff@example.com", staff=True)
    response = client_for(staff).post(reverse("cohort_create"), {"title": "", "weeks": "99"})
    assert response.status_code == 200
    page = response.content.decode()
    assert 'class="field__error"' in page
    assert Cohort.objects.count() == 0


def test_non_staff_cannot_create_cohorts(make_user, client_for):
    response = client_for(make_user("p@example.com")).get(reverse("cohort_create"))
    assert response.status_code == 403
    assert Cohort.objects.count() == 0


def test_organizer_renames_a_week_and_moves_its_session(cohort, people, client_for):
    client = client_for(people["organizer"])
    url = reverse("cohorts:manage_week", args=[cohort.slug, 3])
    form = client.get(url).content.decode()
    week = cohort.weeks.get(number=3)
    local = cohort.local(week.session_start)
    assert local.strftime("%Y-%m-%dT%H:%M") in form  # shown on the cohort's clock
    response = client.post(
        url,
        {"title": "Loss and gradient descent", "summary": "", "session_start": "2026-09-18T09:15"},
    )
    assert response.status_code == 302
    week.refresh_from_db()
    assert week.title == "Loss and gradient descent"
    assert week.session_start == datetime(2026, 9, 18, 7, 15, tzinfo=UTC)  # 09:15 in Berlin (CEST)


def test_cohort_page_shows_schedule_in_cohort_time_with_current_week(cohort, people, client_for):
    now = cohort.weeks.get(number=4).session_start.replace(hour=5)
    Week.objects.filter(cohort=cohort).update(publish_at=datetime(2026, 1, 1, tzinfo=UTC))
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(timezone, "now", lambda: now)
        page = client_for(people["participant"]).get(cohort.get_absolute_url()).content.decode()
    assert "Times are in the cohort’s time zone, <strong>Europe/Berlin</strong>" in page
    current = page.split('aria-current="date"')[0].rsplit("<li", 1)[1]
    assert "schedule__week--current" in current
    assert page.count('aria-current="date"') == 1
    assert "Week 4" in page.split('aria-current="date"')[1][:400]
    # Thursday 24 September 2026, 16:00 in Berlin (14:00 UTC), shown on the cohort's clock.
    assert "Thu 24 Sep 2026, 16:00" in page
    assert "14:00" not in page
    for name in ("Olga Organizer", "Fatima Facilitator", "Pat Participant"):
        assert name in page
    assert "Oscar Outsider" not in page


def test_participants_never_see_unpublished_weeks(cohort, people, client_for):
    url = reverse("cohorts:week", args=[cohort.slug, 2])
    assert client_for(people["participant"]).get(url).status_code == 404
    assert client_for(people["facilitator"]).get(url).status_code == 200


def test_home_lists_cohorts_or_goes_straight_to_the_current_week(
    cohort, other_cohort, people, client_for
):
    Week.objects.filter(cohort=cohort).update(publish_at=datetime(2026, 1, 1, tzinfo=UTC))
    client = client_for(people["participant"])
    during = cohort.weeks.get(number=3).session_start - timedelta(days=1)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(timezone, "now", lambda: during)
        response = client.get(reverse("home"))
    assert response.status_code == 302
    assert response["Location"] == f"/c/{cohort.slug}/weeks/3/"
    # Once the last session is over there is no current session: the cohort's page.
    after = cohort.weeks.get(number=12).session_end + timedelta(minutes=1)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(timezone, "now", lambda: after)
        assert cohort.current_week() is None
        assert client.get(reverse("home"))["Location"] == f"/c/{cohort.slug}/"
    Membership.objects.create(user=people["participant"], cohort=other_cohort)
    page = client.get(reverse("home")).content.decode()
    assert "Machine Learning" in page and "Statistics" in page


def test_home_without_cohorts_says_what_to_do(make_user, client_for):
    page = client_for(make_user("new@example.com")).get(reverse("home")).content.decode()
    assert "You are not in a cohort yet" in page


def test_removing_a_member_asks_first_and_keeps_the_last_organizer(cohort, people, client_for):
    client = client_for(people["organizer"])
    participant = Membership.objects.get(user=people["participant"])
    url = reverse("cohorts:manage_member_remove", args=[cohort.slug, participant.pk])
    assert "Remove Pat Participant?" in client.get(url).content.decode()
    participant.refresh_from_db()
    assert participant.left_at is None
    client.post(url)
    participant.refresh_from_db()
    assert participant.left_at is not None
    organizer = Membership.objects.get(user=people["organizer"])
    client.post(reverse("cohorts:manage_member_remove", args=[cohort.slug, organizer.pk]))
    organizer.refresh_from_db()
    assert organizer.left_at is None


def test_organizer_changes_a_role(cohort, people, client_for):
    participant = Membership.objects.get(user=people["participant"])
    client_for(people["organizer"]).post(
        reverse("cohorts:manage_member_update", args=[cohort.slug, participant.pk]),
        {"role": "facilitator", "experience": "new"},
    )
    participant.refresh_from_db()
    assert (participant.role, participant.experience) == ("facilitator", "new")


def test_seed_demo_is_idempotent():
    call_command("seed_demo")
    counts = (
        Cohort.objects.count(),
        User.objects.count(),
        Membership.objects.count(),
        Week.objects.count(),
    )
    call_command("seed_demo")
    assert counts == (
        Cohort.objects.count(),
        User.objects.count(),
        Membership.objects.count(),
        Week.objects.count(),
    )
    cohort = Cohort.objects.get(slug=demo.SLUG)
    # The course (18 people, 12 weeks) and the workshop (14 people, 7 of them new; 4 days).
    assert counts == (2, 25, 32, 16)
    assert cohort.weeks.get(number=2).title == "Linear regression"
    assert cohort.weeks.last().title == "Embeddings"
    assert User.objects.get(email="participant16@example.com").check_password("homeroom-demo")
    assert cohort.weeks.filter(publish_at__lte=timezone.now()).count() == 5
    assert cohort.current_week().number == 5


def test_local_filter_shows_the_cohorts_clock_outside_cohort_pages(cohort):
    from django.template import Context, Template

    week = cohort.weeks.get(number=1)  # Thursday 3 September 2026, 16:00 in Berlin
    template = Template('{% load homeroom %}{{ week.session_start|local:cohort|date:"D j M H:i" }}')
    with timezone.override(UTC):
        assert template.render(Context({"week": week, "cohort": cohort})) == "Thu 3 Sep 16:00"


def test_home_offers_course_file_import_to_organizers_only(cohort, people, client_for):
    url = reverse("home") + "?all"
    assert reverse("course_import") in client_for(people["organizer"]).get(url).content.decode()
    assert (
        reverse("course_import") not in client_for(people["participant"]).get(url).content.decode()
    )


def test_cohort_page_tells_organizers_a_scheduled_week_from_a_draft(cohort, people, client_for):
    Week.objects.filter(cohort=cohort, number=2).update(
        publish_at=timezone.now() + timedelta(days=3)
    )
    Week.objects.filter(cohort=cohort, number__gt=2).update(publish_at=None)
    page = client_for(people["organizer"]).get(cohort.get_absolute_url()).content.decode()
    week_2 = page.split("Week 2</span>")[1].split("</li>")[0]
    week_3 = page.split("Week 3</span>")[1].split("</li>")[0]
    assert "Scheduled" in week_2 and "Draft" not in week_2
    assert "Draft" in week_3
    participant_page = client_for(people["participant"]).get(cohort.get_absolute_url())
    assert "Scheduled" not in participant_page.content.decode()


def test_active_participants_are_current_participants_in_name_order(cohort, people, make_user):
    for email, name in [("zoe@example.com", "Zoe Zed"), ("adam@example.com", "Adam Ant")]:
        Membership.objects.create(user=make_user(email, name), cohort=cohort)
    gone = make_user("gina@example.com", "Gina Gone")
    Membership.objects.create(user=gone, cohort=cohort, left_at=timezone.now())
    names = [m.user.name for m in Membership.objects.active_participants(cohort)]
    assert names == ["Adam Ant", "Pat Participant", "Zoe Zed"]


def test_an_access_check_is_one_query_on_the_membership_table(cohort, people):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from cohorts.permissions import access_for

    with CaptureQueriesContext(connection) as queries:
        assert access_for(people["participant"], cohort).is_member
    assert len(queries) == 1
    assert " JOIN " not in queries[0]["sql"].upper()


def test_the_demo_shows_people_behind_on_earlier_weeks(client):
    call_command("seed_demo", stdout=io.StringIO())
    client.force_login(User.objects.get(email="facilitator@example.com"))
    cohort = Cohort.objects.get(slug=demo.SLUG)
    assert all(
        m.joined_at < cohort.weeks.get(number=1).session_start for m in cohort.memberships.all()
    )
    page = client.get(reverse("assignments:progress", args=[cohort.slug]), {"show": "behind"})
    assert page.status_code == 200
    # The demo's unprepared participants have sessions behind them they did not prepare for.
    behind = [row.membership.user.email for row in page.context["rows"]]
    assert behind, "the behind filter finds somebody in the demo"
    assert all(email.startswith("participant") for email in behind)


def test_a_cohort_months_away_has_no_current_session(cohort, people, client_for):
    first = cohort.weeks.get(number=1).session_start
    Week.objects.filter(cohort=cohort).update(publish_at=datetime(2026, 1, 1, tzinfo=UTC))
    client = client_for(people["participant"])
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(timezone, "now", lambda: first - timedelta(days=90))
        months_ahead = client.get(cohort.get_absolute_url()).content.decode()
        mp.setattr(timezone, "now", lambda: first - timedelta(days=2))
        client = client_for(people["participant"])  # a session of that day
        days_ahead = client.get(cohort.get_absolute_url()).content.decode()
    assert "This week" not in months_ahead
    assert 'aria-current="date"' not in months_ahead
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(timezone, "now", lambda: first - timedelta(days=90))
        assert cohort.current_week() is None
    assert "Next session" in days_ahead.split('aria-current="date"')[1][:600]
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(timezone, "now", lambda: first + timedelta(minutes=5))
        running = client.get(cohort.get_absolute_url()).content.decode()
    assert "In session now" in running.split('aria-current="date"')[1][:600]


def test_the_meeting_link_is_a_link_on_the_cohort_week_and_session_pages(
    cohort, people, client_for
):
    cohort.location = "Room 4.12 “Ada” — or https://meet.example.com/ml-cohort"
    cohort.save()
    Week.objects.filter(cohort=cohort).update(publish_at=datetime(2026, 1, 1, tzinfo=UTC))
    client = client_for(people["facilitator"])
    for url in (
        cohort.get_absolute_url(),
        reverse("cohorts:week", args=[cohort.slug, 1]),
        reverse("discussions:session", args=[cohort.slug, 1]),
    ):
        page = client.get(url).content.decode()
        assert 'href="https://meet.example.com/ml-cohort"' in page, url
        assert "Room 4.12 “Ada”" in page, url


def test_the_weeks_table_shows_each_weeks_prework_and_links_to_its_editor(
    cohort, people, client_for
):
    from assignments.models import Assignment, PreworkItem

    week = cohort.weeks.get(number=2)
    PreworkItem.objects.create(week=week, title="Lecture", url="https://e.com/1", minutes=30)
    PreworkItem.objects.create(week=week, title="Reading", url="https://e.com/2", minutes=15)
    Assignment.objects.create(week=week, title="Exercise", due_at=week.session_start)
    page = client_for(people["organizer"]).get(reverse("cohorts:manage_weeks", args=[cohort.slug]))
    row = page.content.decode().split(f'href="{week.get_absolute_url()}"')[1].split("</tr>")[0]
    assert "2 pre-work items, 45 min · 1 assignment" in row
    assert reverse("assignments:prework_editor", args=[cohort.slug, 2]) in row
    assert "No pre-work yet" in page.content.decode()


def test_my_cohorts_shows_each_cohorts_next_session_and_what_is_left(
    cohort, other_cohort, people, client_for, django_assert_max_num_queries
):
    from assignments.models import Completion, PreworkItem

    Week.objects.filter(cohort=cohort).update(publish_at=datetime(2026, 1, 1, tzinfo=UTC))
    first = cohort.weeks.get(number=1)
    first.title = "Framing"
    first.save()
    items = [
        PreworkItem.objects.create(week=first, title=f"Video {n}", url="https://e.com", minutes=5)
        for n in range(3)
    ]
    Completion.objects.create(user=people["participant"], item=items[0])
    Membership.objects.create(user=people["participant"], cohort=other_cohort)
    Membership.objects.create(user=people["facilitator"], cohort=other_cohort)
    now = first.session_start - timedelta(days=2)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(timezone, "now", lambda: now)
        page = client_for(people["participant"]).get(reverse("home")).content.decode()
        facilitator = client_for(people["facilitator"])
        facilitator.get(reverse("home"))  # the header's cohort list is then in the session
        # A fixed number of queries, however many cohorts and people.
        with django_assert_max_num_queries(14):
            staff_page = facilitator.get(reverse("home"))

    def card(html):
        return html.split('class="card__title"><a href="/c/ml/">')[1].split("</li>")[0]

    assert "Next session:" in card(page) and "Framing" in card(page)
    assert "1 of 3 required pre-work done" in card(page)
    assert "0 of 1 participants ready for Framing" in card(staff_page.content.decode())


def test_my_cohorts_gives_the_first_session_of_a_cohort_that_starts_in_months(
    cohort, other_cohort, people, client_for
):
    """Three months before it starts a cohort has no current session, but it has sessions
    ahead: its card says when the first is, not "No sessions ahead"."""
    Membership.objects.create(user=people["participant"], cohort=other_cohort)
    first = cohort.weeks.get(number=1)
    now = first.session_start - timedelta(days=90)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(timezone, "now", lambda: now)
        page = client_for(people["participant"]).get(reverse("home")).content.decode()
    card = page.split('class="card__title"><a href="/c/ml/">')[1].split("</li>")[0]
    assert "No sessions ahead" not in card
    assert "First session: Week 1" in card
    assert f'datetime="{first.session_start.isoformat()}"' in card


def test_a_week_with_its_default_title_is_not_named_twice(cohort, people, client_for):
    week = cohort.weeks.get(number=1)
    assert week.title == "Week 1"
    page = client_for(people["facilitator"]).get(week.get_absolute_url()).content.decode()
    assert "Week 1: Week 1" not in page
    assert "<title>Week 1 · Homeroom</title>" in page
    week.title = "Framing"
    week.save()
    page = client_for(people["facilitator"]).get(week.get_absolute_url()).content.decode()
    assert "<title>Week 1: Framing · Homeroom</title>" in page


def test_the_header_lists_a_newly_joined_cohort_at_once(cohort, other_cohort, people, client_for):
    from cohorts.models import Invitation

    client = client_for(people["participant"])
    assert "Statistics" not in client.get(cohort.get_absolute_url()).content.decode()
    invitation = Invitation.objects.create(cohort=other_cohort, email="par@example.com")
    response = client.post(invitation.get_absolute_url())
    assert response.status_code == 302
    header = client.get(cohort.get_absolute_url()).content.decode().split("</header>")[0]
    assert "Statistics" in header


def test_the_only_organizer_cannot_demote_themselves(cohort, people, client_for):
    organizer = Membership.objects.get(user=people["organizer"], cohort=cohort)
    response = client_for(people["organizer"]).post(
        reverse("cohorts:manage_member_update", args=[cohort.slug, organizer.pk]),
        {"role": "participant", "experience": "some"},
        follow=True,
    )
    assert response.status_code in (200, 400)
    organizer.refresh_from_db()
    assert organizer.role == Role.ORGANIZER
    assert "A cohort needs at least one organizer." in response.content.decode()
