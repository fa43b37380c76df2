from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone

from cohorts import dates
from cohorts.forms import (
    CohortClockDateTimeField,
    DateTimeLocalInput,
    TimeInput,
    cohort_datetime,
    single_line,
)
from cohorts.models import Cohort

from . import preferences
from .announcements import cohort_end
from .channels.slack import webhook_url_allowed
from .models import Announcement


class NotificationSettingsForm(forms.ModelForm):
    """Reminder lead time, digest day and time, and the Slack webhook (write-only: the saved
    URL is a secret, so the field starts empty and only its last characters are shown)."""

    slack_webhook = forms.CharField(
        required=False,
        max_length=500,
        label="Slack webhook URL",
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    remove_webhook = forms.BooleanField(required=False, label="Remove the Slack webhook")

    class Meta:
        model = Cohort
        fields = [
            "reminder_lead",
            "reminder_lead_hours",
            "reminder_evening_time",
            "digest_cadence",
            "digest_weekday",
            "digest_time",
        ]
        widgets = {
            "digest_time": TimeInput,
            "reminder_evening_time": TimeInput,
            "reminder_lead": forms.RadioSelect,
            "digest_cadence": forms.RadioSelect,
        }
        labels = {
            "reminder_lead": "Send homework reminders",
            "reminder_lead_hours": "Hours before the session",
            "reminder_evening_time": "The evening before, at",
            "digest_cadence": "Post the Slack digest",
            "digest_weekday": "Day",
            "digest_time": "at",
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        cohort = self.instance
        self.fields["digest_time"].help_text = (
            f"In the cohort's time zone, {cohort.time_zone}. Before each session: at this "
            "time on the session's day, or the day before when the session starts earlier."
        )
        self.fields["reminder_evening_time"].help_text = (
            f"In the cohort's time zone, {cohort.time_zone}. Either way a reminder never goes "
            "out before the previous session has ended."
        )
        self.fields["reminder_lead_hours"].help_text = "Between 1 and 336 hours (14 days)."
        # Left out of a submission (an older form): keep what the cohort has.
        for name in ("reminder_lead", "reminder_evening_time", "digest_cadence"):
            self.fields[name].required = False
        if cohort.slack_webhook_url:
            self.fields["slack_webhook"].help_text = (
                f"Saved: the URL ending in {cohort.slack_webhook_hint}. "
                "Leave this empty to keep it, or paste a new one to replace it."
            )
        else:
            self.fields["slack_webhook"].help_text = (
                "In Slack, add an incoming webhook to the cohort's channel and paste its URL "
                "(https://hooks.slack.com/services/…)."
            )
            del self.fields["remove_webhook"]

    def clean(self):
        cleaned = super().clean()
        for name in ("reminder_lead", "reminder_evening_time", "digest_cadence"):
            if cleaned.get(name) in (None, ""):
                cleaned[name] = getattr(self.instance, name)
        return cleaned

    def clean_reminder_lead_hours(self):
        hours = self.cleaned_data["reminder_lead_hours"]
        if not 1 <= hours <= 336:
            raise ValidationError("Choose between 1 and 336 hours (14 days).")
        return hours

    def clean_slack_webhook(self):
        url = self.cleaned_data["slack_webhook"].strip()
        if url and not webhook_url_allowed(url):
            raise ValidationError(
                "That is not a Slack incoming webhook URL; it starts with "
                "https://hooks.slack.com/services/."
            )
        return url

    def save(self, commit=True):
        cohort = super().save(commit=False)
        url = self.cleaned_data.get("slack_webhook")
        if url or self.cleaned_data.get("remove_webhook"):
            # A new (or no) webhook starts with a clean slate.
            cohort.slack_webhook_url = url or ""
            cohort.slack_webhook_disabled_at = None
            cohort.slack_webhook_error = ""
        if commit:
            cohort.save()
        return cohort


class MailPreferencesForm(forms.Form):
    """One switch per kind of email (see notifications.preferences)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for kind in preferences.KINDS.values():
            self.fields[kind.field] = forms.BooleanField(
                required=False, label=kind.label, help_text=kind.description
            )


class AnnouncementForm(forms.ModelForm):
    """Subject, Markdown body, audience, when, and Slack; validated on the cohort's clock."""

    when = forms.ChoiceField(
        choices=[("now", "Send now, after the preview"), ("at", "Send at a time")],
        initial="now",
        widget=forms.RadioSelect,
        label="When",
    )
    send_at = CohortClockDateTimeField(
        required=False,
        label="Send at",
        widget=DateTimeLocalInput,
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
    )
    form_key = forms.CharField(widget=forms.HiddenInput, max_length=40)

    class Meta:
        model = Announcement
        fields = ["subject", "body", "audience", "post_to_slack"]
        widgets = {"body": forms.Textarea(attrs={"rows": 12})}
        labels = {
            "body": "Message",
            "audience": "To",
            "post_to_slack": "Also post it to the cohort's Slack channel",
        }
        help_texts = {"body": "Markdown: **bold**, *italic*, [links](https://…), lists."}

    def __init__(self, *args, cohort, now=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.cohort = cohort
        self.now = now or timezone.now()
        self.fields["audience"].widget = forms.RadioSelect(choices=Announcement.Audience.choices)
        self.fields["send_at"].help_text = f"On the cohort's clock, {cohort.time_zone}."
        if self.instance.send_at and self.instance.status == Announcement.Status.DRAFT:
            self.initial.setdefault("when", "at")
            self.initial.setdefault("send_at", cohort.local(self.instance.send_at))
        if not cohort.slack_enabled:
            del self.fields["post_to_slack"]

    def clean_subject(self):
        subject = single_line(self.cleaned_data["subject"])
        if not subject:
            raise ValidationError("Write a subject.")
        return subject

    def clean_body(self):
        body = self.cleaned_data["body"]
        if not body.strip():
            raise ValidationError("Write the message.")
        return body

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("when") != "at":
            cleaned["send_at"] = None
            return cleaned
        value = cleaned.get("send_at")
        if value is None:
            if "send_at" not in self.errors:
                self.add_error("send_at", "Choose when to send it, or choose “Send now”.")
            return cleaned
        try:
            moment = cohort_datetime(value, self.cohort)
        except ValidationError as error:
            self.add_error("send_at", error)
            return cleaned
        problem = send_time_problem(self.cohort, moment, self.now)
        if problem:
            self.add_error("send_at", problem)
        cleaned["send_at"] = moment
        return cleaned

    def save(self, commit=True):
        announcement = super().save(commit=False)
        announcement.send_at = self.cleaned_data.get("send_at")
        if commit:
            announcement.save()
        return announcement


def send_time_problem(cohort, moment, now):
    """Why an announcement cannot go out at `moment`, or None."""
    if moment <= now:
        return "That time has passed; choose a later one, or “Send now”."
    end = cohort_end(cohort)
    if end is not None and moment > end:
        return f"The cohort ends {dates.when(end, cohort)}; choose a time before then."
    return None
