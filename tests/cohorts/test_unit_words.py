"""A daily cohort's pages speak of days: no page says "Week", "weekly" or "W1".

Walks every cohort URL (the same walk as the access test) as each member role and reads
what a person would see: the text, titles, labels and alternative texts of HTML pages, and
the whole of CSV, calendar and other downloads (URLs aside; and in the course file its
`weeks` key and its opening comment, which are the same in every course file). Choices in a drop-down (a
"Weekly" schedule an organizer could pick) are options, not words about this cohort.
"""

import re
from datetime import UTC, time, timedelta
from html.parser import HTMLParser

import pytest
from django.urls import reverse
from django.utils import timezone

from assignments.models import Completion
from cohorts.models import Cohort, Membership, Role, ScheduleKind, Week
from discussions.models import Feedback
from notifications.models import Delivery
from tests.cohorts.test_access import ACTORS, ALLOWED, cohort_patterns
from tests.cohorts.test_access import url_arguments as url_arguments  # noqa: F401 (fixture)

# "_" parts words too: a code such as week_opened shown on a page is a word on it.
WEEK_WORD = re.compile(r"(?<![^\W_])(weeks?|weekly|w\d+)(?![^\W_])", re.IGNORECASE)
URL = re.compile(r"(https?://|/c/|webcal://)\S*")
SHOWN_ATTRIBUTES = {"title", "aria-label", "alt", "placeholder", "content"}


class VisibleText(HTMLParser):
    def __init__(self):
        super().__init__()
        self.parts, self.hidden = [], 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style", "option"):
            self.hidden += 1
        for name, value in attrs:
            if name in SHOWN_ATTRIBUTES and value:
                self.parts.append(value)

    def handle_endtag(self, tag):
        if tag in ("script", "style", "option"):
            self.hidden = max(0, self.hidden - 1)

    def handle_data(self, data):
        if not self.hidden:
            self.parts.append(data)


def words_shown(response):
    if response.get("Content-Type", "").startswith("application/pdf"):
        return ""  # compressed streams: any bytes may spell "w1" (the sheets are HTML first)
    body = b"".join(response.streaming_content) if response.streaming else response.content
    text = body.decode("utf-8", "replace")
    if "html" in response.get("Content-Type", ""):
        parser = VisibleText()
        parser.feed(text)
        text = "\n".join(parser.parts)
    if "yaml" in response.get("Content-Type", ""):
        # The course file's list of sessions is named `weeks` in every file (the format's
        # key, not a word about this cohort).
        # Its opening comment documents the format, the same for every course (weekly too).
        text = text.replace("\nweeks:", "\n")
        text = "\n".join(line for line in text.splitlines() if not line.startswith("#"))
    return URL.sub(" ", text)


@pytest.fixture
def cohort(db):
    """A four-day workshop whose second day is under way, with each day's rows filled in."""
    now = timezone.now()
    start = (now - timedelta(days=1)).astimezone(UTC).date()
    workshop = Cohort.objects.create(
        title="Data science workshop",
        slug="ml",
        time_zone="UTC",
        start_date=start,
        session_weekday=start.weekday(),
        session_time=time(0, 0),
        session_minutes=480,
        schedule_kind=ScheduleKind.DAILY,
        slack_webhook_url="https://hooks.slack.example/services/T0/B0/x",
    )
    workshop.apply_schedule_defaults()
    workshop.save()
    workshop.create_weeks(4, ["Framing", "Feature engineering"])
    Week.objects.filter(cohort=workshop).update(publish_at=now - timedelta(days=3))
    return workshop


def test_the_unit_is_days(cohort):
    assert [w.heading for w in cohort.weeks.all()][:3] == [
        "Day 1: Framing",
        "Day 2: Feature engineering",
        "Day 3",
    ]


@pytest.mark.django_db
def test_no_page_of_a_daily_cohort_says_week(cohort, people, url_arguments, client_for):  # noqa: F811
    first = cohort.weeks.get(number=1)
    Feedback.objects.get_or_create(
        week=first,
        user=people["participant"],
        defaults={
            "logistics": 4,
            "content_quality": 5,
            "content_relevance": 4,
            "overall": 5,
            "comment": "More time for questions.",
        },
    )
    # A marked item: its delete page then warns what removing it does to the progress.
    Completion.objects.create(item_id=url_arguments["item_id"], user=people["participant"])
    # A "Day 1 is open" email in the delivery log.
    Delivery.objects.create(
        kind="week_opened",
        cohort=cohort,
        week=first,
        recipient=people["participant"].email,
        dedupe_key=f"week_opened:{first.pk}:{people['participant'].pk}",
        status=Delivery.Status.SENT,
    )
    url_arguments = {**url_arguments}
    found = {}
    checked = 0
    for route, name, callback in cohort_patterns():
        rule = getattr(callback, "cohort_rule", None)
        needed = re.findall(r"<(?:\w+:)?(\w+)>", route)
        url = reverse(name, kwargs={arg: url_arguments[arg] for arg in needed})
        for actor in ACTORS[3:]:
            if getattr(callback, "token_access", False):
                membership = Membership.objects.get(cohort=cohort, role=Role(actor))
                response = client_for(None).get(membership.get_calendar_url())
            elif actor not in ALLOWED[rule]:
                continue
            else:
                response = client_for(people[actor]).get(url)
            if response.status_code != 200:
                continue
            checked += 1
            text = words_shown(response)
            for match in WEEK_WORD.finditer(text):
                context = " ".join(text[max(0, match.start() - 40) : match.end() + 40].split())
                found.setdefault(f"{name} as {actor}", set()).add(context)
    assert checked > 40
    assert not found, "\n".join(sorted({c for contexts in found.values() for c in contexts}))


@pytest.mark.django_db
def test_home_and_my_cohorts_say_day(cohort, people, other_cohort, client_for):
    Membership.objects.create(user=people["participant"], cohort=other_cohort)
    client = client_for(people["participant"])
    page = client.get(reverse("home"))
    text = words_shown(page)
    assert "Data science workshop" in text
    # The other cohort is weekly: its own card may say so; the workshop's card may not.
    workshop_card = text.split("Data science workshop", 1)[1].split("Statistics", 1)[0]
    assert not WEEK_WORD.search(workshop_card), workshop_card


@pytest.mark.django_db
@pytest.mark.parametrize("name", ["cohorts:detail", "assignments:progress", "discussions:guide"])
def test_naming_sessions_by_unit_costs_no_query_per_session(
    name, cohort, people, client_for, make_user
):
    """The schedule, the progress matrix and the guide name every session ("Day 3", "D3"):
    the same number of queries for 4 days as for 40."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = client_for(people["organizer"])
    url = reverse(name, args=[cohort.slug])
    client.get(url)  # warm up: the header's cohort list is then in the session

    def queries():
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url).status_code == 200
        return len(captured)

    few = queries()
    last = cohort.weeks.last()
    Week.objects.bulk_create(
        Week(
            cohort=cohort,
            number=n,
            title=f"Day {n}",
            session_start=last.session_start + timedelta(days=n),
            publish_at=last.publish_at,
        )
        for n in range(5, 41)
    )
    assert queries() == few
