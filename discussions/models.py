from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator, URLValidator
from django.db import models, transaction
from django.db.models import Avg, Count, Q
from django.utils import timezone

from cohorts import week_cache
from cohorts.markdown import (
    SHORT_TEXT,
    MarkdownHTMLField,
    MarkdownModel,
    validate_markdown,
)
from cohorts.models import Membership, Week
from cohorts.ordered import OrderedInWeek, OrderedQuerySet
from cohorts.permissions import joined_before
from cohorts.week_cache import BulkWritesTell

User = settings.AUTH_USER_MODEL


class SessionSettings(models.Model):
    """Per-week session switches that belong to discussions, not to the schedule."""

    week = models.OneToOneField(Week, on_delete=models.CASCADE, related_name="session_settings")
    points_visible = models.BooleanField("discussion points visible to participants", default=False)

    class Meta:
        verbose_name_plural = "session settings"

    def __str__(self):
        return f"Session settings for {self.week}"

    @classmethod
    def points_visible_for(cls, week):
        return cls.objects.filter(week=week, points_visible=True).exists()

    @classmethod
    def set_points_visible(cls, week, visible):
        cls.objects.update_or_create(week=week, defaults={"points_visible": visible})


# The week cache's name for what the week page's discussions show (board.py keeps it; bump
# the number when what is cached changes shape, so that old entries are never read).
BOARD_PART = "discussions-board-1"


def set_mark(model, on, **fields):
    """A person's +1 (one row, unique on `fields`): set it, clear it, or flip it (on=None).
    Clicks that arrive together end in one row or none, never an error."""
    with transaction.atomic():
        rows = model.objects.filter(**fields)
        if on is None:
            on = not rows.exists()
        if on:
            model.objects.get_or_create(**fields)
        else:
            rows.delete()
    return on


class MuddiestPointQuerySet(models.QuerySet):
    def ranked(self):
        """Most +1s first, then oldest first."""
        return self.annotate(vote_count=Count("votes", distinct=True)).order_by(
            "-vote_count", "created_at", "pk"
        )


class MuddiestPoint(models.Model):
    """Something a participant found hard this week; others +1 it."""

    week = models.ForeignKey(Week, on_delete=models.CASCADE, related_name="muddiest_points")
    author = models.ForeignKey(User, on_delete=models.CASCADE, related_name="muddiest_points")
    text = models.CharField("what was hard", max_length=500)
    created_at = models.DateTimeField(default=timezone.now)

    objects = MuddiestPointQuerySet.as_manager()

    class Meta:
        ordering = ["created_at"]

    def __str__(self):
        return self.text[:60]

    def toggle_vote(self, user, on=None):
        """+1 (on=True), take the +1 back (on=False), or the other of the two (None).
        Authors cannot +1 their own point. Returns voted?"""
        if user.pk == self.author_id:
            return False
        voted = set_mark(MuddiestVote, on, point=self, user=user)
        week_cache.changed(BOARD_PART, self.week_id)
        return voted

    def make_discussion_point(self, by):
        """One click from a muddiest point to a discussion point (once)."""
        existing = DiscussionPoint.objects.filter(source=self).first()
        if existing:
            return existing
        return DiscussionPoint.objects.create(
            week=self.week, text=self.text, source=self, created_by=by
        )


class MuddiestVote(models.Model):
    point = models.ForeignKey(MuddiestPoint, on_delete=models.CASCADE, related_name="votes")
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["point", "user"], name="one_vote_per_muddiest_point")
        ]

    def __str__(self):
        return f"+1 by {self.user} on {self.point}"


class DiscussionPointQuerySet(BulkWritesTell, OrderedQuerySet):
    """Moving a point, a course's points, Markdown rendered again: bulk writes that tell
    the week page's board (board.py)."""

    week_part = BOARD_PART


class DiscussionPoint(OrderedInWeek, MarkdownModel):
    """A concept to walk through in the session (Markdown)."""

    week = models.ForeignKey(Week, on_delete=models.CASCADE, related_name="discussion_points")
    text = models.TextField(
        max_length=SHORT_TEXT, validators=[validate_markdown], help_text="Markdown."
    )
    text_html = MarkdownHTMLField()
    source = models.OneToOneField(
        MuddiestPoint,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="discussion_point",
        help_text="The muddiest point it came from, if any.",
    )
    markdown_fields = ("text",)
    created_by = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    objects = DiscussionPointQuerySet.as_manager()

    class Meta:
        ordering = ["week", "order", "pk"]

    def __str__(self):
        return self.text[:60]


