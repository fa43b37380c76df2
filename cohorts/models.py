from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo, available_timezones

from django.conf import settings
from django.contrib.auth.models import AbstractUser, UserManager
from django.core import signing
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models.functions import Lower
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.text import slugify

from . import schedule
from .markdown import (
    LONG_TEXT,
    MarkdownHTMLField,
    MarkdownModel,
    MarkdownQuerySet,
    validate_markdown,
)
from .secrets import DigestField, new_sealed_token, new_token, sealed

# Zone names a cohort can keep its clock in. Some systems' zone databases also list
# "localtime" (whatever zone the server is set to: a cohort's times would move with the
# server) and "Factory" (no place's time); neither is a place's clock.
NOT_A_PLACE = frozenset({"localtime", "Factory", "posixrules"})
TIME_ZONES = frozenset(available_timezones()) - NOT_A_PLACE
TIME_ZONE_CHOICES = sorted((name, name.replace("_", " ")) for name in TIME_ZONES)


def validate_time_zone(name):
    if name not in TIME_ZONES:
        raise ValidationError(f"“{name}” is not a time zone name such as Europe/Berlin.")


class EmailUserManager(UserManager):
    use_in_migrations = True

    def _create_user(self, email, password, **extra_fields):
        if not email:
            raise ValueError("An email address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra_fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email, password=None, **extra_fields):
        extra_fields.setdefault("is_staff", False)
        extra_fields.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra_fields)

    def create_superuser(self, email, password=None, **extra_fields):
        extra_fields.setdefault("is_staff", True)
        extra_fields.setdefault("is_superuser", True)
        return self._create_user(email, password, **extra_fields)


class User(AbstractUser):
    """A person, known by email address; there are no usernames."""

    username = None
    first_name = None
    last_name = None
    email = models.EmailField("email address", unique=True)
    name = models.CharField("name", max_length=150, blank=True)

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = []

    objects = EmailUserManager()

    class Meta:
        ordering = ["name", "email"]

    def __str__(self):
        return self.display_name

    @property
    def display_name(self):
        return self.name_shown(self.name, self.email)

    @staticmethod
    def name_shown(name, email):
        """The name people see: the one given, else the address up to the "@"."""
        return name or email.split("@")[0]

    def get_full_name(self):
        return self.display_name

    def get_short_name(self):
        return self.display_name.split(" ")[0]


class Weekday(models.IntegerChoices):
    MONDAY = 0, "Monday"
    TUESDAY = 1, "Tuesday"
    WEDNESDAY = 2, "Wednesday"
    THURSDAY = 3, "Thursday"
    FRIDAY = 4, "Friday"
    SATURDAY = 5, "Saturday"
    SUNDAY = 6, "Sunday"


class ScheduleKind(models.TextChoices):
    WEEKLY = "weekly", "Weekly"
    DAILY = "daily", "Daily"
    DATES = "dates", "A list of dates"


class Unit(models.TextChoices):
    """What a cohort calls one session's slot: "Week 3", "Day 2", "Session 5"."""

    WEEK = "Week", "Week"
    DAY = "Day", "Day"
    SESSION = "Session", "Session"


class ReminderLead(models.TextChoices):
    HOURS = "hours", "Hours before the session"
    EVENING = "evening", "The evening before, at a set time"


class DigestCadence(models.TextChoices):
    WEEKLY = "weekly", "Every seven days, on the day and at the time below"
    SESSION = "session", "Before each session"


# What suits each kind of schedule; a new cohort starts from these (all editable).
SCHEDULE_DEFAULTS = {
    ScheduleKind.WEEKLY: {
        "unit_name": Unit.WEEK,
        "reminder_lead": ReminderLead.HOURS,
        "digest_cadence": DigestCadence.WEEKLY,
    },
    ScheduleKind.DAILY: {
        "unit_name": Unit.DAY,
        "reminder_lead": ReminderLead.EVENING,
        "digest_cadence": DigestCadence.SESSION,
    },
    ScheduleKind.DATES: {
        "unit_name": Unit.SESSION,
        "reminder_lead": ReminderLead.EVENING,
        "digest_cadence": DigestCadence.SESSION,
    },
}

