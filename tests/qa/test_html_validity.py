"""Every main page is valid HTML: the Nu HTML checker (vnu.jar) reports no error on any of them.

The pages are rendered as each role would see them, on the demo cohort (weeks with pre-work,
a held session, questions and links), with a delivery log, a pending invitation and a join
link. All pages go to one run of the checker (one JVM start).

The checker comes from npm's `vnu-jar` package and needs Java (Debian's default-jre-headless).
Set VNU_JAR to the jar's path; without Java or the jar the test is skipped on a developer
machine, and fails in CI (CI=true), where both are part of the job.
"""

import io
import json
import os
import shutil
import subprocess
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from assignments.models import Assignment, PreworkItem, Submission
from cohorts import demo, joining
from cohorts.models import Cohort, Invitation, Membership, Role, User
from notifications.models import Delivery

pytestmark = pytest.mark.django_db

DEFAULT_JAR = "/tmp/vnu/node_modules/vnu-jar/build/dist/vnu.jar"
IN_CI = os.environ.get("CI", "").strip().lower() in {"1", "true", "yes", "on"}


def unavailable(reason):
    if IN_CI:
        pytest.fail(f"{reason} — CI=true, so this is a failure, not a skip.", pytrace=False)
    pytest.skip(reason)


@pytest.fixture
def checker():
    """The command that runs the Nu HTML checker."""
    java = shutil.which("java")
    if java is None:
        unavailable("java is not on the PATH: the HTML checker needs default-jre-headless")
    jar = Path(os.environ.get("VNU_JAR") or DEFAULT_JAR)
    if not jar.is_file():
        unavailable(f"{jar} is missing: `npm install vnu-jar` and set VNU_JAR to its vnu.jar")
    return [java, "-jar", str(jar)]


def demo_pages():
    """(role, path) for each main page, on the demo cohort with something in every list."""
    call_command("seed_demo", stdout=io.StringIO())
    cohort = Cohort.objects.get(slug=demo.SLUG)
    now = timezone.now()
    organizer = User.objects.get(email="organizer@example.com")
    # A second cohort, so that the organizer's home page is "My cohorts".
    second = Cohort.objects.create(
        title="Statistics, spring cohort",
        slug="statistics",
        time_zone="Europe/Berlin",
        start_date=(now + timedelta(days=60)).date(),
        session_weekday=1,
        session_time=cohort.session_time,
    )
    second.create_weeks(4)
    Membership.objects.create(user=organizer, cohort=second, role=Role.ORGANIZER)
    # The delivery log: sent, failed and waiting, with times to the microsecond.
    week = cohort.weeks.get(number=5)
    for n, status in enumerate(("sent", "failed", "pending")):
        Delivery.objects.create(
            kind="reminder",
            cohort=cohort,
            week=week,
            recipient=f"participant{n + 1:02d}@example.com",
            dedupe_key=f"validity-{n}",
            subject="Week 5: 2 videos left",
            status=status,
            attempts=1,
            sent_at=now if status == "sent" else None,
            last_error="SMTPServerDisconnected: gone" if status == "failed" else "",
        )
    invitation = Invitation.objects.create(
        cohort=cohort, email="newcomer@example.com", expires_at=now + timedelta(days=14)
    )
    link = joining.switch_on(cohort)

    slug = cohort.slug
    current = cohort.weeks.filter(session_start__gte=now).order_by("number").first()
    held = cohort.weeks.filter(session_start__lt=now).order_by("-number").first()
    item = PreworkItem.objects.filter(week__cohort=cohort).first()
    assignment = Assignment.objects.filter(week__cohort=cohort).order_by("week__number").first()
    submission = Submission.objects.filter(assignment__week__cohort=cohort).first()

    def url(name, *args):
        return reverse(name, args=[slug, *args])

    pages = [
        (None, "/accounts/login/"),
        (None, "/accounts/signup/"),
        (None, "/accounts/password/reset/"),
        (None, "/accounts/login/code/"),
        (None, link.get_absolute_url()),
        (None, invitation.get_absolute_url()),
        ("participant", url("cohorts:detail")),
        ("participant", url("cohorts:week", current.number)),
        ("participant", url("cohorts:week", held.number)),
        ("participant", url("cohorts:preferences")),
        ("participant", url("discussions:feedback", held.number)),
        ("participant", "/accounts/email/"),
        ("participant", "/accounts/password/change/"),
        ("participant", "/accounts/name/"),
        ("facilitator", url("cohorts:week", current.number)),
        ("facilitator", url("discussions:session", current.number)),
        ("facilitator", url("discussions:session", held.number)),
        ("facilitator", url("discussions:guide")),
        ("facilitator", url("discussions:feedback_results")),
        ("facilitator", url("discussions:timer", current.number)),
        ("facilitator", url("discussions:pairs_print", held.number)),
        ("facilitator", url("assignments:progress")),
        ("facilitator", url("assignments:progress_week", held.number)),
        ("organizer", "/"),
        ("organizer", url("cohorts:detail")),
        ("organizer", url("cohorts:week", current.number)),
        ("organizer", url("cohorts:manage_settings")),
        ("organizer", url("cohorts:manage_members")),
        ("organizer", url("cohorts:manage_invitations")),
        ("organizer", url("cohorts:manage_join_link")),
        ("organizer", url("cohorts:manage_weeks")),
        ("organizer", url("cohorts:manage_week", current.number)),
        ("organizer", url("assignments:prework_editor", current.number)),
        ("organizer", url("assignments:assignment_create", current.number)),
        ("organizer", url("notifications:manage_notifications")),
        ("organizer", url("notifications:manage_deliveries")),
        ("organizer", url("notifications:manage_dispatch")),
        ("organizer", url("curriculum:copy")),
        ("organizer", reverse("cohort_create")),
        ("organizer", reverse("course_import")),
    ]
    # The demo has pre-work items, assignments and hand-ins; their pages are main pages too.
    pages += [
        ("organizer", url("assignments:item_edit", item.pk)),
        ("organizer", url("assignments:assignment_edit", assignment.pk)),
        ("participant", url("assignments:submit", assignment.pk)),
        ("facilitator", url("assignments:feedback", submission.pk)),
    ]
    # Announcements: one sent (on the cohort page), one draft in preview.
    from notifications.models import Announcement

    sent = Announcement.objects.create(
        cohort=cohort,
        author=organizer,
        subject="Room change",
        body="We meet in **room 4**.",
        form_key="validity-sent",
        status=Announcement.Status.SCHEDULED,
        send_at=now,
    )
    draft = Announcement.objects.create(
        cohort=cohort, author=organizer, subject="Draft", body="- a\n- b", form_key="validity-d"
    )
    pages += [
        ("participant", url("notifications:announcements")),
        ("participant", url("notifications:announcement", sent.pk)),
        ("organizer", url("notifications:announcements")),
        ("organizer", url("notifications:announcement_new")),
        ("organizer", url("notifications:announcement", draft.pk)),
        ("organizer", url("notifications:announcement_edit", draft.pk)),
    ]
    # The one-tap survey link from the after-session email (signed out), and its results.
    from discussions import survey

    participant = User.objects.get(email="participant01@example.com")
    if survey.window(held).is_open(now):
        token = survey.token(held, participant.pk)
        pages.append((None, reverse("survey", args=[token]) + "?overall=4"))
    return pages