class PairPrompt(OrderedInWeek, MarkdownModel):
    """A pair-explanation prompt ("A, explain to B why …"): one turn per prompt."""

    week = models.ForeignKey(Week, on_delete=models.CASCADE, related_name="pair_prompts")
    prompt = models.TextField(
        max_length=SHORT_TEXT, validators=[validate_markdown], help_text="Markdown."
    )
    prompt_html = MarkdownHTMLField()
    markdown_fields = ("prompt",)
    minutes = models.PositiveSmallIntegerField(
        "minutes per turn", default=5, validators=[MinValueValidator(1), MaxValueValidator(60)]
    )

    class Meta:
        ordering = ["week", "order", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(minutes__gte=1, minutes__lte=60), name="pair_prompt_minutes_1_to_60"
            )
        ]

    def __str__(self):
        return self.prompt[:60]


class CohortSessionOptions(models.Model):
    """Per-cohort switches for the live session that belong to discussions."""

    cohort = models.OneToOneField(
        "cohorts.Cohort", on_delete=models.CASCADE, related_name="session_options"
    )
    self_check_in = models.BooleanField(
        "participants may check themselves in",
        default=False,
        help_text='During the session, participants see an "I\'m here" button on their phone.',
    )

    class Meta:
        verbose_name_plural = "cohort session options"

    def __str__(self):
        return f"Session options for {self.cohort}"

    @classmethod
    def self_check_in_for(cls, cohort_id):
        return cls.objects.filter(cohort_id=cohort_id, self_check_in=True).exists()

    @classmethod
    def set_self_check_in(cls, cohort, allowed):
        cls.objects.update_or_create(cohort=cohort, defaults={"self_check_in": allowed})


class AttendanceStatus(models.TextChoices):
    PRESENT = "present", "Present"
    ABSENT = "absent", "Absent"
    EXCUSED = "excused", "Excused"


# What a facilitator can set; "unmarked" removes the record.
UNMARKED = "unmarked"
ATTENDANCE_CHOICES = (*AttendanceStatus.values, UNMARKED)


class AttendanceQuerySet(models.QuerySet):
    def statuses(self, week):
        """{user_id: status} of everyone marked for the week (unmarked people are missing)."""
        return dict(self.filter(week=week).values_list("user_id", "status"))

    def present_memberships(self, week, room=None):
        """Active participants marked present — or, while nobody is marked present, every
        active participant not marked absent or excused (so a facilitator who taps only the
        absent, or nobody, pairs everyone else). In a cohort with rooms this holds room by
        room (and `room` keeps one room's people)."""
        memberships = list(Membership.objects.active_participants(week.cohort_id))
        statuses = self.statuses(week)
        placement = Room.objects.placement(week.cohort_id, memberships)
        if not placement:
            return present_among(memberships, statuses)
        by_room = {}
        for membership in memberships:
            by_room.setdefault(placement[membership.user_id], []).append(membership)
        present = set()
        for room_id, members in by_room.items():
            if room is None or room_id == room.pk:
                present.update(m.pk for m in present_among(members, statuses))
        return [m for m in memberships if m.pk in present]


def present_among(memberships, statuses):
    """The memberships that count as here, given {user_id: status} (see present_memberships):
    apply it to one room's people at a time."""
    if any(statuses.get(m.user_id) == AttendanceStatus.PRESENT for m in memberships):
        return [m for m in memberships if statuses.get(m.user_id) == AttendanceStatus.PRESENT]
    return [m for m in memberships if m.user_id not in statuses]