# The first session counts as "current" only from this long before it starts.
CURRENT_HORIZON = timedelta(days=7)


class CohortQuerySet(MarkdownQuerySet):
    def for_user(self, user):
        if not user.is_authenticated:
            return self.none()
        return self.filter(memberships__user=user, memberships__left_at__isnull=True).distinct()


class Cohort(MarkdownModel):
    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        ACTIVE = "active", "Active"
        FINISHED = "finished", "Finished"

    title = models.CharField(max_length=200)
    slug = models.SlugField(max_length=80, unique=True)
    description = models.TextField(
        blank=True, max_length=LONG_TEXT, validators=[validate_markdown], help_text="Markdown."
    )
    description_html = MarkdownHTMLField()
    # Validated rather than given as choices, so ~600 zone names do not land in migrations.
    time_zone = models.CharField(max_length=64, default="UTC", validators=[validate_time_zone])
    schedule_kind = models.CharField(
        "schedule", max_length=8, choices=ScheduleKind.choices, default=ScheduleKind.WEEKLY
    )
    # Daily schedules: skip Saturdays and Sundays.
    weekdays_only = models.BooleanField(default=False)
    unit_name = models.CharField(
        max_length=8,
        choices=Unit.choices,
        default=Unit.WEEK,
        help_text="What pages call each session, followed by its number.",
    )
    start_date = models.DateField(help_text="The date of the first session.")
    session_weekday = models.PositiveSmallIntegerField(choices=Weekday.choices)
    session_time = models.TimeField(help_text="Local time in the cohort's time zone.")
    # The usual length; a session may have its own (Week.session_minutes).
    session_minutes = models.PositiveSmallIntegerField(default=90)
    location = models.CharField(
        max_length=300, blank=True, help_text="A room, or the call link for remote sessions."
    )
    # Secrets at rest are sealed (see cohorts.secrets): `slack_webhook_url` is the clear URL.
    slack_webhook_sealed = models.TextField(blank=True, default="", editable=False)
    slack_webhook_digest = DigestField(of="slack_webhook_sealed")
    slack_webhook_url = sealed("slack_webhook_sealed")
    # Set when Slack answers that the webhook is gone (404/410/403); cleared by a new URL.
    slack_webhook_disabled_at = models.DateTimeField(null=True, blank=True)
    slack_webhook_error = models.CharField(max_length=500, blank=True)
    reminder_lead = models.CharField(
        max_length=8, choices=ReminderLead.choices, default=ReminderLead.HOURS
    )
    reminder_lead_hours = models.PositiveSmallIntegerField(
        default=48, help_text="Hours before the session that homework reminders go out."
    )
    reminder_evening_time = models.TimeField(
        default=time(18, 0), help_text="The evening before each session, at this local time."
    )
    digest_cadence = models.CharField(
        max_length=8, choices=DigestCadence.choices, default=DigestCadence.WEEKLY
    )
    digest_weekday = models.PositiveSmallIntegerField(
        choices=Weekday.choices, default=Weekday.MONDAY
    )
    digest_time = models.TimeField(default=time(9, 0))
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.ACTIVE)
    show_upcoming_titles = models.BooleanField(
        "Show upcoming topics",
        default=False,
        help_text="Participants see the titles you have given sessions not published yet "
        "(the syllabus ahead); their pre-work stays hidden until it is published.",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = CohortQuerySet.as_manager()
    markdown_fields = ("description",)

    class Meta:
        ordering = ["-start_date", "title"]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("cohorts:detail", kwargs={"slug": self.slug})

    @property
    def slack_enabled(self):
        """A webhook is set and Slack has not told us it is gone."""
        return bool(self.slack_webhook_url) and self.slack_webhook_disabled_at is None

    @property
    def slack_webhook_hint(self):
        """The webhook URL is a secret: only its last four characters are ever shown."""
        return f"…{self.slack_webhook_url[-4:]}" if self.slack_webhook_url else ""

    @cached_property
    def tz(self):
        return ZoneInfo(self.time_zone)

    def local(self, moment):
        return timezone.localtime(moment, self.tz)

    def from_local(self, moment: datetime) -> datetime:
        """A date and time typed into a form, read on this cohort's clock.

        Browsers send datetime-local fields without a zone, and Django's form field attaches
        the server's; the wall-clock time is the cohort's, whatever zone came with it.
        """
        naive = moment.replace(tzinfo=None)
        return datetime.combine(naive.date(), naive.time(), tzinfo=self.tz)

    def session_start_for(self, day: date) -> datetime:
        """The aware session start on a local calendar day (DST-correct)."""
        return datetime.combine(day, self.session_time, tzinfo=self.tz)

    def first_session_date(self) -> date:
        """Weekly: the first day on or after start_date that falls on the session weekday.
        Daily: start_date, or the Monday after it when weekends are skipped. A list: its
        first date (kept in start_date)."""
        if self.schedule_kind == ScheduleKind.WEEKLY:
            shift = (self.session_weekday - self.start_date.weekday()) % 7
            return self.start_date + timedelta(days=shift)
        if self.schedule_kind == ScheduleKind.DAILY:
            return schedule.daily_days(self.start_date, 1, self.weekdays_only)[0]
        return self.start_date

    def session_days(self, count: int) -> list[date]:
        """The local days of `count` sessions of a weekly or daily schedule."""
        first = self.first_session_date()
        if self.schedule_kind == ScheduleKind.DAILY:
            return schedule.daily_days(first, count, self.weekdays_only)
        return schedule.weekly_days(first, count)

    def planned_sessions(self, count: int) -> list[schedule.Session]:
        """`count` sessions of a weekly or daily schedule, or ScheduleError naming every day
        whose session time falls in a daylight saving gap or fold."""
        sessions, problems = [], []
        for day in self.session_days(count):
            problem = schedule.clock_problem(day, self.session_time, self.tz)
            if problem:
                problems.append(problem)
            else:
                sessions.append(schedule.Session(self.session_start_for(day)))
        if problems:
            raise schedule.ScheduleError(" ".join(problems[:3]))
        return sessions

    def apply_schedule_defaults(self) -> None:
        """Unit name, reminder lead and digest cadence that suit the schedule kind."""
        for name, value in SCHEDULE_DEFAULTS[ScheduleKind(self.schedule_kind)].items():
            setattr(self, name, value)

    def default_title(self, number: int) -> str:
        return f"{self.unit_name} {number}"

    def rename_default_titles(self, old_unit: str) -> None:
        """After the unit is renamed: sessions still titled "Week 3" become "Day 3"."""
        for week in self.weeks.all():
            if week.title == f"{old_unit} {week.number}":
                week.title = self.default_title(week.number)
                week.save(update_fields=["title"])

    def create_weeks(self, count: int, titles=(), sessions=None):
        """Create `count` sessions: those given, else by the schedule (weekly or daily), each
        at the local session time."""
        if sessions is None:
            sessions = [
                schedule.Session(self.session_start_for(day)) for day in self.session_days(count)
            ]
        titles = list(titles)
        weeks = [
            Week(
                cohort=self,
                number=n,
                title=titles[n - 1] if n <= len(titles) else self.default_title(n),
                session_start=session.start,
                session_minutes=session.minutes,
            )
            for n, session in enumerate(sessions, start=1)
        ]
        return Week.objects.bulk_create(weeks)

    def current_week(self, weeks=None, now=None):
        """The current session: the next one that has not ended (or is running now). None
        after the last session, and while the first is more than a week away."""
        now = now or timezone.now()
        weeks = list(weeks if weeks is not None else self.weeks.all())
        for index, week in enumerate(weeks):
            if week.session_end > now:
                if index == 0 and week.session_start - now > CURRENT_HORIZON:
                    return None
                return week
        return None

    def reminder_time(self, week, previous=None) -> datetime:
        """When homework reminders for `week` go out: the lead before its session on the
        local clock, but never before `previous` (the session before it) has ended."""
        if self.reminder_lead == ReminderLead.EVENING:
            moment = schedule.evening_before(
                week.session_start, self.reminder_evening_time, self.tz
            )
        else:
            moment = schedule.hours_before(week.session_start, self.reminder_lead_hours, self.tz)
        return schedule.at_or_after(moment, previous.session_end if previous else None)

    def session_digest_time(self, week, previous=None) -> datetime:
        """Per-session digest: at the digest time on the session's day (the day before when
        the session starts earlier), never before the previous session has ended."""
        moment = schedule.same_day_or_before(week.session_start, self.digest_time, self.tz)
        return schedule.at_or_after(moment, previous.session_end if previous else None)

    def timetable(self, now: datetime, limit: int = 10) -> list[tuple]:
        """(week, reminder time, per-session digest time or None) for up to `limit` sessions
        that have not ended yet: what the dispatch preview shows."""
        weeks = list(self.weeks.all())
        rows = []
        for previous, week in zip([None, *weeks], weeks, strict=False):
            if week.session_end <= now:
                continue
            digest = (
                self.session_digest_time(week, previous)
                if self.digest_cadence == DigestCadence.SESSION
                else None
            )
            rows.append((week, self.reminder_time(week, previous), digest))
            if len(rows) == limit:
                break
        return rows

    @property
    def schedule_phrase(self) -> str:
        """schedule_text inside a sentence: "Mondays at 09:00", "every day at 10:00"."""
        text = self.schedule_text
        return text if self.schedule_kind == ScheduleKind.WEEKLY else text[:1].lower() + text[1:]

    @property
    def schedule_summary(self) -> str:
        """ "Mondays at 09:00, 90 minutes" — the rhythm and the usual length."""
        return f"{self.schedule_text}, {self.session_minutes} minutes"

    @property
    def reminder_lead_text(self) -> str:
        if self.reminder_lead == ReminderLead.EVENING:
            return f"the evening before each session at {self.reminder_evening_time:%H:%M}"
        return f"{self.reminder_lead_hours} hours before each session"

    @property
    def unit_short(self) -> str:
        """ "W", "D" or "S": the matrix's column heads ("D2")."""
        return self.unit_name[:1]

    @property
    def unit_plural(self) -> str:
        return f"{self.unit_name}s"

    @property
    def schedule_text(self) -> str:
        """ "Mondays at 09:00", "Every day at 10:00", "Weekdays at 10:00", "On the dates
        listed" — the rhythm in a few words (length and zone are shown beside it)."""
        clock = f"{self.session_time:%H:%M}"
        if self.schedule_kind == ScheduleKind.DAILY:
            return f"{'Weekdays' if self.weekdays_only else 'Every day'} at {clock}"
        if self.schedule_kind == ScheduleKind.DATES:
            return "On the dates listed"
        return f"{self.get_session_weekday_display()}s at {clock}"

    @classmethod
    def unique_slug(cls, title):
        base = slugify(title)[:70] or "cohort"
        slug, n = base, 2
        while cls.objects.filter(slug=slug).exists():
            slug, n = f"{base}-{n}", n + 1
        return slug


class Role(models.TextChoices):
    ORGANIZER = "organizer", "Organizer"
    FACILITATOR = "facilitator", "Facilitator"
    PARTICIPANT = "participant", "Participant"


class MembershipQuerySet(models.QuerySet):
    def active(self):
        return self.filter(left_at__isnull=True)

    def participants(self):
        return self.filter(role=Role.PARTICIPANT)

    def by_name(self):
        """With their users, in name order (a list people read; there is no default order)."""
        return self.select_related("user").order_by("user__name", "user__email")

    def active_participants(self, cohort):
        """The active participants of a cohort (or a cohort's id), with users, in name order."""
        return self.active().participants().filter(cohort=cohort).by_name()


class Membership(models.Model):
    class Experience(models.TextChoices):
        NEW = "new", "New to the topic"
        SOME = "some", "Some experience"
        EXPERIENCED = "experienced", "Experienced"

    class Via(models.TextChoices):
        """How the person came in: organizers see it on the members page."""

        ADDED = "added", "Added directly"
        INVITATION = "invitation", "Invitation"
        LINK = "link", "Join link"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    cohort = models.ForeignKey(Cohort, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=12, choices=Role.choices, default=Role.PARTICIPANT)
    experience = models.CharField(
        max_length=12, choices=Experience.choices, default=Experience.SOME
    )
    reminders_opt_out = models.BooleanField(default=False)
    joined_at = models.DateTimeField(default=timezone.now)
    joined_via = models.CharField(max_length=12, choices=Via.choices, default=Via.ADDED)
    left_at = models.DateTimeField(null=True, blank=True)
    # The secret in the member's calendar.ics URL (calendar apps have no session); resetting
    # it revokes the old link. Stored sealed, looked up by its digest (cohorts.secrets).
    calendar_token_sealed = models.TextField(default=new_sealed_token, editable=False)
    calendar_token_digest = DigestField(of="calendar_token_sealed", unique=True)
    calendar_token = sealed("calendar_token_sealed")

    objects = MembershipQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "cohort"], name="one_membership_per_cohort"),
        ]
        # No default ordering: access checks look one membership up, and a default order
        # would join cohort and user and sort on every one. Lists order where they are shown.

    def __str__(self):
        return f"{self.user} — {self.get_role_display()} in {self.cohort}"

    @property
    def is_active(self):
        return self.left_at is None

    UNSUBSCRIBE_SALT = "homeroom.unsubscribe"

    @property
    def unsubscribe_token(self):
        """A signed, non-expiring token naming this membership, for one-click unsubscribe."""
        return signing.dumps(self.pk, salt=self.UNSUBSCRIBE_SALT)

    @classmethod
    def from_unsubscribe_token(cls, token):
        """The membership a token names, or None when the token is not one of ours."""
        try:
            pk = signing.loads(token, salt=cls.UNSUBSCRIBE_SALT)
        except signing.BadSignature:
            return None
        return cls.objects.select_related("user", "cohort").filter(pk=pk).first()

    def get_unsubscribe_url(self):
        return reverse("unsubscribe", kwargs={"token": self.unsubscribe_token})

    def reset_calendar_token(self):
        """A new calendar link; the old one stops working."""
        self.calendar_token = new_token()
        self.save(update_fields=["calendar_token_sealed", "calendar_token_digest"])

    def get_calendar_url(self):
        url = reverse("cohorts:calendar", kwargs={"slug": self.cohort.slug})
        return f"{url}?token={self.calendar_token}"


