from datetime import datetime

from django import forms
from django.core.exceptions import ValidationError

from .curriculum import MAX_FILE_BYTES, fingerprint, read_upload
from .models import TIME_ZONE_CHOICES, Cohort, Membership, Role, Week
from .slack import webhook_url_allowed


class SignupDetailsForm(forms.Form):
    """Extra field on allauth's sign-up form: the name others see."""

    name = forms.CharField(max_length=150, label="Your name", help_text="Shown to your cohort.")
    field_order = ["name", "email", "password1", "password2"]

    def signup(self, request, user):
        user.name = self.cleaned_data["name"].strip()
        user.save(update_fields=["name"])


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
        labels = {"session_minutes": "Session length (minutes)"}

    def clean_session_minutes(self):
        minutes = self.cleaned_data["session_minutes"]
        if not 15 <= minutes <= 480:
            raise ValidationError("A session lasts between 15 minutes and 8 hours.")
        return minutes


class CohortCreateForm(CohortFields):
    weeks = forms.IntegerField(min_value=1, max_value=52, initial=12, label="Number of weeks")
    organizer_email = forms.EmailField(
        required=False,
        help_text="Leave empty to organize it yourself; otherwise we invite this person as organizer.",
    )

    def save(self, commit=True):
        cohort = super().save(commit=False)
        cohort.slug = Cohort.unique_slug(cohort.title)
        if commit:
            cohort.save()
            cohort.create_weeks(self.cleaned_data["weeks"])
        return cohort


class CohortSettingsForm(CohortFields):
    class Meta(CohortFields.Meta):
        fields = [*CohortFields.Meta.fields, "status"]


class WeekForm(forms.ModelForm):
    session_start = forms.DateTimeField(
        widget=DateTimeLocalInput, label="Session starts", input_formats=["%Y-%m-%dT%H:%M"]
    )

    class Meta:
        model = Week
        fields = ["title", "summary", "session_start"]
        widgets = {"summary": forms.Textarea(attrs={"rows": 4})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.cohort = self.instance.cohort
        if self.instance.session_start and not self.is_bound:
            local = self.cohort.local(self.instance.session_start)
            self.initial["session_start"] = local.replace(tzinfo=None)
        self.fields[
            "session_start"
        ].help_text = f"In the cohort's time zone, {self.cohort.time_zone}."

    def clean_session_start(self):
        # The browser sends a naive local time; it means the cohort's clock, not the server's.
        value = self.cleaned_data["session_start"]
        naive = value.replace(tzinfo=None)
        return datetime.combine(naive.date(), naive.time(), tzinfo=self.cohort.tz)


class InvitationPasteForm(forms.Form):
    emails = forms.CharField(
        widget=forms.Textarea(
            attrs={"rows": 6, "placeholder": "ada@example.com\ngrace@example.com, facilitator"}
        ),
        label="Email addresses",
        help_text="One per line. Add “, facilitator” or “, organizer” to give someone that role.",
    )
    role = forms.ChoiceField(choices=Role.choices, initial=Role.PARTICIPANT, label="Default role")


class MembershipForm(forms.ModelForm):
    class Meta:
        model = Membership
        fields = ["role", "experience"]


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
        fields = ["reminder_lead_hours", "digest_weekday", "digest_time"]
        widgets = {"digest_time": TimeInput}
        labels = {
            "reminder_lead_hours": "Send homework reminders this many hours before the session",
            "digest_weekday": "Post the Slack digest on",
            "digest_time": "at",
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        cohort = self.instance
        self.fields["digest_time"].help_text = f"In the cohort's time zone, {cohort.time_zone}."
        self.fields["reminder_lead_hours"].help_text = "Between 1 and 336 hours (two weeks)."
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

    def clean_reminder_lead_hours(self):
        hours = self.cleaned_data["reminder_lead_hours"]
        if not 1 <= hours <= 336:
            raise ValidationError("Choose between 1 and 336 hours (two weeks).")
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


class NewRunForm(CohortFields):
    """The title and schedule of a new run of a course: a copy, or a cohort from a file."""

    class Meta(CohortFields.Meta):
        fields = ["title", "time_zone", "start_date", "session_weekday", "session_time", "location"]
        labels = {"start_date": "First session on or after", "location": "Location or call link"}

    def preview_key(self):
        """Changes whenever what the preview showed would change, so that "create" after an
        edit shows the new preview instead of creating something nobody has seen."""
        return fingerprint(*(self.cleaned_data.get(name) for name in sorted(self.fields)))


class CohortCopyForm(NewRunForm):
    promote_pinned = forms.BooleanField(
        required=False,
        label="Promote pinned shared resources into the new course's pre-work",
        help_text="Each becomes an optional reading in its week. Nothing else the group "
        "shared is copied.",
    )


class CourseUploadForm(forms.Form):
    file = forms.FileField(
        required=False,
        label="Course file",
        help_text="A .yaml file exported from Homeroom (Download course file on a cohort's page).",
        widget=forms.ClearableFileInput(attrs={"accept": ".yaml,.yml,text/yaml,application/yaml"}),
    )
    text = forms.CharField(
        required=False,
        strip=False,
        label="Or paste it here",
        widget=forms.Textarea(attrs={"rows": 8, "spellcheck": "false"}),
    )

    def clean(self):
        cleaned = super().clean()
        upload, text = cleaned.get("file"), cleaned.get("text") or ""
        if upload:
            try:
                cleaned["course"] = read_upload(upload.read(MAX_FILE_BYTES + 1))
            except ValueError as exc:
                raise ValidationError(str(exc)) from exc
        elif text.strip():
            try:
                cleaned["course"] = read_upload(text.encode("utf-8"))
            except ValueError as exc:
                raise ValidationError(str(exc)) from exc
        else:
            raise ValidationError("Choose a course file, or paste one.")
        return cleaned


class CourseRunForm(NewRunForm):
    """The new run's schedule, carrying the course file's text from the upload step."""

    course = forms.CharField(widget=forms.HiddenInput, strip=False)