def render(pages):
    """{label: html} for each page, fetched as its role with the Django test client."""
    people = {
        "participant": User.objects.get(email="participant01@example.com"),
        "facilitator": User.objects.get(email="facilitator@example.com"),
        "organizer": User.objects.get(email="organizer@example.com"),
    }
    client = Client()
    rendered = {}
    for role, path in pages:
        client.logout()
        if role is not None:
            client.force_login(people[role])
        response = client.get(path)
        assert response.status_code == 200, f"{path} as {role or 'visitor'}: {response.status_code}"
        assert response["Content-Type"].startswith("text/html"), path
        rendered[f"{path} as {role or 'visitor'}"] = response.content.decode()
    return rendered


# A page with a known error: the checker must report it, or it did not really check anything.
CANARY = (
    '<!DOCTYPE html><html lang="en"><head><title>Canary</title></head>'
    '<body><form hx-post="/x"></form></body></html>'
)


def test_main_pages_have_no_html_errors(checker, tmp_path):
    rendered = render(demo_pages())
    assert len(rendered) >= 40
    files = {"canary.html": "the canary page"}
    (tmp_path / "canary.html").write_text(CANARY, encoding="utf-8")
    for n, (label, html) in enumerate(rendered.items()):
        assert '<meta name="description"' in html, f"{label} has no meta description"
        file = tmp_path / f"page{n:02d}.html"
        file.write_text(html, encoding="utf-8")
        files[file.name] = label
    result = subprocess.run(
        [*checker, "--format", "json", "--stdout", *(str(tmp_path / name) for name in files)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    try:
        messages = json.loads(result.stdout)["messages"]
    except (ValueError, KeyError):
        pytest.fail(f"the checker gave no JSON report:\n{result.stdout}\n{result.stderr}")
    errors = {}
    for message in messages:
        if message.get("type") in {"error", "non-document-error"}:
            name = Path(message.get("url") or "").name
            errors.setdefault(name, []).append(message)
    assert any("hx-post" in m.get("message", "") for m in errors.pop("canary.html", [])), (
        f"the checker did not report the canary's error: {result.stdout[:2000]}"
    )
    report = [
        f"{files.get(name, name)}, line {m.get('lastLine')}: {m.get('message')}\n"
        f"    {(m.get('extract') or '').strip()}"
        for name, found in errors.items()
        for m in found
    ]
    assert not report, f"{len(report)} HTML errors:\n" + "\n".join(report)
