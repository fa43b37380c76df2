from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator, URLValidator
from django.db import models, transaction
from django.db.models import Avg, Count, Q
from django.utils import timezone

from cohorts.markdown import (
    SHORT_TEXT,
    MarkdownHTMLField,
    MarkdownModel,
    validate_markdown,
)
from cohorts.models import Membership, Week
from cohorts.ordered import OrderedInWeek

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
        return set_mark(MuddiestVote, on, point=self, user=user)

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


class AttendanceQuerySet(models.QuerySet):
    def absent_ids(self, week):
        return set(self.filter(week=week, present=False).values_list("user_id", flat=True))

    def present_memberships(self, week):
        """Active participants not marked absent — everyone, until someone is."""
        absent = self.absent_ids(week)
        memberships = Membership.objects.active_participants(week.cohort_id)
        return [m for m in memberships if m.user_id not in absent]


class Attendance(models.Model):
    """Who came. Without a row a participant counts as present (the default)."""

    week = models.ForeignKey(Week, on_delete=models.CASCADE, related_name="attendance")
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="attendance")
    present = models.BooleanField(default=True)
    marked_by = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    marked_at = models.DateTimeField(default=timezone.now)

    objects = AttendanceQuerySet.as_manager()

    class Meta:
        verbose_name_plural = "attendance"
        constraints = [
            models.UniqueConstraint(fields=["week", "user"], name="one_attendance_per_week")
        ]

    def __str__(self):
        return f"{self.user} {'present' if self.present else 'absent'} in {self.week}"

    @classmethod
    def toggle(cls, week, user, by):
        """Flip one person between present and absent; returns whether present now."""
        with transaction.atomic():
            row = cls.objects.select_for_update().filter(week=week, user=user).first()
            present = not (row.present if row else True)
            cls.objects.update_or_create(
                week=week,
                user=user,
                defaults={"present": present, "marked_by": by, "marked_at": timezone.now()},
            )
        return present


class Pairing(models.Model):
    """This week's groups, generated from a stored seed; locked when final."""

    week = models.OneToOneField(Week, on_delete=models.CASCADE, related_name="pairing")
    seed = models.PositiveBigIntegerField()
    locked = models.BooleanField(default=False)
    generated_at = models.DateTimeField(default=timezone.now)
    generated_by = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

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
        return set_mark(ResourceUpvote, on, resource=self, user=user)


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