class Attendance(models.Model):
    """Whether a participant came to a session: present, absent or excused. No row: not
    marked (yet)."""

    Status = AttendanceStatus

    week = models.ForeignKey(Week, on_delete=models.CASCADE, related_name="attendance")
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="attendance")
    status = models.CharField(
        max_length=8, choices=AttendanceStatus.choices, default=AttendanceStatus.PRESENT
    )
    marked_by = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    marked_at = models.DateTimeField(default=timezone.now)

    objects = AttendanceQuerySet.as_manager()

    class Meta:
        verbose_name_plural = "attendance"
        constraints = [
            models.UniqueConstraint(fields=["week", "user"], name="one_attendance_per_week"),
            models.CheckConstraint(
                condition=Q(status__in=AttendanceStatus.values), name="attendance_status_known"
            ),
        ]

    def __str__(self):
        return f"{self.user} {self.status} in {self.week}"

    @property
    def present(self):
        return self.status == AttendanceStatus.PRESENT

    @present.setter
    def present(self, value):
        # Attendance(present=False) still reads as it did when attendance was a flag.
        self.status = AttendanceStatus.PRESENT if value else AttendanceStatus.ABSENT

    @classmethod
    def mark(cls, week, user, status, by):
        """Record one person's attendance (status one of ATTENDANCE_CHOICES; "unmarked"
        removes the record). The same mark twice is one row."""
        if status == UNMARKED:
            cls.objects.filter(week=week, user=user).delete()
            return
        if status not in AttendanceStatus.values:
            raise ValueError(f"Unknown attendance status {status!r}")
        cls.objects.update_or_create(
            week=week,
            user=user,
            defaults={"status": status, "marked_by": by, "marked_at": timezone.now()},
        )

    @classmethod
    def mark_present(cls, week, user_ids, by):
        """Record everyone in `user_ids` who is not marked yet as present (pairs were made
        with them); marks already set stay."""
        now = timezone.now()
        cls.objects.bulk_create(
            [
                cls(
                    week=week,
                    user_id=user_id,
                    status=AttendanceStatus.PRESENT,
                    marked_by=by,
                    marked_at=now,
                )
                for user_id in user_ids
            ],
            ignore_conflicts=True,
        )


class RoomQuerySet(models.QuerySet):
    def placement(self, cohort_id, memberships=None):
        """{user_id: room_id} for the cohort's active participants (or `memberships`):
        where they are placed, or the first room (the default) when not placed. Empty for a
        cohort without rooms."""
        rooms = list(self.filter(cohort_id=cohort_id).values_list("pk", flat=True))
        if not rooms:
            return {}
        placed = dict(
            RoomPlace.objects.filter(room__cohort_id=cohort_id).values_list(
                "membership__user_id", "room_id"
            )
        )
        if memberships is None:
            memberships = Membership.objects.active_participants(cohort_id)
        return {m.user_id: placed.get(m.user_id, rooms[0]) for m in memberships}


class Room(models.Model):
    """Where part of the cohort meets: a name, its facilitator and how many it holds.
    A cohort without rooms meets as one room (nothing to set up)."""

    cohort = models.ForeignKey("cohorts.Cohort", on_delete=models.CASCADE, related_name="rooms")
    name = models.CharField(max_length=80)
    facilitator = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    capacity = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[MinValueValidator(2), MaxValueValidator(1000)]
    )
    order = models.PositiveSmallIntegerField(default=0)

    objects = RoomQuerySet.as_manager()

    class Meta:
        ordering = ["cohort", "order", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["cohort", "name"], name="one_room_name_per_cohort")
        ]

    def __str__(self):
        return self.name


class RoomPlace(models.Model):
    """Which room a participant sits in (everyone not placed sits in the first room)."""

    membership = models.OneToOneField(
        Membership, on_delete=models.CASCADE, related_name="room_place"
    )
    room = models.ForeignKey(Room, on_delete=models.CASCADE, related_name="places")

    def __str__(self):
        return f"{self.membership} in {self.room}"


class Pairing(models.Model):
    """This week's groups in one room (or the whole cohort, room None), generated from a
    stored seed; locked when final."""

    week = models.ForeignKey(Week, on_delete=models.CASCADE, related_name="pairings")
    room = models.ForeignKey(
        Room, on_delete=models.CASCADE, null=True, blank=True, related_name="pairings"
    )
    seed = models.PositiveBigIntegerField()
    locked = models.BooleanField(default=False)
    generated_at = models.DateTimeField(default=timezone.now)
    generated_by = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["week", "room"], name="one_pairing_per_room"),
            models.UniqueConstraint(
                fields=["week"], condition=Q(room=None), name="one_pairing_per_week_without_rooms"
            ),
        ]

    def __str__(self):
        return f"Pairing for {self.week}"

    def swap(self, first_id, second_id):
        """Exchange two people's places (in one group: who explains first).

        Returns False when the pairing is locked or either person is not in it.
        """
        if self.locked or first_id == second_id:
            return False
        with transaction.atomic():
            groups = list(self.groups.select_for_update())
            places = {}
            for group in groups:
                for field, user_id in group.places():
                    places[user_id] = (group, field)
            if first_id not in places or second_id not in places:
                return False
            (group_1, field_1), (group_2, field_2) = places[first_id], places[second_id]
            setattr(group_1, field_1, second_id)
            setattr(group_2, field_2, first_id)
            group_1.save()
            if group_2.pk != group_1.pk:
                group_2.save()
        return True