class InvitationQuerySet(models.QuerySet):
    def pending(self):
        return self.filter(
            accepted_at__isnull=True, revoked_at__isnull=True, expires_at__gt=timezone.now()
        )


class Invitation(models.Model):
    VALID_FOR = timedelta(days=14)

    cohort = models.ForeignKey(Cohort, on_delete=models.CASCADE, related_name="invitations")
    email = models.EmailField()
    role = models.CharField(max_length=12, choices=Role.choices, default=Role.PARTICIPANT)
    # The link's secret, sealed; looked up by its digest (cohorts.secrets).
    token_sealed = models.TextField(default=new_sealed_token, editable=False)
    token_digest = DigestField(of="token_sealed", unique=True)
    token = sealed("token_sealed")
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    sent_count = models.PositiveSmallIntegerField(default=0)
    # When its email last went out: daily invitation limits count from it, and a resend
    # waits a little after the last one (see cohorts.invitations).
    last_sent_at = models.DateTimeField(null=True, blank=True)
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    revoked_at = models.DateTimeField(null=True, blank=True)

    objects = InvitationQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            # At most one open invitation per address and cohort.
            models.UniqueConstraint(
                "cohort",
                Lower("email"),
                condition=models.Q(accepted_at__isnull=True, revoked_at__isnull=True),
                name="one_open_invitation_per_email",
            ),
        ]

    def __str__(self):
        return f"{self.email} → {self.cohort} ({self.get_role_display()})"

    def save(self, *args, **kwargs):
        self.email = self.email.strip().lower()
        if not self.expires_at:
            self.expires_at = timezone.now() + self.VALID_FOR
        super().save(*args, **kwargs)

    def get_absolute_url(self):
        return reverse("invitation", kwargs={"token": self.token})

    @property
    def state(self):
        if self.accepted_at:
            return "accepted"
        if self.revoked_at:
            return "revoked"
        if self.expires_at <= timezone.now():
            return "expired"
        return "pending"


