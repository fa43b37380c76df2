from django.db import models


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

    @property
    def holds_a_secret(self):
        """Its email as sent holds a secret (a sign-in code, an invitation link): what was
        sent is never saved over the row's content."""
        return self.is_account_email or self.kind == "invitation"