class PairGroup(models.Model):
    """One pair or trio; person A explains first."""

    PLACES = ("person_a_id", "person_b_id", "person_c_id")
    LETTERS = "ABC"

    pairing = models.ForeignKey(Pairing, on_delete=models.CASCADE, related_name="groups")
    number = models.PositiveSmallIntegerField("table")
    person_a = models.ForeignKey(User, on_delete=models.CASCADE, related_name="+")
    person_b = models.ForeignKey(
        User, on_delete=models.CASCADE, related_name="+", null=True, blank=True
    )
    person_c = models.ForeignKey(
        User, on_delete=models.CASCADE, related_name="+", null=True, blank=True
    )

    class Meta:
        ordering = ["pairing", "number"]
        constraints = [
            models.UniqueConstraint(fields=["pairing", "number"], name="one_group_per_table")
        ]

    def __str__(self):
        return f"Table {self.number}"

    @classmethod
    def from_members(cls, pairing, number, members):
        members = list(members) + [None] * (3 - len(members))
        return cls(
            pairing=pairing,
            number=number,
            person_a_id=members[0],
            person_b_id=members[1],
            person_c_id=members[2],
        )

    def places(self):
        return [
            (field, getattr(self, field))
            for field in self.PLACES
            if getattr(self, field) is not None
        ]

    @property
    def member_ids(self):
        return tuple(user_id for _, user_id in self.places())

    @property
    def members(self):
        """[(letter, user)] in explaining order."""
        people = [self.person_a, self.person_b, self.person_c]
        return [
            (letter, person)
            for letter, person in zip(self.LETTERS, people, strict=True)
            if person is not None
        ]


class SessionTimerQuerySet(models.QuerySet):
    def state_of(self, week_id, room_id):
        """The timer's state as (version, turn, running, started_at, remaining_ms,
        updated_at, pairs_made), or None before anyone touched it: one query, for the poll."""
        return (
            self.filter(week_id=week_id, room_id=room_id)
            .values_list(
                "version",
                "turn",
                "running",
                "started_at",
                "remaining_ms",
                "updated_at",
                "pairs_made",
            )
            .first()
        )


class SessionTimer(models.Model):
    """The room timer, shared: which turn, and whether and since when it runs. The
    facilitator's timer page changes it; every other timer page and every participant's
    card reads it and counts down on their own."""

    week = models.ForeignKey(Week, on_delete=models.CASCADE, related_name="timers")
    room = models.ForeignKey(
        Room, on_delete=models.CASCADE, null=True, blank=True, related_name="timers"
    )
    turn = models.PositiveSmallIntegerField(default=0)
    running = models.BooleanField(default=False)
    # Running: the turn ends at started_at + remaining_ms. Paused: what is left (None: the
    # whole turn, which the prompt's minutes say).
    started_at = models.DateTimeField(null=True, blank=True)
    remaining_ms = models.PositiveIntegerField(null=True, blank=True)
    version = models.PositiveIntegerField(default=0)
    updated_at = models.DateTimeField(default=timezone.now)
    # Bumped when the room's pairs are made again: cards showing the old pairs reload.
    pairs_made = models.PositiveIntegerField(default=0)

    objects = SessionTimerQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["week", "room"], name="one_timer_per_room"),
            models.UniqueConstraint(
                fields=["week"], condition=Q(room=None), name="one_timer_per_week_without_rooms"
            ),
        ]

    def __str__(self):
        return f"Timer for {self.week}"

    @classmethod
    def touch(cls, week, room):
        """Something the room's pages show changed (new pairs): a new version, so every
        page polling the timer sees a change and picks it up. Restarts at the first turn."""
        cls.objects.get_or_create(week=week, room=room)
        cls.objects.filter(week=week, room=room).update(
            version=models.F("version") + 1,
            pairs_made=models.F("pairs_made") + 1,
            turn=0,
            running=False,
            started_at=None,
            remaining_ms=None,
            updated_at=timezone.now(),
        )


class FeedbackQuerySet(models.QuerySet):
    def summary_by_week(self, cohort):
        """{week_id: {responses, logistics, content_quality, content_relevance, overall}}."""
        rows = (
            self.filter(week__cohort=cohort)
            .values("week")
            .annotate(
                responses=Count("pk"),
                **{field: Avg(field) for field in Feedback.RATINGS},
            )
        )
        return {row.pop("week"): row for row in rows}


def rating_field(label):
    return models.PositiveSmallIntegerField(
        label, validators=[MinValueValidator(1), MaxValueValidator(5)]
    )


