"""Survey prompts: after each session, one email to each participant who was there, asking
"How was Day 2?" with the four 1–5 questions as one-tap links.

When a session ends (`week.session_end`), each participant marked present — or every
active participant when attendance was not taken, as
`Attendance.objects.present_memberships` says — who joined before it and has not answered
yet gets one email (key `survey:<week>:<user>`). Each number in it is a link carrying a
signed, per-person token (django.core.signing, with its own salt; the token is never
stored: the delivery log keeps the email with the links taken out). Opening a link shows
the survey prefilled with that answer; only the person's POST saves (mail scanners open
links). The survey stays open until the next session starts (a week after the last one).

Halfway through that window (at most 48 hours after the session) those who got the email
and have not answered get one reminder (`survey_nudge:<week>:<user>`). Both are switchable
per cohort (`SurveySettings`), and each member can switch survey emails off.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core import signing
from django.urls import reverse

from cohorts.models import Cohort, Membership, Week
from cohorts.permissions import joined_before
from notifications import dispatch, outbox, preferences
from notifications.channels import email
from notifications.models import Delivery

from .models import RATINGS, Attendance, Feedback, SurveySettings

KIND = "survey"
KIND_NUDGE = "survey_nudge"
SALT = "homeroom.survey"
# A link is refused after this long whatever the schedule (the survey closes much earlier).
TOKEN_MAX_AGE = timedelta(days=60)
# The survey of the last session stays open this long after it ends.
LAST_SESSION_OPEN = timedelta(days=7)
NUDGE_AT_MOST = timedelta(hours=48)
QUESTIONS = (
    ("logistics", "Logistics"),
    ("content_quality", "Content quality"),
    ("content_relevance", "Content relevance"),
    ("overall", "Overall"),
)
# What the delivery log keeps in place of each personal link.
REDACTED = "(your personal link)"


@dataclass(frozen=True)
class Window:
    """When a session's survey is open: from the session's end until the next one starts."""

    week: Week
    opens: datetime
    closes: datetime

    @property
    def nudge_at(self) -> datetime:
        return self.opens + min(NUDGE_AT_MOST, (self.closes - self.opens) / 2)

    def is_open(self, now: datetime) -> bool:
        return self.opens <= now < self.closes


def window(week: Week, weeks: list[Week] | None = None) -> Window:
    weeks = weeks if weeks is not None else list(week.cohort.weeks.all())
    later = [w for w in weeks if w.session_start > week.session_start]
    closes = later[0].session_start if later else week.session_end + LAST_SESSION_OPEN
    return Window(week, week.session_end, max(closes, week.session_end))


def open_window(cohort: Cohort, now: datetime) -> Window | None:
    """The session whose survey is open now (the latest that ended), if any."""
    weeks = list(cohort.weeks.all())
    for week in reversed(weeks):
        if week.session_end <= now:
            found = window(week, weeks)
            return found if found.is_open(now) else None
    return None


# --- Tokens ---------------------------------------------------------------------------------


def token(week: Week, user_id: int) -> str:
    return signing.dumps({"w": week.pk, "u": user_id}, salt=SALT)


class BadLink(Exception):
    """A survey link that is not (or no longer) a key to anyone's survey."""

    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.status = status


def from_token(value: str) -> tuple[Week, Membership]:
    """The session and the membership a survey link names, or BadLink saying why not."""
    try:
        data = signing.loads(value, salt=SALT, max_age=TOKEN_MAX_AGE)
    except signing.SignatureExpired:
        raise BadLink("This survey link has expired.", 410) from None
    except signing.BadSignature:
        raise BadLink(
            "This survey link is not valid: it may have been cut short or changed.", 400
        ) from None
    if not isinstance(data, dict):
        raise BadLink("This survey link is not valid.", 400)
    week = Week.objects.select_related("cohort").filter(pk=data.get("w")).first()
    membership = (
        Membership.objects.active()
        .participants()
        .select_related("user")
        .filter(cohort_id=week.cohort_id if week else None, user_id=data.get("u"))
        .first()
    )
    if week is None or membership is None:
        raise BadLink("This survey is no longer open to you: you are not in the cohort.", 410)
    membership.cohort = week.cohort
    return week, membership


def link(week: Week, user_id: int, rating: tuple[str, int] | None = None) -> str:
    path = reverse("survey", kwargs={"token": token(week, user_id)})
    query = f"?{rating[0]}={rating[1]}" if rating else ""
    return f"{settings.SITE_URL}{path}{query}"


