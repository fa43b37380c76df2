from django.conf import settings
from django.db import IntegrityError, connections, models
from django.utils import timezone

from cohorts.markdown import (
    LONG_TEXT,
    SHORT_TEXT,
    MarkdownHTMLField,
    MarkdownModel,
    MarkdownQuerySet,
    validate_markdown,
)
from cohorts.models import Week
from cohorts.ordered import OrderedInWeek, OrderedQuerySet
from cohorts.week_cache import BulkWritesTell

# The week cache's name for a week's items and assignments (checklist.py keeps them; bump
# the number when what is cached changes shape).
PREWORK_PART = "assignments-prework-1"


class PreworkItemQuerySet(BulkWritesTell, OrderedQuerySet):
    """Moving, pasting or copying items, Markdown rendered again: bulk writes that tell the
    week page's cached pre-work list."""

    week_part = PREWORK_PART


class AssignmentQuerySet(BulkWritesTell, MarkdownQuerySet):
    """Copying a course, a session moving its due times: bulk writes that tell the week
    page's cached pre-work list."""

    week_part = PREWORK_PART


class PreworkItem(OrderedInWeek, MarkdownModel):
    class Kind(models.TextChoices):
        VIDEO = "video", "Video"
        READING = "reading", "Reading"
        EXERCISE = "exercise", "Exercise"

    week = models.ForeignKey(Week, on_delete=models.CASCADE, related_name="prework_items")
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.VIDEO)
    title = models.CharField(max_length=200)
    url = models.URLField(max_length=500, blank=True)
    minutes = models.PositiveSmallIntegerField(default=0, help_text="Estimated minutes.")
    required = models.BooleanField(default=True)
    notes = models.TextField(
        blank=True, max_length=SHORT_TEXT, validators=[validate_markdown], help_text="Markdown."
    )
    notes_html = MarkdownHTMLField()

    markdown_fields = ("notes",)

    objects = PreworkItemQuerySet.as_manager()

    class Meta:
        ordering = ["week", "order", "pk"]

    def __str__(self):
        return self.title

    @property
    def done_verb(self):
        return {"video": "watched", "reading": "read"}.get(self.kind, "done")

    # Ends the stand-in title a pasted bare URL gets, until the organizer writes a real one.
    UNTITLED = "(untitled — add a title)"

    @property
    def missing(self):
        """What participants would miss in this item: ["a title", "minutes"], or []."""
        gaps = []
        if self.title.endswith(self.UNTITLED):
            gaps.append("a title")
        if not self.minutes and self.kind != self.Kind.EXERCISE:
            gaps.append("minutes")
        return gaps


class CompletionQuerySet(models.QuerySet):
    def mark(self, user_id: int, item_id: int, done: bool) -> bool:
        """Mark an item done or not done for a person: one statement that repeats harmlessly
        (a double click, two tabs). No transaction is opened around it: the statement is
        atomic by itself, so the database's write lock is held for that statement only (on
        SQLite a writer that finds the lock taken waits, so a short hold is what keeps
        concurrent ticks fast). Django's create/delete would wrap it in BEGIN … COMMIT.

        "Mark watched" writes through this on SQLite; on PostgreSQL it runs the same write
        (`write_sql`) inside one statement with its read (assignments.marks.mark).

        False when the item is gone: a facilitator deleted it after the caller read it. The
        insert then writes nothing (it inserts only while the item exists), and a delete that
        commits in the same instant ends in the database's foreign-key error, caught here."""
        connection = connections[self.db]
        table = connection.ops.quote_name(PreworkItem._meta.db_table)
        items = f"(SELECT id FROM {table} WHERE id = %s) i"  # noqa: S608 - names from _meta
        with connection.cursor() as cursor:
            if not done:
                cursor.execute(self.write_sql(False, items), [user_id, item_id])
                return True
            now = connection.ops.adapt_datetimefield_value(timezone.now())
            try:
                cursor.execute(self.write_sql(True, items), [user_id, now, item_id])
            except IntegrityError:
                return False
            if cursor.rowcount:
                return True
        # Nothing inserted: marked already (a double click, another tab), or the item is gone.
        return PreworkItem.objects.using(self.db).filter(pk=item_id).exists()

    def write_sql(self, done: bool, items: str) -> str:
        """The statement that marks (done) or unmarks, for one person, the items whose `id`
        the SQL `items` selects (a table or WITH name, or a subquery with its alias).
        Parameters: the person's id, then (done) the time marked, then those of `items`.
        A repeat changes nothing: the insert skips a mark that exists, the delete finds none.
        """
        meta = self.model._meta
        quote = connections[self.db].ops.quote_name
        table = quote(meta.db_table)
        user, item, at = (quote(meta.get_field(name).column) for name in ("user", "item", "at"))
        if done:
            # "WHERE true": SQLite reads ON CONFLICT after a bare FROM as a join's.
            return (
                f"INSERT INTO {table} ({user}, {item}, {at}) SELECT %s, id, %s FROM {items} "  # noqa: S608 - names from _meta
                f"WHERE true ON CONFLICT ({user}, {item}) DO NOTHING"
            )
        return f"DELETE FROM {table} WHERE {user} = %s AND {item} IN (SELECT id FROM {items})"  # noqa: S608 - names from _meta


