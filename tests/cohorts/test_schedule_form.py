"""Creating a cohort with each kind of schedule, previewing its sessions first."""

from datetime import date, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse

from cohorts.models import Cohort
from tests.qa.test_html_validity import checker as checker  # noqa: F401 (fixture)

JERUSALEM = ZoneInfo("Asia/Jerusalem")

BASE = {
    "title": "Data science workshop",
    "description": "",
    "time_zone": "Asia/Jerusalem",
    "session_minutes": "180",
    "location": "",
    "organizer_email": "",
}
FOUR_DAYS = "2027-05-02 10:00\n2027-05-03 10:00\n2027-05-04 10:00\n2027-05-05 10:00 240\n"


@pytest.fixture
def staff(make_user, client_for):
    return client_for(make_user("staff@example.com", "Sam Staff", staff=True))


def test_the_form_offers_three_schedules_and_works_without_javascript(staff):
    page = staff.get(reverse("cohort_create")).content.decode()
    for label in ("Weekly", "Daily", "A list of dates"):
        assert f"> {label}</label>" in page or f">{label}</label>" in page or label in page
    assert 'name="preview"' in page
    assert "<script" not in page.split("<main", 1)[1].split("</main>", 1)[0]


def test_a_pasted_list_is_previewed_then_created(staff):
    response = staff.post(
        reverse("cohort_create"),
        {**BASE, "schedule_kind": "dates", "dates": FOUR_DAYS, "preview": "1"},
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert Cohort.objects.count() == 0
    assert "The sessions (4)" in page
    assert "Session 1</strong> · <time" in page
    assert "Sun 2 May 2027, 10:00" in page and "–13:00" in page
    assert "Wed 5 May 2027, 10:00" in page and "–14:00" in page  # its own length

    response = staff.post(
        reverse("cohort_create"), {**BASE, "schedule_kind": "dates", "dates": FOUR_DAYS}
    )
    cohort = Cohort.objects.get()
    assert response.status_code == 302
    assert cohort.schedule_kind == "dates" and cohort.unit_name == "Session"
    assert cohort.reminder_lead == "evening" and cohort.digest_cadence == "session"
    weeks = list(cohort.weeks.all())
    assert [w.session_start.astimezone(JERUSALEM).date() for w in weeks] == [
        date(2027, 5, 2) + timedelta(days=n) for n in range(4)
    ]
    assert [w.session_end - w.session_start for w in weeks] == [timedelta(hours=3)] * 3 + [
        timedelta(hours=4)
    ]
    assert (cohort.start_date, cohort.session_time) == (date(2027, 5, 2), time(10, 0))


def test_a_daily_workshop_is_called_days_unless_renamed(staff):
    data = {
        **BASE,
        "schedule_kind": "daily",
        "start_date": "2027-05-06",  # a Thursday
        "session_time": "10:00",
        "weeks": "4",
        "weekdays_only": "on",
    }
    page = staff.post(reverse("cohort_create"), {**data, "preview": "1"}).content.decode()
    assert "Day 1</strong>" in page and "Day 4</strong>" in page
    assert "Thu 6 May 2027" in page and "Mon 10 May 2027" in page and "Sat 8 May" not in page
    staff.post(reverse("cohort_create"), {**data, "unit_name": "Session"})
    cohort = Cohort.objects.get()
    assert cohort.unit_name == "Session"
    assert [w.label for w in cohort.weeks.all()] == [f"Session {n}" for n in range(1, 5)]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"schedule_kind": "daily", "weeks": "0"}, "Choose between 1 and 200 days."),
        ({"schedule_kind": "daily", "weeks": "500"}, "Choose between 1 and 200 days."),
        (
            {
                "schedule_kind": "daily",
                "weeks": "3",
                "time_zone": "Europe/Berlin",
                "start_date": "2027-03-27",
                "session_time": "02:30",
            },
            "02:30 does not exist on Sun 28 Mar 2027 in Europe/Berlin",
        ),
        (
            {"schedule_kind": "dates", "dates": "2027-05-03 10:00\n2027-05-02 10:00"},
            "Line 2: 2027-05-02 10:00 comes before line 1",
        ),
        (
            {"schedule_kind": "dates", "dates": "2027-05-03 10:00\n2027-05-03 10:00"},
            "Line 2: 2027-05-03 10:00 is already on line 1",
        ),
        (
            {
                "schedule_kind": "dates",
                "time_zone": "America/New_York",
                "dates": "2027-11-07 01:30",
            },
            "Line 1: 01:30 happens twice on Sun 7 Nov 2027 in America/New_York",
        ),
        (
            {
                "schedule_kind": "dates",
                "dates": "\n".join(
                    f"{date(2027, 1, 1) + timedelta(days=n)} 10:00" for n in range(201)
                ),
            },
            "More than 200 sessions",
        ),
        ({"schedule_kind": "dates", "dates": ""}, "List at least one session"),
        ({"schedule_kind": "weekly", "weeks": "4"}, "Choose the weekday of the sessions."),
    ],
)
def test_bad_schedules_are_named_and_nothing_is_saved(staff, data, message):
    defaults = {"start_date": "2027-05-02", "session_time": "10:00"}
    for preview in (True, False):
        post = {**BASE, **defaults, **data}
        if preview:
            post["preview"] = "1"
        response = staff.post(reverse("cohort_create"), post)
        assert response.status_code == 200
        page = response.content.decode().replace("&#x27;", "'")
        assert message in page, page.split('class="field__error"')[1:2]
        assert "The sessions (" not in page
    assert Cohort.objects.count() == 0


def test_an_oversized_list_is_refused_with_a_400(staff):
    response = staff.post(
        reverse("cohort_create"),
        {**BASE, "schedule_kind": "dates", "dates": "2027-05-02 10:00\n" * 3000},
    )
    assert response.status_code == 400
    assert Cohort.objects.count() == 0


