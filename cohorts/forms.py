import secrets
from datetime import datetime
from zoneinfo import ZoneInfo

from django import forms
from django.core.exceptions import ValidationError
from django.forms.fields import BaseTemporalField

from . import schedule
from .models import (
    TIME_ZONE_CHOICES,
    Cohort,
    JoinLink,
    Membership,
    Role,
    ScheduleKind,
    Unit,
    User,
    Week,
)

# Every date the app accepts lies in these years: far enough for any real course, and far
# from the edges of Python's datetime, where time-zone arithmetic overflows.
FIRST_YEAR, LAST_YEAR = 2000, 2100


def check_year(value):
    """Refuse a date or datetime outside FIRST_YEAR–LAST_YEAR (ValidationError)."""
    if value is not None and not FIRST_YEAR <= value.year <= LAST_YEAR:
        raise ValidationError(f"Choose a date between {FIRST_YEAR} and {LAST_YEAR}.")
    return value


def cohort_datetime(value, cohort):
    """A naive datetime from a datetime-local field means the cohort's clock (not the
    server's); its year must be within FIRST_YEAR–LAST_YEAR, and it must be one moment on
    that clock (not in a daylight saving gap or fold)."""
    check_year(value)
    local = value.replace(tzinfo=None)
    problem = schedule.clock_problem(local.date(), local.time(), cohort.tz)
    if problem:
        raise ValidationError(problem)
    return cohort.from_local(value)


def single_line(value):
    """Titles are one line: a line break would break e-mail subjects and calendar feeds."""
    value = " ".join(value.splitlines()).strip()
    if any(ord(char) < 32 or ord(char) == 127 for char in value):
        raise ValidationError("Use letters, digits and punctuation only (no control characters).")
    return value


class SignupDetailsForm(forms.Form):
    """Extra field on allauth's sign-up form: the name others see."""

    name = forms.CharField(max_length=150, label="Your name", help_text="Shown to your cohort.")
    field_order = ["name", "email", "password1", "password2"]

    def signup(self, request, user):
        user.name = self.cleaned_data["name"].strip()
        user.save(update_fields=["name"])
        # An invitation link opened in this browser proves its address (the invitation view
        # stashed it). allauth would add that address to whatever account is being created;
        # it only counts when the person signs up with that very address.
        stashed = request.session.get("account_verified_email")
        if stashed and stashed.lower() != user.email.lower():
            request.session["account_verified_email"] = None


class NameForm(forms.ModelForm):
    """The name others in one's cohorts see; one line."""

    class Meta:
        model = User
        fields = ["name"]
        labels = {"name": "Your name"}
        help_texts = {"name": "Shown to your cohorts: on member lists, pair sheets and in Slack."}

    def clean_name(self):
        name = " ".join(self.cleaned_data["name"].split())
        if not name:
            raise ValidationError("Type the name others should see.")
        return name


class DateInput(forms.DateInput):
    input_type = "date"


class TimeInput(forms.TimeInput):
    input_type = "time"


class DateTimeLocalInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%Y-%m-%dT%H:%M")


class CohortFields(forms.ModelForm):
    time_zone = forms.ChoiceField(choices=TIME_ZONE_CHOICES, initial="Europe/Berlin")

    class Meta:
        model = Cohort
        fields = [
            "title",
            "description",
            "time_zone",
            "start_date",
            "session_weekday",
            "session_time",
            "session_minutes",
            "location",
        ]
        widgets = {
            "start_date": DateInput,
            "session_time": TimeInput,
            "description": forms.Textarea(attrs={"rows": 4}),
        }
        labels = {
            "session_minutes": "Session length (minutes)",
            "start_date": "First session on or after",
        }
        help_texts = {
            "start_date": "The first session is on the session weekday on or after this date."
        }

    def clean_title(self):
        return single_line(self.cleaned_data["title"])

    def clean_location(self):
        return single_line(self.cleaned_data["location"])

    def clean_start_date(self):
        return check_year(self.cleaned_data["start_date"])

    def clean_session_minutes(self):
        minutes = self.cleaned_data["session_minutes"]
        if not 15 <= minutes <= 480:
            raise ValidationError("A session lasts between 15 minutes and 8 hours.")
        return minutes