def ratings_from_query(query: dict) -> dict[str, int]:
    """The one-tap answer(s) in a link's query (?overall=4): only 1–5 for known questions."""
    picked = {}
    for name in RATINGS:
        value = str(query.get(name, ""))[:2]
        if value in {"1", "2", "3", "4", "5"}:
            picked[name] = int(value)
    return picked


# --- Planning -------------------------------------------------------------------------------


def prompt_key(week: Week, user_id: int) -> str:
    return f"{KIND}:{week.pk}:{user_id}"


def nudge_key(week: Week, user_id: int) -> str:
    return f"{KIND_NUDGE}:{week.pk}:{user_id}"


def plan(cohort: Cohort, now: datetime) -> list[dispatch.Decision]:
    """dispatch job: survey emails (and the one reminder) for the session that just ended."""
    found = open_window(cohort, now)
    if found is None:
        return []
    week = found.week
    switches = SurveySettings.of(cohort)
    label = week.label
    if not switches.prompts:
        return [dispatch.Decision(KIND, dispatch.NO, "Survey emails are switched off.", week)]
    if not week.is_published(now):
        return [dispatch.Decision(KIND, dispatch.NO, f"{label} was never published.", week)]
    people = Attendance.objects.present_memberships(week)
    answered = set(Feedback.objects.filter(week=week).values_list("user_id", flat=True))
    off = preferences.opted_out(cohort, preferences.SURVEY)
    decisions = []
    asked: list[Membership] = []
    for membership in people:
        email_address = membership.user.email
        reason = None
        if not joined_before(membership.joined_at, week):
            reason = f"Joined after {label}."
        elif membership.user_id in answered:
            reason = "Answered already."
        elif membership.pk in off:
            reason = "Switched survey emails off."
        elif not membership.user.is_active:
            reason = "The account is deactivated."
        if reason:
            decisions.append(dispatch.Decision(KIND, dispatch.NO, reason, week, email_address))
            continue
        asked.append(membership)
        decisions.append(
            dispatch.Decision(
                KIND,
                dispatch.SEND,
                f"How was {label}? (open until {dispatch.local_text(cohort, found.closes)})",
                week,
                recipient=email_address,
                dedupe_key=prompt_key(week, membership.user_id),
                subject=f"How was {label}?",
                payload={"user_id": membership.user_id},
                expires_at=found.closes,
            )
        )
    decisions.extend(nudges(cohort, found, asked, switches, now))
    return decisions


def nudges(
    cohort: Cohort, found: Window, asked: list[Membership], switches: SurveySettings, now: datetime
) -> list[dispatch.Decision]:
    week = found.week
    if not switches.nudge or not asked:
        return []
    if now < found.nudge_at:
        return [
            dispatch.Decision(
                KIND_NUDGE,
                dispatch.WAIT,
                f"One reminder to those who have not answered goes out "
                f"{dispatch.local_text(cohort, found.nudge_at)}.",
                week,
            )
        ]
    # Only those who got the first email (a nudge is never anyone's first word).
    prompted = set(
        Delivery.objects.filter(week=week, kind=KIND, status=Delivery.Status.SENT).values_list(
            "dedupe_key", flat=True
        )
    )
    return [
        dispatch.Decision(
            KIND_NUDGE,
            dispatch.SEND,
            f"Has not answered about {week.label} yet.",
            week,
            recipient=membership.user.email,
            dedupe_key=nudge_key(week, membership.user_id),
            subject=f"Reminder: how was {week.label}?",
            payload={"user_id": membership.user_id},
            expires_at=found.closes,
        )
        for membership in asked
        if prompt_key(week, membership.user_id) in prompted
    ]


# --- Just before sending --------------------------------------------------------------------