@pytest.mark.django_db
def test_a_session_may_be_given_its_own_length_and_not_a_dst_gap(cohort, people, client_for):
    client = client_for(people["organizer"])
    url = reverse("cohorts:manage_week", args=[cohort.slug, 2])
    data = {"title": "Longer", "summary": "", "session_start": "2026-09-10T16:00"}
    assert client.post(url, {**data, "session_minutes": "150"}).status_code == 302
    week = cohort.weeks.get(number=2)
    assert week.session_end - week.session_start == timedelta(minutes=150)
    table = client.get(reverse("cohorts:manage_weeks", args=[cohort.slug])).content.decode()
    assert 'Thu 10 Sep 2026, 16:00</time>–18:30 <span class="muted">(150 min)</span>' in table
    response = client.post(url, {**data, "session_start": "2027-03-28T02:30"})
    assert "02:30 does not exist on Sun 28 Mar 2027 in Europe/Berlin" in response.content.decode()
    response = client.post(url, {**data, "session_minutes": "5"})
    assert "between 15 minutes and 8 hours" in response.content.decode()


@pytest.mark.django_db
def test_settings_rename_the_unit(cohort, people, client_for):
    client = client_for(people["organizer"])
    url = reverse("cohorts:manage_settings", args=[cohort.slug])
    form = client.get(url).context["form"]
    data = {k: v for k, v in form.initial.items() if v is not None and k != "description_html"}
    data.update(start_date="2026-09-01", session_time="16:00", unit_name="Session")
    assert client.post(url, data).status_code == 302
    page = client.get(cohort.get_absolute_url()).content.decode()
    assert "Session 3" in page and "Week 3" not in page


def test_a_daily_cohorts_settings_speak_of_its_first_day_not_a_weekday(staff):
    data = {**BASE, "schedule_kind": "daily", "start_date": "2027-05-06", "session_time": "10:00"}
    staff.post(reverse("cohort_create"), {**data, "weeks": "4"})
    cohort = Cohort.objects.get()
    page = staff.get(reverse("cohorts:manage_settings", args=[cohort.slug])).content.decode()
    assert "First session on</label>" in page
    assert "The date of Day 1." in page
    assert "weekday" not in page.split("<main", 1)[1]


@pytest.mark.parametrize("zone", ["localtime", "Factory"])
def test_a_cohorts_clock_is_a_places_not_the_servers(staff, zone):
    """Some zone databases list "localtime" (the server's own zone) and "Factory": neither
    is offered, and neither is accepted."""
    page = staff.get(reverse("cohort_create")).content.decode()
    assert f'value="{zone}"' not in page
    data = {**BASE, "time_zone": zone, "schedule_kind": "dates", "dates": FOUR_DAYS}
    response = staff.post(reverse("cohort_create"), data)
    assert "Select a valid choice" in response.content.decode()
    assert not Cohort.objects.exists()


def test_the_preview_pages_are_valid_html(staff, checker, tmp_path):
    """The preview (with the button, and live with errors) and a workshop's settings pages
    pass the Nu HTML checker."""
    import json
    import subprocess

    pages = {
        "preview": staff.post(
            reverse("cohort_create"),
            {**BASE, "schedule_kind": "dates", "dates": FOUR_DAYS, "preview": "1"},
        ),
        "live-errors": staff.post(
            reverse("cohort_create"),
            {**BASE, "schedule_kind": "dates", "dates": "2027-05-03 10:00\nsoon", "preview": "1"},
            HTTP_HX_REQUEST="true",
        ),
    }
    staff.post(reverse("cohort_create"), {**BASE, "schedule_kind": "dates", "dates": FOUR_DAYS})
    cohort = Cohort.objects.get()
    for name in ("notifications:manage_dispatch", "notifications:manage_notifications"):
        pages[name] = staff.get(reverse(name, args=[cohort.slug]))
    assert "Line 2:" in pages["live-errors"].content.decode()
    for name, response in pages.items():
        assert response.status_code == 200, name
        (tmp_path / f"{name.replace(':', '-')}.html").write_bytes(response.content)
    result = subprocess.run(
        [*checker, "--format", "json", "--stdout", *map(str, sorted(tmp_path.iterdir()))],
        capture_output=True,
        text=True,
        timeout=300,
    )
    errors = [m for m in json.loads(result.stdout)["messages"] if m.get("type") == "error"]
    assert [(m["url"].rsplit("/", 1)[-1], m["lastLine"], m["message"]) for m in errors] == []


def test_a_double_click_on_create_makes_one_cohort(staff):
    form = staff.get(reverse("cohort_create")).context["form"]
    once = form.initial["once"]
    assert len(once) >= 24
    data = {**BASE, "schedule_kind": "dates", "dates": FOUR_DAYS, "once": once}
    first = staff.post(reverse("cohort_create"), data)
    second = staff.post(reverse("cohort_create"), data)
    cohort = Cohort.objects.get()
    assert first["Location"] == second["Location"] == cohort.get_absolute_url()
    assert cohort.weeks.count() == 4
    # A fresh form makes a new cohort.
    again = {**data, "once": staff.get(reverse("cohort_create")).context["form"].initial["once"]}
    staff.post(reverse("cohort_create"), again)
    assert Cohort.objects.count() == 2


def test_the_preview_needs_only_the_schedule(staff):
    response = staff.post(
        reverse("cohort_create"),
        {**BASE, "title": "", "schedule_kind": "dates", "dates": FOUR_DAYS, "preview": "1"},
        HTTP_HX_REQUEST="true",
    )
    assert "The sessions (4)" in response.content.decode()
    assert Cohort.objects.count() == 0
