"""Attendance as a record: present, absent, excused or not marked; self check-in; the
history on the person's page, the progress matrix and CSVs."""

import csv
import io
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from cohorts.models import Membership
from discussions.models import Attendance, CohortSessionOptions

pytestmark = pytest.mark.django_db


def url(name, week, *args):
    return reverse(f"discussions:{name}", args=[week.cohort.slug, week.number, *args])


def test_present_memberships_means_marked_present_or_everyone_not_marked_away(
    week_in_session, participants
):
    everyone = [m.user for m in Attendance.objects.present_memberships(week_in_session)]
    assert sorted(u.pk for u in everyone) == sorted(p.pk for p in participants)
    Attendance.mark(week_in_session, participants[0], "absent", by=None)
    Attendance.mark(week_in_session, participants[1], "excused", by=None)
    rest = {m.user_id for m in Attendance.objects.present_memberships(week_in_session)}
    assert rest == {p.pk for p in participants[2:]}
    Attendance.mark(week_in_session, participants[2], "present", by=None)
    Attendance.mark(week_in_session, participants[2], "present", by=None)  # twice: one row
    assert [m.user for m in Attendance.objects.present_memberships(week_in_session)] == [
        participants[2]
    ]
    assert Attendance.objects.filter(user=participants[2]).count() == 1


@pytest.fixture
def checking_in(week_in_session, participants):
    CohortSessionOptions.set_self_check_in(week_in_session.cohort, True)
    return week_in_session


def test_participant_checks_in_during_the_session_only_where_allowed(
    checking_in, participants, client_for
):
    client = client_for(participants[0])
    response = client.post(url("check_in", checking_in))
    assert response.status_code == 302
    assert Attendance.objects.get(week=checking_in, user=participants[0]).status == "present"
    # Only themselves: no other participant is marked.
    assert Attendance.objects.filter(week=checking_in).count() == 1
    assert client.post(url("check_in", checking_in)).status_code == 302  # twice: one row
    assert Attendance.objects.filter(week=checking_in).count() == 1

    CohortSessionOptions.set_self_check_in(checking_in.cohort, False)
    assert client_for(participants[1]).post(url("check_in", checking_in)).status_code == 403
    assert not Attendance.objects.filter(user=participants[1]).exists()


def test_no_check_in_outside_the_session_window(checking_in, participants, client_for):
    checking_in.session_start = timezone.now() + timedelta(days=1)
    checking_in.save()
    assert client_for(participants[0]).post(url("check_in", checking_in)).status_code == 403
    checking_in.session_start = timezone.now() - timedelta(days=1)
    checking_in.save()
    assert client_for(participants[0]).post(url("check_in", checking_in)).status_code == 403
    assert not Attendance.objects.exists()


def test_facilitators_switch_self_check_in(week_in_session, participants, people, client_for):
    client = client_for(people["facilitator"])
    client.post(url("self_check_in", week_in_session), {"allowed": "1"})
    assert CohortSessionOptions.self_check_in_for(week_in_session.cohort_id)
    client.post(url("self_check_in", week_in_session), {"allowed": "0"})
    assert not CohortSessionOptions.self_check_in_for(week_in_session.cohort_id)
    # (client_for signs the one test client in as someone else.)
    participant = client_for(participants[0])
    response = participant.post(url("self_check_in", week_in_session), {"allowed": "1"})
    assert response.status_code == 403
    assert not CohortSessionOptions.self_check_in_for(week_in_session.cohort_id)


def test_attendance_csv_history_and_matrix(week_in_session, participants, people, client_for):
    cohort = week_in_session.cohort
    Membership.objects.filter(cohort=cohort).update(joined_at=timezone.now() - timedelta(days=400))
    held = cohort.weeks.filter(session_start__lte=timezone.now()).count()
    shown = cohort.weeks.filter(session_start__lte=timezone.now(), publish_at__lte=timezone.now())
    shown = shown.count()  # the progress pages show published weeks
    Attendance.mark(week_in_session, participants[0], "present", by=None)
    Attendance.mark(week_in_session, participants[1], "absent", by=None)
    Attendance.mark(week_in_session, participants[2], "excused", by=None)
    client = client_for(people["facilitator"])

    response = client.get(reverse("discussions:attendance_csv", args=[cohort.slug]))
    assert response.status_code == 200
    assert response["Content-Disposition"] == f'attachment; filename="{cohort.slug}-attendance.csv"'
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0][:3] == ["Participant", "Email", week_in_session.label]
    assert rows[0][-1] == "Attended" and len(rows[0]) == 3 + held
    by_email = {row[1]: (row[2], row[-1]) for row in rows[1:]}
    assert by_email[participants[0].email] == ("present", "1")
    assert by_email[participants[1].email] == ("absent", "0")
    assert by_email[participants[2].email] == ("excused", "0")
    assert by_email[participants[3].email] == ("unmarked", "0")

    member = Membership.objects.get(cohort=cohort, user=participants[1])
    page = client.get(
        reverse("assignments:progress_person", args=[cohort.slug, member.pk])
    ).content.decode()
    assert f"Attended 0 of {shown} session{'s' if shown > 1 else ''} held" in page
    assert ">Absent<" in page
    member = Membership.objects.get(cohort=cohort, user=participants[3])
    page = client.get(
        reverse("assignments:progress_person", args=[cohort.slug, member.pk])
    ).content.decode()
    assert "not marked" in page

    matrix = client.get(reverse("assignments:progress", args=[cohort.slug])).content.decode()
    assert '<th scope="col">Attended</th>' in matrix
    assert f"<td>1 of {shown}</td>" in matrix and f"<td>0 of {shown}</td>" in matrix
    progress_csv = client.get(reverse("assignments:progress_csv", args=[cohort.slug]))
    rows = list(csv.reader(io.StringIO(progress_csv.content.decode())))
    assert rows[0][-2:] == ["Sessions attended", "Sessions held"]
    by_email = {row[1]: row[-2:] for row in rows[1:]}
    assert by_email[participants[0].email] == ["1", str(shown)]
    assert (
        client_for(participants[0])
        .get(reverse("discussions:attendance_csv", args=[cohort.slug]))
        .status_code
        == 403
    )


def test_the_session_page_shows_whether_self_check_in_is_on(
    week_in_session, participants, people, client_for
):
    client = client_for(people["facilitator"])
    on, off = "Self check-in on", "Let participants check in with"
    page = client.get(url("session", week_in_session)).content.decode()
    assert off in page and on not in page
    client.post(url("self_check_in", week_in_session), {"allowed": "1"})
    page = client.get(url("session", week_in_session)).content.decode()
    assert on in page and off not in page
    client.post(url("self_check_in", week_in_session), {"allowed": "0"})
    page = client.get(url("session", week_in_session)).content.decode()
    assert off in page and on not in page