class Completion(models.Model):
    # No index of its own: the unique (user, item) index, user first, serves lookups by user,
    # and every tick would write a third index.
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="completions",
        db_index=False,
    )
    item = models.ForeignKey(PreworkItem, on_delete=models.CASCADE, related_name="completions")
    at = models.DateTimeField(default=timezone.now)

    objects = CompletionQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "item"], name="one_completion_per_item")
        ]

    def __str__(self):
        return f"{self.user} finished {self.item}"


class Assignment(MarkdownModel):
    class SubmissionKind(models.TextChoices):
        LINK = "link", "A link (e.g. a notebook)"
        TEXT = "text", "A short text"
        DONE = "done", "Just mark it done"

    week = models.ForeignKey(Week, on_delete=models.CASCADE, related_name="assignments")
    title = models.CharField(max_length=200)
    instructions = models.TextField(
        blank=True, max_length=LONG_TEXT, validators=[validate_markdown], help_text="Markdown."
    )
    instructions_html = MarkdownHTMLField()
    due_at = models.DateTimeField(help_text="Defaults to the week's session start.")
    submission_kind = models.CharField(
        max_length=4, choices=SubmissionKind.choices, default=SubmissionKind.LINK
    )

    objects = AssignmentQuerySet.as_manager()
    markdown_fields = ("instructions",)

    class Meta:
        ordering = ["week", "due_at", "pk"]

    def __str__(self):
        return self.title

    def is_overdue(self, now=None):
        return (now or timezone.now()) > self.due_at


class Submission(MarkdownModel):
    assignment = models.ForeignKey(Assignment, on_delete=models.CASCADE, related_name="submissions")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="submissions"
    )
    link = models.URLField(max_length=500, blank=True)
    body = models.TextField(blank=True)
    submitted_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    feedback = models.TextField(
        blank=True,
        max_length=LONG_TEXT,
        validators=[validate_markdown],
        help_text="Markdown; only the participant sees it.",
    )
    feedback_html = MarkdownHTMLField()
    feedback_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    feedback_at = models.DateTimeField(null=True, blank=True)

    objects = MarkdownQuerySet.as_manager()
    markdown_fields = ("feedback",)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["assignment", "user"], name="one_submission_per_person")
        ]

    def __str__(self):
        return f"{self.user} → {self.assignment}"

    @property
    def is_late(self):
        return self.submitted_at > self.assignment.due_at


def follow_moved_session(sender, week, old_start, new_start, **kwargs):
    """An assignment due at the start of the session stays due at its start when it moves."""
    Assignment.objects.filter(week=week, due_at=old_start).update(due_at=new_start)
