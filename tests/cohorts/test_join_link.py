"""The cohort join link: organizers switch it on and limit it; people join through it."""

from datetime import date

import pytest
from django.core.cache import cache
from django.urls import reverse

from cohorts import joining
from cohorts.models import JoinLink, Membership, Role
from tests.conftest import berlin_time

pytestmark = pytest.mark.django_db

DETAILS = {"name": "Nia New", "experience": "new"}


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def link(cohort):
    return joining.switch_on(cohort)


def manage_url(cohort):
    return reverse("cohorts:manage_join_link", args=[cohort.slug])


def test_organizer_switches_the_link_on_and_sees_it(cohort, people, client_for):
    client = client_for(people["organizer"])
    page = client.get(manage_url(cohort)).content.decode()
    assert "Switch on the join link" in page
    response = client.post(manage_url(cohort), {"action": "switch_on"})
    assert response.status_code == 302
    link = JoinLink.objects.get(cohort=cohort)
    assert len(link.code) >= 43  # 32 random bytes, URL-safe: 256 bits
    page = client.get(manage_url(cohort)).content.decode()
    assert f"/join/{link.code}/" in page
    # Switching on twice keeps one link.
    client.post(manage_url(cohort), {"action": "switch_on"})
    assert JoinLink.objects.filter(cohort=cohort).count() == 1


def test_only_organizers_manage_the_link(cohort, people, client_for):
    assert client_for(people["participant"]).get(manage_url(cohort)).status_code == 403
    assert client_for(people["outsider"]).get(manage_url(cohort)).status_code == 404


def test_a_signed_in_person_joins_with_their_level_and_name(cohort, link, make_user, client_for):
    nia = make_user("nia@example.com", "N")
    client = client_for(nia)
    page = client.get(link.get_absolute_url()).content.decode()
    assert "Join Machine Learning" in page
    assert "Thursdays at 16:00 (Europe/Berlin)" in page
    assert "pairs mix levels" in page
    response = client.post(link.get_absolute_url(), DETAILS)
    assert response.status_code == 302
    membership = Membership.objects.get(user=nia, cohort=cohort)
    assert (membership.role, membership.experience, membership.joined_via) == (
        Role.PARTICIPANT,
        "new",
        "link",
    )
    nia.refresh_from_db()
    assert nia.name == "Nia New"


def test_joining_needs_a_level(cohort, link, make_user, client_for):
    client = client_for(make_user("nia@example.com"))
    response = client.post(link.get_absolute_url(), {"name": "Nia"})
    assert response.status_code == 400
    assert "This field is required." in response.content.decode()
    assert not Membership.objects.filter(user__email="nia@example.com").exists()


def test_anonymous_visitor_is_offered_sign_up_and_comes_back(cohort, link, client):
    page = client.get(link.get_absolute_url()).content.decode()
    assert f"{reverse('account_signup')}?next={link.get_absolute_url()}" in page
    response = client.post(link.get_absolute_url(), DETAILS)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))
    assert not Membership.objects.filter(cohort=cohort, role=Role.PARTICIPANT).exists()


def test_email_domains_limit_who_joins(cohort, link, make_user, client_for):
    link.email_domains = "example.org, corp.example.com"
    link.save()
    outsider = make_user("nia@example.com")
    response = client_for(outsider).post(link.get_absolute_url(), DETAILS)
    assert response.status_code == 403
    page = response.content.decode()
    assert "This link is for other email addresses" in page
    assert "example.org, corp.example.com" in page
    assert not Membership.objects.filter(user=outsider).exists()
    insider = make_user("ana@Corp.Example.com")
    assert client_for(insider).post(link.get_absolute_url(), DETAILS).status_code == 302
    assert Membership.objects.filter(user=insider, cohort=cohort).exists()


def test_capacity_counts_active_participants(cohort, people, link, make_user, client_for):
    link.capacity = 2  # `people` has one participant already
    link.save()
    first = make_user("one@example.com")
    assert client_for(first).post(link.get_absolute_url(), DETAILS).status_code == 302
    late = make_user("two@example.com")
    response = client_for(late).post(link.get_absolute_url(), DETAILS)
    assert response.status_code == 410
    assert "Machine Learning is full" in response.content.decode()
    assert not Membership.objects.filter(user=late).exists()
    # A place frees up when someone leaves.
    Membership.objects.filter(user=first).update(left_at=berlin_time("2026-09-02 10:00"))
    assert client_for(late).post(link.get_absolute_url(), DETAILS).status_code == 302