def new_join_code():
    """A join-link code: 32 random bytes (256 bits), URL-safe (named by migration 0010)."""
    return new_token()


class JoinLinkQuerySet(models.QuerySet):
    def current(self):
        return self.filter(replaced_at__isnull=True)


class JoinLink(models.Model):
    """A cohort's shareable join link. Resetting it keeps the old row, marked replaced, so an
    old link says "this link was reset" instead of "not found"."""

    cohort = models.ForeignKey(Cohort, on_delete=models.CASCADE, related_name="join_links")
    # The link's secret, sealed; looked up by its digest (cohorts.secrets).
    code_sealed = models.TextField(default=new_sealed_token, editable=False)
    code_digest = DigestField(of="code_sealed", unique=True)
    code = sealed("code_sealed")
    enabled = models.BooleanField(default=True)
    email_domains = models.CharField(
        max_length=500,
        blank=True,
        help_text="Only addresses at these domains may join, e.g. example.com, example.org.",
    )
    capacity = models.PositiveIntegerField(
        null=True,
        blank=True,
        help_text="The link stops once the cohort has this many participants.",
    )
    closes_on = models.DateField(
        null=True, blank=True, help_text="The last day the link works, in the cohort's time zone."
    )
    allow_rejoin = models.BooleanField(
        default=False, help_text="People removed from the cohort may come back through the link."
    )
    created_at = models.DateTimeField(default=timezone.now)
    replaced_at = models.DateTimeField(null=True, blank=True)

    objects = JoinLinkQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["cohort"],
                condition=models.Q(replaced_at__isnull=True),
                name="one_current_join_link_per_cohort",
            ),
        ]

    def __str__(self):
        return f"Join link of {self.cohort}"

    def get_absolute_url(self):
        return reverse("join", kwargs={"code": self.code})

    @property
    def domains(self):
        return [
            d
            for d in (part.strip().lower().lstrip("@") for part in self.email_domains.split(","))
            if d
        ]


