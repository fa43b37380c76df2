from django import forms
from django.core.exceptions import ValidationError

from cohorts.forms import TimeInput
from cohorts.models import Cohort

from .channels.slack import webhook_url_allowed


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


class ReminderPreferencesForm(forms.Form):
    reminders = forms.BooleanField(
        required=False,
        label="Email me a homework reminder before each session when I have work left",
    )