def test_the_link_closes_after_its_last_day_on_the_cohorts_clock(
    cohort, link, make_user, client_for, time_machine
):
    link.closes_on = date(2026, 9, 10)
    link.save()
    client = client_for(make_user("nia@example.com"))
    # 23:30 in Berlin on the last day is still open, although it is the 10th in UTC too.
    time_machine.move_to(berlin_time("2026-09-10 23:30"))
    assert client.get(link.get_absolute_url()).status_code == 200
    time_machine.move_to(berlin_time("2026-09-11 00:30"))
    response = client.post(link.get_absolute_url(), DETAILS)
    assert response.status_code == 410
    assert "Joining Machine Learning has closed" in response.content.decode()
    assert not Membership.objects.filter(user__email="nia@example.com").exists()


def test_reset_replaces_the_code_and_the_old_link_says_so(cohort, people, link, client_for):
    link.email_domains = "example.com"
    link.capacity = 30
    link.save()
    old_url = link.get_absolute_url()
    client = client_for(people["organizer"])
    assert client.post(manage_url(cohort), {"action": "reset"}).status_code == 302
    new = JoinLink.objects.get(cohort=cohort, replaced_at__isnull=True)
    assert new.code != link.code
    assert (new.email_domains, new.capacity) == ("example.com", 30)
    old = client_for(None).get(old_url)
    assert old.status_code == 410
    assert "This join link was replaced" in old.content.decode()
    assert client_for(None).get(new.get_absolute_url()).status_code == 200


def test_switched_off_link_says_so(cohort, people, link, client_for):
    client = client_for(people["organizer"])
    response = client.post(
        manage_url(cohort),
        {"action": "save", "email_domains": "", "capacity": "", "closes_on": ""},
    )
    assert response.status_code == 302
    link.refresh_from_db()
    assert not link.enabled
    page = client_for(None).get(link.get_absolute_url())
    assert page.status_code == 410
    assert "switched off" in page.content.decode()


def test_organizer_limits_are_validated(cohort, people, link, client_for):
    client = client_for(people["organizer"])
    response = client.post(
        manage_url(cohort),
        {
            "action": "save",
            "enabled": "on",
            "email_domains": "example.com, not a domain!",
            "capacity": "0",
            "closes_on": "2150-01-01",
        },
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "is not a domain such as example.com" in page
    assert "Choose between 1 and 10,000 participants" in page
    assert "between the years 2000 and 2100" in page
    saved = client.post(
        manage_url(cohort),
        {
            "action": "save",
            "enabled": "on",
            "email_domains": "@Example.com\nexample.org example.com",
            "capacity": "25",
            "closes_on": "2026-09-30",
        },
    )
    assert saved.status_code == 302
    link.refresh_from_db()
    assert (link.email_domains, link.capacity, link.closes_on) == (
        "example.com, example.org",
        25,
        date(2026, 9, 30),
    )


def test_a_member_who_opens_the_link_lands_on_the_cohort(cohort, people, link, client_for):
    response = client_for(people["facilitator"]).get(link.get_absolute_url())
    assert response.status_code == 302
    assert response["Location"] == cohort.get_absolute_url()
    client_for(people["facilitator"]).post(link.get_absolute_url(), DETAILS)
    membership = Membership.objects.get(user=people["facilitator"], cohort=cohort)
    assert membership.role == Role.FACILITATOR  # the link never changes a member's role


def test_a_removed_member_cannot_rejoin_unless_the_organizer_allows_it(
    cohort, people, link, client_for
):
    removed = people["participant"]
    Membership.objects.filter(user=removed).update(left_at=berlin_time("2026-09-02 10:00"))
    response = client_for(removed).post(link.get_absolute_url(), DETAILS)
    assert response.status_code == 403
    assert "You can’t rejoin with this link" in response.content.decode()
    assert Membership.objects.get(user=removed).left_at is not None
    link.allow_rejoin = True
    link.save()
    assert client_for(removed).post(link.get_absolute_url(), DETAILS).status_code == 302
    membership = Membership.objects.get(user=removed)
    assert membership.left_at is None and membership.joined_via == "link"


def test_members_page_shows_how_people_joined(cohort, people, link, make_user, client_for):
    client_for(make_user("nia@example.com", "Nia")).post(link.get_absolute_url(), DETAILS)
    page = client_for(people["organizer"]).get(
        reverse("cohorts:manage_members", args=[cohort.slug])
    )
    rows = page.content.decode()
    assert "How they joined" in rows
    nia_row = rows[rows.index("nia@example.com") :].split("</tr>")[0]
    assert "Join link" in nia_row


def test_guessing_codes_is_rate_limited(cohort, link, client):
    for n in range(10):
        assert client.get(f"/join/guess-{n}/").status_code == 404
    assert client.get("/join/guess-10/").status_code == 429
    # Even the right code waits until the minute is over.
    limited = client.get(link.get_absolute_url())
    assert limited.status_code == 429
    assert "Too many tries" in limited.content.decode()
