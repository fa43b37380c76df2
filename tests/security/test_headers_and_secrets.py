"""Headers on every response, secrets never shown in full, nothing personal to a link
holder, spreadsheet formulas neutralised, and /healthz without details."""

import csv
import io
import logging

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from cohorts.models import Invitation, Membership

pytestmark = pytest.mark.django_db


def test_permissions_policy_on_every_response(client, cohort, people):
    for response in (
        client.get(reverse("account_login")),
        client.get("/c/no-such-cohort/"),
        client.get(reverse("healthz")),
    ):
        assert "camera=()" in response["Permissions-Policy"]
        assert "geolocation=()" in response["Permissions-Policy"]


def test_signed_in_pages_and_downloads_are_not_stored(cohort, people, client_for):
    week = cohort.weeks.get(number=1)
    week.publish_at = timezone.now()
    week.save()
    client = client_for(people["organizer"])
    for url in [
        reverse("cohorts:detail", args=[cohort.slug]),
        reverse("assignments:progress_csv", args=[cohort.slug]),
        reverse("curriculum:course_file", args=[cohort.slug]),
        reverse("discussions:pairs_pdf", args=[cohort.slug, 1]),
    ]:
        response = client.get(url)
        assert response.status_code == 200, url
        directives = {part.strip() for part in response["Cache-Control"].split(",")}
        assert {"private", "no-store"} <= directives, (url, directives)
        assert "public" not in directives


def test_the_csv_guard_also_catches_a_leading_tab_cr_or_space(
    cohort, people, make_user, client_for
):
    for n, name in enumerate(["\t=cmd|' /C calc'!A0", "\r=1+1", " =1+1"]):
        user = make_user(f"odd{n}@example.com", name)
        Membership.objects.create(user=user, cohort=cohort)
    body = client_for(people["organizer"]).get(
        reverse("assignments:progress_csv", args=[cohort.slug])
    )
    cells = [row[0] for row in csv.reader(io.StringIO(body.content.decode()))]
    odd = [cell for cell in cells if "=" in cell]
    assert len(odd) == 3 and all(cell.startswith("'") for cell in odd), odd


def test_the_admin_masks_the_webhook_url_and_invitation_tokens(cohort, make_user, client):
    admin = make_user("root@example.com", staff=True)
    admin.is_superuser = True
    admin.save()
    cohort.slack_webhook_url = "https://hooks.slack.com/services/T0/B0/SECRETSECRET9876"
    cohort.save()
    invitation = Invitation.objects.create(cohort=cohort, email="ada@example.com")
    client.force_login(admin)
    page = client.get(reverse("admin:cohorts_cohort_change", args=[cohort.pk])).content.decode()
    assert "SECRETSECRET" not in page and "…9876" in page
    page = client.get(
        reverse("admin:cohorts_invitation_change", args=[invitation.pk])
    ).content.decode()
    assert invitation.token not in page and f"…{invitation.token[-4:]}" in page
    # Saving the cohort in the admin keeps the webhook.
    cohort.refresh_from_db()
    assert cohort.slack_webhook_url.endswith("9876")


def test_the_unsubscribe_page_shows_the_cohort_not_the_address(cohort, people, client):
    membership = Membership.objects.get(user=people["participant"])
    for response in (
        client.get(membership.get_unsubscribe_url()),
        client.post(membership.get_unsubscribe_url()),
    ):
        page = response.content.decode()
        assert cohort.title in page and "reminders" in page
        assert people["participant"].email not in page


def test_healthz_says_which_part_is_down_but_not_why(client, monkeypatch, caplog):
    def broken_cursor():
        raise RuntimeError("password authentication failed for user homeroom")

    monkeypatch.setattr(connection, "cursor", broken_cursor)
    with caplog.at_level(logging.ERROR, logger="config.views"):
        response = client.get(reverse("healthz"))
    assert response.status_code == 503
    assert response.json()["database"] == "unreachable"
    assert "RuntimeError" not in response.content.decode()
    assert "password authentication failed" in caplog.text


def test_the_admin_bounds_dates_too(cohort, make_user, client):
    admin = make_user("root@example.com", staff=True)
    admin.is_superuser = True
    admin.save()
    client.force_login(admin)
    week = cohort.weeks.get(number=1)
    url = reverse("admin:cohorts_week_change", args=[week.pk])
    response = client.post(
        url,
        {
            "cohort": cohort.pk,
            "number": 1,
            "title": "Week 1",
            "summary": "",
            "session_start_0": "9999-12-31",
            "session_start_1": "23:00:00",
            "publish_at_0": "",
            "publish_at_1": "",
            "facilitator_notes": "",
        },
    )
    assert response.status_code == 200
    assert "between 2000 and 2100" in response.content.decode()
    week.refresh_from_db()
    assert week.session_start.year == 2026
