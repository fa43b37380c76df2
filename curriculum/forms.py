import secrets

from django import forms
from django.core.exceptions import ValidationError

from cohorts.forms import CohortFields
from cohorts.models import ScheduleKind

from .course import fingerprint
from .course_file import MAX_FILE_BYTES, read_upload


class NewRunForm(CohortFields):
    """The title and schedule of a new run of a course: a copy, or a cohort from a file."""

    class Meta(CohortFields.Meta):
        fields = ["title", "time_zone", "start_date", "session_weekday", "session_time", "location"]
        labels = {"start_date": "First session on or after", "location": "Location or call link"}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        kind = self.instance.schedule_kind
        # A daily schedule has no weekday; a list of dates brings its own times of day.
        if kind != ScheduleKind.WEEKLY:
            del self.fields["session_weekday"]
            self.fields["start_date"].help_text = (
                "Sessions fall on weekdays only, from this day on."
                if self.instance.weekdays_only
                else "Sessions keep their spacing from this day on."
            )
        if kind == ScheduleKind.DATES:
            del self.fields["session_time"]
            self.fields["start_date"].label = "First session on"

    def preview_key(self):
        """Changes whenever what the preview showed would change, so that "create" after an
        edit shows the new preview instead of creating something nobody has seen. Each
        preview adds a random part, so that each key creates one cohort at most."""
        return self._fingerprint() + secrets.token_hex(8)

    def previewed(self, key):
        """Whether `key` came from a preview of exactly this form's values."""
        fingerprint = self._fingerprint()
        return len(key) == len(fingerprint) + 16 and key.startswith(fingerprint)

    def _fingerprint(self):
        return fingerprint(*(self.cleaned_data.get(name) for name in sorted(self.fields)))


class CohortCopyForm(NewRunForm):
    promote_pinned = forms.BooleanField(
        required=False,
        label="Promote pinned shared resources into the new course's pre-work",
        help_text="Each becomes an optional reading in its session. Nothing else the group "
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