RATINGS = ("logistics", "content_quality", "content_relevance", "overall")


class Feedback(models.Model):
    """One participant's rating of one session; editable."""

    RATINGS = RATINGS

    week = models.ForeignKey(Week, on_delete=models.CASCADE, related_name="feedback")
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="session_feedback")
    logistics = rating_field("logistics")
    content_quality = rating_field("content quality")
    content_relevance = rating_field("content relevance")
    overall = rating_field("overall")
    comment = models.TextField(blank=True, max_length=4000)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    objects = FeedbackQuerySet.as_manager()

    class Meta:
        verbose_name_plural = "feedback"
        ordering = ["week", "created_at"]
        constraints = [
            models.UniqueConstraint(fields=["week", "user"], name="one_feedback_per_week"),
            *[
                models.CheckConstraint(
                    condition=Q(**{f"{field}__gte": 1, f"{field}__lte": 5}),
                    name=f"feedback_{field}_1_to_5",
                )
                for field in RATINGS
            ],
        ]

    def __str__(self):
        return f"Feedback by {self.user} on {self.week}"


class SharedResourceQuerySet(models.QuerySet):
    def ranked(self):
        """Pinned first, then most upvoted, then oldest."""
        return self.annotate(upvote_count=Count("upvotes", distinct=True)).order_by(
            "-pinned", "-upvote_count", "created_at", "pk"
        )


class SharedResource(models.Model):
    """A link a participant found useful this week."""

    week = models.ForeignKey(Week, on_delete=models.CASCADE, related_name="shared_resources")
    shared_by = models.ForeignKey(User, on_delete=models.CASCADE, related_name="shared_resources")
    title = models.CharField(max_length=200)
    url = models.URLField("link", max_length=500, validators=[URLValidator(["http", "https"])])
    note = models.CharField(max_length=500, blank=True)
    pinned = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)

    objects = SharedResourceQuerySet.as_manager()

    class Meta:
        ordering = ["-pinned", "created_at"]

    def __str__(self):
        return self.title

    def toggle_upvote(self, user, on=None):
        """Upvote (on=True), take it back (on=False), or the other of the two (None).
        Sharing your own link already counts. Returns upvoted?"""
        if user.pk == self.shared_by_id:
            return False
        upvoted = set_mark(ResourceUpvote, on, resource=self, user=user)
        week_cache.changed(BOARD_PART, self.week_id)
        return upvoted


class ResourceUpvote(models.Model):
    resource = models.ForeignKey(SharedResource, on_delete=models.CASCADE, related_name="upvotes")
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["resource", "user"], name="one_upvote_per_resource")
        ]

    def __str__(self):
        return f"Upvote by {self.user} on {self.resource}"


def attendance_table(cohort, now=None):
    """(sessions held so far, [(membership, [status per session])]) for every active
    participant: "present", "absent", "excused", "unmarked", or "" for a session before
    they joined. Three queries."""
    now = now or timezone.now()
    weeks = [week for week in cohort.weeks.all() if week.session_start <= now]
    marks = {
        (user_id, week_id): status
        for user_id, week_id, status in Attendance.objects.filter(
            week__cohort=cohort, week__session_start__lte=now
        ).values_list("user_id", "week_id", "status")
    }
    rows = []
    for membership in Membership.objects.active_participants(cohort):
        rows.append(
            (
                membership,
                [
                    marks.get((membership.user_id, week.pk), UNMARKED)
                    if joined_before(membership.joined_at, week)
                    else ""
                    for week in weeks
                ],
            )
        )
    return weeks, rows


class SurveySettings(models.Model):
    """A cohort's session-survey switches (discussions' own, not the schedule's), and the
    run it was copied from, whose ratings the results show beside this run's."""

    cohort = models.OneToOneField(
        "cohorts.Cohort", on_delete=models.CASCADE, related_name="survey_settings"
    )
    prompts = models.BooleanField(
        "email each participant the survey after a session they attended", default=True
    )
    nudge = models.BooleanField("send one reminder to those who have not answered", default=True)
    previous_run = models.ForeignKey(
        "cohorts.Cohort",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text="The cohort this one was copied from.",
    )

    class Meta:
        verbose_name_plural = "survey settings"

    def __str__(self):
        return f"Survey settings for {self.cohort}"

    @classmethod
    def of(cls, cohort):
        """The cohort's settings (unsaved defaults when it has none yet)."""
        return cls.objects.filter(cohort=cohort).first() or cls(cohort=cohort)