class CohortCreateForm(CohortFields):
    """A new cohort and its sessions: weekly, daily or a pasted list of dates and times.

    A valid form knows its sessions (`self.sessions`), so the page can show them before
    anything is created ("Preview") and `save` creates exactly those."""

    schedule_kind = forms.ChoiceField(
        choices=ScheduleKind.choices,
        required=False,
        initial=ScheduleKind.WEEKLY,
        widget=forms.RadioSelect,
        label="Schedule",
    )
    weekdays_only = forms.BooleanField(
        required=False, label="Weekdays only (daily schedules skip Saturdays and Sundays)"
    )
    weeks = forms.IntegerField(
        required=False,
        initial=12,
        label="Number of sessions",
        help_text="Weekly or daily: how many sessions (1 to 200).",
    )
    dates = forms.CharField(
        required=False,
        max_length=schedule.MAX_LIST_CHARS,
        widget=forms.Textarea(attrs={"rows": 6, "placeholder": "2027-03-01 10:00"}),
        label="List of dates: one session per line",
        help_text="For a list of dates: YYYY-MM-DD HH:MM on the cohort's clock, one per line, "
        "in order, at most 200; add a length in minutes after the time when that session's "
        "differs, e.g. “2027-03-04 10:00 120”.",
    )
    unit_name = forms.ChoiceField(
        choices=[("", "As suits the schedule (Week, Day, Session)"), *Unit.choices],
        required=False,
        label="Call each session",
    )
    organizer_email = forms.EmailField(
        required=False,
        max_length=254,
        help_text="Leave empty to organize it yourself; otherwise we invite this person as organizer.",
    )
    # One random value per form shown: a second "Create" with it (a double click, a resent
    # form) leads to the cohort the first one made instead of making another.
    once = forms.CharField(required=False, max_length=64, widget=forms.HiddenInput)

    field_order = [
        "title",
        "description",
        "time_zone",
        "schedule_kind",
        "start_date",
        "session_weekday",
        "weekdays_only",
        "session_time",
        "weeks",
        "dates",
        "session_minutes",
        "unit_name",
        "location",
        "organizer_email",
    ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("start_date", "session_weekday", "session_time"):
            self.fields[name].required = False
        self.fields["start_date"].help_text = (
            "Weekly: the first session is on the session weekday on or after this date. "
            "Daily: the first day."
        )
        self.fields["session_weekday"].help_text = "Weekly schedules only."
        self.sessions: list[schedule.Session] = []
        if not self.is_bound:
            self.initial["once"] = secrets.token_urlsafe(24)

    def clean_schedule_kind(self):
        return self.cleaned_data["schedule_kind"] or ScheduleKind.WEEKLY

    def clean(self):
        cleaned = super().clean()
        kind = cleaned.get("schedule_kind") or ScheduleKind.WEEKLY
        zone = cleaned.get("time_zone")
        minutes = cleaned.get("session_minutes")
        if not zone or not minutes:
            return cleaned
        if kind == ScheduleKind.DATES:
            self._clean_list(cleaned, ZoneInfo(zone), minutes)
        else:
            self._clean_rhythm(cleaned, kind)
        return cleaned

    def _clean_list(self, cleaned, tz, minutes):
        sessions, errors = schedule.parse_dates(cleaned.get("dates") or "", tz, minutes)
        if errors:
            self.add_error("dates", errors)
            return
        first = sessions[0].start.astimezone(tz)
        cleaned["start_date"], cleaned["session_time"] = first.date(), first.time()
        cleaned["session_weekday"] = first.weekday()
        self.sessions = sessions

    def _clean_rhythm(self, cleaned, kind):
        count = cleaned.get("weeks")
        missing = False
        for name, message in (
            ("start_date", "Choose the date of the first session."),
            ("session_time", "Choose the time of the sessions."),
        ):
            if cleaned.get(name) is None and name not in self.errors:
                self.add_error(name, message)
                missing = True
        if kind == ScheduleKind.WEEKLY and cleaned.get("session_weekday") in (None, ""):
            self.add_error("session_weekday", "Choose the weekday of the sessions.")
            missing = True
        unit = "days" if kind == ScheduleKind.DAILY else "sessions"
        if count is None or not 1 <= count <= schedule.MAX_SESSIONS:
            self.add_error("weeks", f"Choose between 1 and {schedule.MAX_SESSIONS} {unit}.")
            return
        if missing or any(name in self.errors for name in self.SCHEDULE_FIELDS):
            return
        if kind == ScheduleKind.DAILY:
            cleaned["session_weekday"] = cleaned["start_date"].weekday()
        cohort = Cohort(
            time_zone=cleaned["time_zone"],
            schedule_kind=kind,
            weekdays_only=cleaned.get("weekdays_only", False),
            start_date=cleaned["start_date"],
            session_weekday=cleaned["session_weekday"],
            session_time=cleaned["session_time"],
        )
        try:
            self.sessions = cohort.planned_sessions(count)
        except schedule.ScheduleError as error:
            self.add_error("session_time", str(error))
            return
        last = self.sessions[-1].start
        if last.year > LAST_YEAR:
            self.add_error("weeks", f"The last session would fall after {LAST_YEAR}.")

    SCHEDULE_FIELDS = (
        "time_zone",
        "schedule_kind",
        "start_date",
        "session_weekday",
        "weekdays_only",
        "session_time",
        "weeks",
        "dates",
        "session_minutes",
    )

    def schedule_errors(self):
        """(field label, message) for what keeps the schedule from being previewed."""
        return [
            (self.fields[name].label, message)
            for name in self.SCHEDULE_FIELDS
            for message in self.errors.get(name, [])
        ]

    def preview(self):
        """The sessions this form would create, as the page lists them."""
        cohort = self._unsaved()
        return [
            Week(cohort=cohort, number=n, session_start=s.start, session_minutes=s.minutes)
            for n, s in enumerate(self.sessions, start=1)
        ]

    def _unsaved(self):
        cohort = self.instance
        cohort.schedule_kind = self.cleaned_data["schedule_kind"]
        cohort.weekdays_only = self.cleaned_data.get("weekdays_only", False)
        cohort.apply_schedule_defaults()
        if self.cleaned_data.get("unit_name"):
            cohort.unit_name = self.cleaned_data["unit_name"]
        return cohort

    def save(self, commit=True):
        cohort = super().save(commit=False)
        cohort = self._unsaved()
        cohort.slug = Cohort.unique_slug(cohort.title)
        if commit:
            cohort.save()
            cohort.create_weeks(len(self.sessions), sessions=self.sessions)
        return cohort


class CohortSettingsForm(CohortFields):
    class Meta(CohortFields.Meta):
        fields = [*CohortFields.Meta.fields, "unit_name", "status", "show_upcoming_titles"]
        labels = {**CohortFields.Meta.labels, "unit_name": "Call each session"}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit_name"].required = False
        if self.instance.schedule_kind != ScheduleKind.WEEKLY:
            del self.fields["session_weekday"]  # a daily schedule or a list has no weekday
            self.fields["start_date"].label = "First session on"
            self.fields["start_date"].help_text = f"The date of {self.instance.unit_name} 1."

    def clean_unit_name(self):
        return self.cleaned_data["unit_name"] or self.instance.unit_name

    def save(self, commit=True):
        old_unit = Cohort.objects.filter(pk=self.instance.pk).values_list("unit_name", flat=True)
        old = old_unit.first()
        cohort = super().save(commit)
        if commit and old and old != cohort.unit_name:
            cohort.rename_default_titles(old)
        return cohort


class CohortClockDateTimeField(forms.DateTimeField):
    """A datetime-local value kept naive: it is read on the cohort's clock afterwards, so
    the server's own time zone (its gaps and folds) never decides whether it exists."""

    def to_python(self, value):
        if value in self.empty_values:
            return None
        if isinstance(value, datetime):
            return value.replace(tzinfo=None)
        return BaseTemporalField.to_python(self, value)


class WeekForm(forms.ModelForm):
    session_start = CohortClockDateTimeField(
        widget=DateTimeLocalInput, label="Session starts", input_formats=["%Y-%m-%dT%H:%M"]
    )

    class Meta:
        model = Week
        fields = ["title", "summary", "session_start", "session_minutes"]
        widgets = {"summary": forms.Textarea(attrs={"rows": 4})}
        labels = {"session_minutes": "Length (minutes)"}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.cohort = self.instance.cohort
        if self.instance.session_start and not self.is_bound:
            local = self.cohort.local(self.instance.session_start)
            self.initial["session_start"] = local.replace(tzinfo=None)
        self.fields[
            "session_start"
        ].help_text = f"In the cohort's time zone, {self.cohort.time_zone}."

    def clean_title(self):
        return single_line(self.cleaned_data["title"])

    def clean_session_start(self):
        # The browser sends a naive local time; it means the cohort's clock, not the server's.
        return cohort_datetime(self.cleaned_data["session_start"], self.cohort)

    def clean_session_minutes(self):
        minutes = self.cleaned_data["session_minutes"]
        if minutes is not None and not schedule.MIN_MINUTES <= minutes <= schedule.MAX_MINUTES:
            raise ValidationError("A session lasts between 15 minutes and 8 hours.")
        return minutes


class InvitationPasteForm(forms.Form):
    emails = forms.CharField(
        max_length=100_000,
        widget=forms.Textarea(attrs={"rows": 6}),
        label="Email addresses",
        help_text="One address per line, at most 200. Add “, facilitator” or “, organizer” "
        "after an address to give someone that role, for example “grace@example.com, "
        "facilitator”.",
    )
    role = forms.ChoiceField(choices=Role.choices, initial=Role.PARTICIPANT, label="Default role")


class MembershipForm(forms.ModelForm):
    class Meta:
        model = Membership
        fields = ["role", "experience"]


# Input over a limit: too long for its field, Markdown nested too deep.
LIMIT_ERRORS = {"max_length", "markdown_nesting"}


def form_status(*forms):
    """400 when a form refused input over a limit (the page says which); 200 otherwise,
    with any other errors shown on the form as before."""
    for form in forms:
        if form.is_bound and form.errors:
            for errors in form.errors.as_data().values():
                if any(error.code in LIMIT_ERRORS for error in errors):
                    return 400
    return 200


class JoinDetailsForm(forms.Form):
    """Asked when joining by link or invitation: the name others see and the level that
    pairing mixes."""

    name = forms.CharField(
        max_length=150,
        label="Your name",
        help_text="Shown to your cohort: on member lists, pair sheets and in Slack.",
    )
    experience = forms.ChoiceField(
        choices=Membership.Experience.choices,
        widget=forms.RadioSelect,
        label="How much do you know about the topic already?",
        help_text=(
            "In each session people explain things to each other in pairs, and pairs mix "
            "levels: someone new to the topic asks the questions that make someone experienced "
            "explain well. There is no wrong answer, and the organizers can change it later."
        ),
    )

    def clean_name(self):
        name = " ".join(self.cleaned_data["name"].split())
        if not name:
            raise ValidationError("Type the name others should see.")
        return name


# Domain names as people type them: labels of letters, digits and hyphens, dot-separated.
DOMAIN_LABEL_CHARS = set("abcdefghijklmnopqrstuvwxyz0123456789-")
MAX_JOIN_DOMAINS = 20


def parse_domains(text):
    """`example.com, example.org` (commas, spaces or new lines) → a clean list, or an error."""
    domains = []
    for raw in text.replace("\n", ",").replace(" ", ",").split(","):
        domain = raw.strip().lower().lstrip("@")
        if not domain:
            continue
        labels = domain.split(".")
        if len(labels) < 2 or any(
            not label
            or len(label) > 63
            or label.startswith("-")
            or label.endswith("-")
            or not set(label) <= DOMAIN_LABEL_CHARS
            for label in labels
        ):
            raise ValidationError(f"“{raw.strip()}” is not a domain such as example.com.")
        if domain not in domains:
            domains.append(domain)
    if len(domains) > MAX_JOIN_DOMAINS:
        raise ValidationError(f"List at most {MAX_JOIN_DOMAINS} domains.")
    return domains


class JoinLinkForm(forms.ModelForm):
    class Meta:
        model = JoinLink
        fields = ["enabled", "email_domains", "capacity", "closes_on", "allow_rejoin"]
        widgets = {"closes_on": DateInput}
        labels = {
            "enabled": "The link works",
            "email_domains": "Only these email domains",
            "capacity": "At most this many participants",
            "closes_on": "Open until",
            "allow_rejoin": "Let people who were removed rejoin by this link",
        }

    def clean_email_domains(self):
        domains = parse_domains(self.cleaned_data["email_domains"])
        joined = ", ".join(domains)
        if len(joined) > JoinLink._meta.get_field("email_domains").max_length:
            raise ValidationError("That list of domains is too long.")
        return joined

    def clean_capacity(self):
        capacity = self.cleaned_data["capacity"]
        if capacity is not None and not 1 <= capacity <= 10000:
            raise ValidationError("Choose between 1 and 10,000 participants, or leave it empty.")
        return capacity

    def clean_closes_on(self):
        closes_on = self.cleaned_data["closes_on"]
        if closes_on is not None and not 2000 <= closes_on.year <= 2100:
            raise ValidationError("Choose a date between the years 2000 and 2100.")
        return closes_on