class Week(MarkdownModel):
    cohort = models.ForeignKey(Cohort, on_delete=models.CASCADE, related_name="weeks")
    number = models.PositiveSmallIntegerField()
    title = models.CharField(max_length=200)
    summary = models.TextField(
        blank=True, max_length=LONG_TEXT, validators=[validate_markdown], help_text="Markdown."
    )
    summary_html = MarkdownHTMLField()
    session_start = models.DateTimeField()
    session_minutes = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="This session's length, when it differs from the usual."
    )
    publish_at = models.DateTimeField(
        null=True, blank=True, help_text="When the pre-work becomes visible to participants."
    )
    facilitator_notes = models.TextField(
        blank=True,
        max_length=LONG_TEXT,
        validators=[validate_markdown],
        help_text="Markdown. Private to facilitators.",
    )
    facilitator_notes_html = MarkdownHTMLField()

    objects = MarkdownQuerySet.as_manager()
    markdown_fields = ("summary", "facilitator_notes")

    class Meta:
        ordering = ["cohort", "number"]
        constraints = [
            models.UniqueConstraint(fields=["cohort", "number"], name="one_week_number_per_cohort"),
        ]

    def __str__(self):
        return f"{self.cohort} · {self.heading}"

    def get_absolute_url(self):
        return reverse("cohorts:week", kwargs={"slug": self.cohort.slug, "number": self.number})

    @property
    def minutes(self) -> int:
        """This session's length: its own, else the cohort's usual one."""
        return self.session_minutes or self.cohort.session_minutes

    @property
    def session_end(self):
        """The one way to know when a session ends (sessions may differ in length)."""
        return self.session_start + timedelta(minutes=self.minutes)

    @property
    def label(self):
        """ "Week 3", "Day 2" — how pages name the session, short, in the cohort's unit."""
        return f"{self.cohort.unit_name} {self.number}"

    @property
    def short_label(self):
        """ "W3", "D2": the progress matrix's column heads."""
        return f"{self.cohort.unit_short}{self.number}"

    @property
    def heading(self):
        """ "Day 2: Feature engineering", or just "Day 2" while the title is the default."""
        if not self.title or self.title == self.label:
            return self.label
        return f"{self.label}: {self.title}"

    def is_running(self, now=None):
        now = now or timezone.now()
        return self.session_start <= now < self.session_end

    @property
    def running_now(self):
        return self.is_running()

    def is_published(self, now=None):
        return self.publish_at is not None and self.publish_at <= (now or timezone.now())
