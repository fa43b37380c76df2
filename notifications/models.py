from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone

from cohorts.markdown import MarkdownHTMLField, MarkdownModel, MarkdownQuerySet


class Delivery(models.Model):
    """One outbound message: claimed first (unique dedupe key), then sent once."""

    class Channel(models.TextChoices):
        EMAIL = "email", "Email"
        SLACK = "slack", "Slack"

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        # Claimed by a sender that is talking to the mail server or Slack right now.
        SENDING = "sending", "Sending"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed"
        MISSED = "missed", "Missed"
        SKIPPED = "skipped", "Skipped"
        # The sender stopped mid-send (worker killed, timeout after the message was handed
        # over): it may or may not have arrived. Never sent again automatically.
        UNKNOWN = "unknown", "Unknown"

    kind = models.CharField(max_length=40)
    channel = models.CharField(max_length=8, choices=Channel.choices, default=Channel.EMAIL)
    cohort = models.ForeignKey(
        "cohorts.Cohort", on_delete=models.CASCADE, null=True, blank=True, related_name="deliveries"
    )
    week = models.ForeignKey(
        "cohorts.Week", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    recipient = models.CharField(max_length=320, help_text="Email address, or the Slack channel.")
    dedupe_key = models.CharField(max_length=200, unique=True)
    subject = models.CharField(max_length=300, blank=True)
    body_text = models.TextField(blank=True)
    body_html = models.TextField(blank=True)
    headers = models.JSONField(default=dict, blank=True)
    payload = models.JSONField(default=dict, blank=True)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.PENDING)
    # Counted when a send is claimed, before the message leaves (a crash still counts).
    attempts = models.PositiveSmallIntegerField(default=0)
    # Of those attempts, how many Slack answered 429 to: they do not use up the retry cap.
    rate_limited = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    # Too late to be useful from then on (a reminder once the session began): marked missed.
    expires_at = models.DateTimeField(null=True, blank=True)
    # A retry is scheduled for then (backoff, or Slack's Retry-After); nothing sends earlier.
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    # When the current send was claimed (status `sending`); stale ones become `unknown`.
    sending_since = models.DateTimeField(null=True, blank=True)
    # The dispatch run that inserted this row, so a run reports what it claimed itself.
    claim_token = models.CharField(max_length=32, blank=True, editable=False)

    # Not a column: the email as it leaves, when it carries a secret (an invitation link, a
    # personal survey link). A preparer sets it just before sending; the row keeps a copy
    # without the secret (notifications.outbox.Content).
    transient_content: Any = None

    class Meta:
        ordering = ["-created_at"]
        # The table kept its name when the model moved here from `cohorts`.
        db_table = "cohorts_delivery"
        verbose_name_plural = "deliveries"
        indexes = [
            models.Index(fields=["cohort", "-created_at"], name="cohorts_del_cohort__e69618_idx"),
            models.Index(fields=["status", "created_at"], name="cohorts_del_status_775df4_idx"),
        ]

    def __str__(self):
        return f"{self.kind} → {self.recipient} ({self.status})"

    @property
    def is_account_email(self):
        """Sign-in codes, password resets, verification: their bodies are never stored."""
        return self.kind.startswith("account:")


class MailOptOut(models.Model):
    """A member switched one kind of email off for one cohort (see notifications.preferences).

    Homework reminders keep their switch on the membership (`reminders_opt_out`); every
    other kind has a row here while it is off."""

    membership = models.ForeignKey(
        "cohorts.Membership", on_delete=models.CASCADE, related_name="mail_opt_outs"
    )
    kind = models.CharField(max_length=20)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["membership", "kind"], name="one_opt_out_per_kind")
        ]

    def __str__(self):
        return f"{self.membership_id} switched {self.kind} off"


ANNOUNCEMENT_BODY_LIMIT = 50_000


class AnnouncementQuerySet(MarkdownQuerySet):
    def published(self, now=None):
        """Scheduled ones whose time has come: what members read on the cohort page."""
        return self.filter(status=Announcement.Status.SCHEDULED, send_at__lte=now or timezone.now())

    def visible_to(self, access):
        """Participants read what went to everyone or to participants; facilitators and
        organizers read every one."""
        if access.can_facilitate:
            return self
        return self.exclude(audience=Announcement.Audience.STAFF)


class Announcement(MarkdownModel):
    """A message from the organizers to the cohort (the mailing list): one email per
    recipient at `send_at`, optionally posted to Slack, and listed on the cohort page."""

    class Audience(models.TextChoices):
        EVERYONE = "everyone", "Everyone in the cohort"
        PARTICIPANTS = "participants", "Participants"
        STAFF = "staff", "Facilitators and organizers"
        WORK_LEFT = "work_left", "Participants with work left for the current session"

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        SCHEDULED = "scheduled", "Scheduled"

    cohort = models.ForeignKey(
        "cohorts.Cohort", on_delete=models.CASCADE, related_name="announcements"
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    subject = models.CharField(max_length=200)
    body = models.TextField(max_length=ANNOUNCEMENT_BODY_LIMIT, help_text="Markdown.")
    body_html = MarkdownHTMLField()
    audience = models.CharField(max_length=20, choices=Audience.choices, default="everyone")
    post_to_slack = models.BooleanField(default=False)
    # None: "send now" (the time is set when it is sent).
    send_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    # The form's one-time key: a double click on "Preview" saves one draft, not two.
    form_key = models.CharField(max_length=40, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = AnnouncementQuerySet.as_manager()
    markdown_fields = ("body",)

    class Meta:
        ordering = ["-send_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["cohort", "form_key"], name="one_announcement_per_form")
        ]
        indexes = [models.Index(fields=["cohort", "status", "send_at"])]

    def __str__(self):
        return self.subject

    def is_sent(self, now=None):
        return (
            self.status == self.Status.SCHEDULED
            and self.send_at is not None
            and self.send_at <= (now or timezone.now())
        )
