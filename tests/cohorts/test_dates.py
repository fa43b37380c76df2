"""One way to write dates and times, on every page, form, email and Slack message."""

import re
from datetime import UTC, date, datetime
from pathlib import Path

from django.template import Context, Template
from django.urls import reverse
from django.utils import timezone

from cohorts.dates import day, when

# What the app no longer writes anywhere: full weekday or month names, zero-padded days.
OTHER_FORMATS = re.compile(
    r"\b(Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)\b"
    r"|\b\d{1,2} (January|February|March|April|June|July|August|September|October|November|December)\b"
    r"|\b(Mon|Tue|Wed|Thu|Fri|Sat|Sun) 0\d "
    r"|\b(Mon|Tue|Wed|Thu|Fri|Sat|Sun) \d{1,2} [A-Z][a-z]{2},"  # a date without its year
)


def render(source, **context):
    return Template("{% load homeroom %}" + source).render(Context(context))


def test_when_writes_the_cohorts_clock_in_the_apps_format_whatever_the_active_zone(cohort):
    week = cohort.weeks.get(number=1)  # 14:00 UTC; 16:00 in Berlin
    with timezone.override(UTC):
        assert render("{{ m|when:cohort }}", m=week.session_start, cohort=cohort) == (
            "Thu 3 Sep 2026, 16:00"
        )
        assert when(week.session_start, cohort) == "Thu 3 Sep 2026, 16:00"
    assert render("{{ m|when:cohort }}", m=None, cohort=cohort) == ""


def test_django_defaults_use_the_same_format():
    moment = datetime(2026, 9, 3, 16, 5, tzinfo=UTC)
    with timezone.override(UTC):
        assert render("{{ m|date }} · {{ m|time }} · {{ m }}", m=moment) == (
            "Thu 3 Sep 2026 · 16:05 · Thu 3 Sep 2026, 16:05"
        )
    assert day(date(2026, 10, 1)) == "Thu 1 Oct 2026"


def test_pages_and_form_help_write_dates_one_way(cohort, people, client_for):
    organizer = client_for(people["organizer"])
    week_page = organizer.get(reverse("cohorts:week", args=[cohort.slug, 1])).content.decode()
    assert "Session: <time" in week_page and "Thu 3 Sep 2026, 16:00</time>" in week_page

    editor = organizer.get(reverse("assignments:prework_editor", args=[cohort.slug, 1]))
    html = editor.content.decode()
    # The publish form's help names the session, in the same format.
    assert "The session is Thu 3 Sep 2026, 16:00." in html

    pages = [
        reverse("cohorts:detail", args=[cohort.slug]),
        reverse("cohorts:week", args=[cohort.slug, 1]),
        reverse("cohorts:manage_weeks", args=[cohort.slug]),
        reverse("assignments:prework_editor", args=[cohort.slug, 1]),
        reverse("discussions:session", args=[cohort.slug, 1]),
        reverse("discussions:guide", args=[cohort.slug]),
    ]
    for url in pages:
        text = organizer.get(url).content.decode()
        assert not OTHER_FORMATS.search(text), (url, OTHER_FORMATS.search(text))


REPO = Path(__file__).resolve().parents[2]
# Formats a template may still name: the app's own, and machine-readable ones (datetime="…").
ALLOWED_TEMPLATE_FORMATS = {"DATE_FORMAT", "DATETIME_FORMAT", "TIME_FORMAT", "H:i", "c"}
MACHINE = re.compile(r"^Y-m-d\\\\?TH:i(:s)?O?$")


def test_no_template_or_module_invents_its_own_date_format():
    """New pages use |when:cohort, |date or |time (config/formats/en/formats.py)."""
    found = []
    for path in (REPO / "templates").rglob("*"):
        if path.suffix not in {".html", ".txt"}:
            continue
        for fmt in re.findall(r"\|(?:date|time):[\"']([^\"']*)[\"']", path.read_text()):
            if fmt not in ALLOWED_TEMPLATE_FORMATS and not MACHINE.match(fmt):
                found.append(f"{path.relative_to(REPO)}: {fmt}")
    for app in ("cohorts", "notifications", "curriculum", "assignments", "discussions"):
        for path in (REPO / app).rglob("*.py"):
            if "migrations" in path.parts:
                continue
            # strftime-style day or month names ("%A %d %B" and the like); ISO dates are fine.
            for line in path.read_text().splitlines():
                if re.search(r"%[aAbB]", line):
                    found.append(f"{path.relative_to(REPO)}: {line.strip()}")
    assert not found, "Dates written their own way:\n" + "\n".join(found)