def prepare(claimed: Delivery) -> outbox.Withhold | None:
    week = claimed.week
    if week is None:
        return outbox.Withhold(Delivery.Status.SKIPPED, "The session was deleted.")
    cohort = week.cohort
    user_id = claimed.payload.get("user_id")
    membership = (
        Membership.objects.active()
        .participants()
        .filter(cohort=cohort, user_id=user_id)
        .select_related("user")
        .first()
    )
    reason = None
    if membership is None:
        reason = "Left the cohort."
    elif Feedback.objects.filter(week=week, user_id=user_id).exists():
        reason = "Answered already."
    elif not preferences.wants(membership, preferences.SURVEY):
        reason = "Switched survey emails off."
    elif not membership.user.is_active:
        reason = "The account is deactivated."
    elif claimed.kind == KIND and not SurveySettings.of(cohort).prompts:
        reason = "Survey emails were switched off."
    elif claimed.kind == KIND_NUDGE and not SurveySettings.of(cohort).nudge:
        reason = "Survey reminders were switched off."
    if reason or membership is None:
        return outbox.Withhold(Delivery.Status.SKIPPED, reason or "Left the cohort.")
    found = window(week)
    unsubscribe = preferences.unsubscribe_url(membership, preferences.SURVEY)

    def render(personal: bool) -> tuple[str, str, str]:
        def url(rating: tuple[str, int] | None = None) -> str:
            return link(week, membership.user_id, rating) if personal else REDACTED

        questions = [
            (label, [(n, url((name, n))) for n in range(1, 6)]) for name, label in QUESTIONS
        ]
        return email.render(
            "survey_prompt",
            {
                "cohort": cohort,
                "week": week,
                "user": membership.user,
                "questions": questions,
                "form_url": url(),
                "closes": cohort.local(found.closes).replace(tzinfo=None),
                "nudge": claimed.kind == KIND_NUDGE,
                "unsubscribe_url": unsubscribe,
                "preferences_url": preferences.preferences_url(cohort),
            },
        )

    claimed.subject, claimed.body_text, claimed.body_html = render(personal=False)
    claimed.transient_content = outbox.Content(*render(personal=True))
    claimed.recipient = membership.user.email
    claimed.headers = preferences.list_headers(unsubscribe)
    return None


job = dispatch.Job(kind=KIND, plan=plan, prepare=prepare)


# --- Results --------------------------------------------------------------------------------


def response_rate(week: Week) -> tuple[int, int]:
    """(answered, asked) for one session: who was there and joined before it."""
    present = [
        m for m in Attendance.objects.present_memberships(week) if joined_before(m.joined_at, week)
    ]
    ids = {m.user_id for m in present}
    answered = Feedback.objects.filter(week=week, user_id__in=ids).count()
    return answered, len(present)


HEADERS = ("Logistics", "Quality", "Relevance", "Overall")


def _average(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f}"


@dataclass
class ResultRow:
    """One session's line of the results: the page's table row and the CSV's, cell for cell."""

    week: Week
    responses: int
    asked: int
    answered_of_asked: int
    averages: dict  # {rating: float | None}
    previous: dict | None = None  # the previous run's same session: responses and averages

    @property
    def rate(self) -> str:
        if not self.asked:
            return "—"
        return f"{round(100 * self.answered_of_asked / self.asked)}%"

    def cells(self, with_previous: bool) -> list[str]:
        cells = [
            self.week.label,
            str(self.responses),
            str(self.asked),
            self.rate,
            *(_average(self.averages.get(name)) for name in RATINGS),
        ]
        if with_previous:
            previous = self.previous or {}
            cells += [
                str(previous.get("responses", "—")) if previous else "—",
                *(_average(previous.get(name)) for name in RATINGS),
            ]
        return cells


def result_headers(with_previous: bool) -> list[str]:
    headers = ["Session", "Responses", "Asked", "Response rate", *HEADERS]
    if with_previous:
        headers += ["Last run: responses", *(f"Last run: {label}" for label in HEADERS)]
    return headers


def results(cohort: Cohort, now: datetime) -> tuple[list[ResultRow], Cohort | None]:
    """Per session that has started: responses, how many were asked (present and joined
    before it), the rate, the four averages, and the previous run's, if this cohort was
    copied from one. A fixed number of queries per session, whatever the cohort's size."""
    weeks = [w for w in cohort.weeks.all() if w.session_start <= now]
    summary = Feedback.objects.summary_by_week(cohort)
    by_week: dict[int, set[int]] = {}
    for week_id, user_id in Feedback.objects.filter(week__cohort=cohort).values_list(
        "week_id", "user_id"
    ):
        by_week.setdefault(week_id, set()).add(user_id)
    previous_run = SurveySettings.of(cohort).previous_run
    previous: dict[int, dict] = {}
    if previous_run is not None:
        numbers = dict(previous_run.weeks.values_list("pk", "number"))
        previous = {
            numbers[week_id]: row
            for week_id, row in Feedback.objects.summary_by_week(previous_run).items()
        }
    rows = []
    for week in weeks:
        week.cohort = cohort
        asked = {
            m.user_id
            for m in Attendance.objects.present_memberships(week)
            if joined_before(m.joined_at, week)
        }
        row = summary.get(week.pk, {})
        rows.append(
            ResultRow(
                week=week,
                responses=row.get("responses", 0),
                asked=len(asked),
                answered_of_asked=len(by_week.get(week.pk, set()) & asked),
                averages={name: row.get(name) for name in RATINGS},
                previous=previous.get(week.number) if previous_run else None,
            )
        )
    return rows, previous_run
