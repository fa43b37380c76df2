import re
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator

from cohorts import dates
from cohorts.forms import (
    CohortClockDateTimeField,
    DateTimeLocalInput,
    cohort_datetime,
    single_line,
)
from curriculum.relative import MAX_DAYS

from .models import Assignment, PreworkItem, Submission

validate_url = URLValidator(schemes=["http", "https"])
MAX_URL = PreworkItem._meta.get_field("url").max_length
MAX_PASTED_LINES = 200


def near_session(moment, week, what):
    """Due and publish times are within a year of their week's session (as course files
    say them, so that a course exported is a course that imports)."""
    if abs((moment - week.session_start).days) > MAX_DAYS - 1:
        raise ValidationError(f"{what} must be within a year of its session.")
    return moment


class PreworkItemForm(forms.ModelForm):
    url = forms.URLField(assume_scheme="https", required=False, max_length=500, label="URL")

    class Meta:
        model = PreworkItem
        fields = ["kind", "title", "url", "minutes", "required", "notes"]
        widgets = {"notes": forms.Textarea(attrs={"rows": 3})}
        labels = {"url": "URL", "minutes": "Minutes", "required": "Required for the session"}

    def clean_minutes(self):
        minutes = self.cleaned_data["minutes"]
        if minutes > 600:
            raise ValidationError("That is more than ten hours; split it into several items.")
        return minutes


@dataclass(frozen=True)
class PastedItem:
    number: int
    title: str
    url: str
    minutes: int


UNTITLED = PreworkItem.UNTITLED


def title_from_url(url):
    """A readable stand-in title for a bare URL, marked so the editor asks for a real one:
    the video id for YouTube and Vimeo, else the last part of the path, else the host."""
    parts = urlsplit(url)
    host = parts.netloc.lower().removeprefix("www.").removeprefix("m.")
    segments = [segment for segment in parts.path.split("/") if segment]
    if host in ("youtube.com", "youtu.be"):
        video = parse_qs(parts.query).get("v", [""])[0] if host == "youtube.com" else ""
        video = video or (segments[-1] if segments and segments[-1] != "watch" else "")
        if video:
            return f"YouTube video {video[:40]} {UNTITLED}"
    if host == "vimeo.com" and segments and segments[-1].isdigit():
        return f"Vimeo video {segments[-1][:20]} {UNTITLED}"
    last = segments[-1] if segments else ""
    words = last.rsplit(".", 1)[0].replace("-", " ").replace("_", " ").strip()
    name = (words[:1].upper() + words[1:]) if words else parts.netloc
    # The whole title fits the field (200 characters), marker included.
    return f"{name[: 200 - len(UNTITLED) - 1]} {UNTITLED}"


def parse_pasted_items(text):
    """`URL` or `title | URL | minutes` per line → (items, [(line number, text, message)])."""
    items, errors = [], []
    if len(text.splitlines()) > MAX_PASTED_LINES:
        return [], [(0, "", f"Paste at most {MAX_PASTED_LINES} lines at a time.")]
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line:
            continue
        parts = [part.strip() for part in line.split("|")]
        if len(parts) == 1:
            title, url, minutes = "", parts[0], "0"
        elif len(parts) == 2:
            (title, url), minutes = parts, "0"
        elif len(parts) == 3:
            title, url, minutes = parts
        else:
            errors.append((number, line, "Use “URL” or “title | URL | minutes”."))
            continue
        if not url:
            errors.append((number, line, f"Line {number} has no URL."))
            continue
        if len(url) > MAX_URL:
            errors.append((number, line[:80], f"The URL is longer than {MAX_URL} characters."))
            continue
        try:
            validate_url(url)
        except ValidationError:
            errors.append((number, line, f"“{url}” is not a web address (http:// or https://)."))
            continue
        minutes = minutes.lower().removesuffix("min").strip() or "0"
        # ASCII digits only: int() refuses "²" and numbers of thousands of digits with errors.
        if not re.fullmatch(r"[0-9]{1,3}", minutes) or int(minutes) > 600:
            errors.append((number, line, f"“{minutes}” is not a number of minutes (0–600)."))
            continue
        if len(title) > 200:
            errors.append((number, line, "The title is longer than 200 characters."))
            continue
        title = single_line(title) if title else title_from_url(url)[:200]
        items.append(PastedItem(number, title, url, int(minutes)))
    return items, errors


class PasteItemsForm(forms.Form):
    kind = forms.ChoiceField(choices=PreworkItem.Kind.choices, initial=PreworkItem.Kind.VIDEO)
    lines = forms.CharField(
        label="One item per line",
        widget=forms.Textarea(
            attrs={
                "rows": 5,
                "placeholder": "https://example.com/lecture-1\nGradient descent | https://example.com/gd | 12",
            }
        ),
        help_text="Each line is a URL, or “title | URL | minutes”.",
    )
    required = forms.BooleanField(initial=True, required=False, label="Required for the session")

    def clean(self):
        cleaned = super().clean()
        if "lines" in cleaned:
            cleaned["items"], self.line_errors = parse_pasted_items(cleaned["lines"])
            if self.line_errors:
                raise ValidationError("Nothing was added: fix the lines listed above.")
            if not cleaned["items"]:
                self.add_error("lines", "Paste at least one line.")
        return cleaned

    line_errors = ()


class PublishForm(forms.Form):
    DRAFT, NOW, SCHEDULE = "draft", "now", "schedule"
    when = forms.ChoiceField(
        choices=[(DRAFT, "Keep as draft"), (NOW, "Publish now"), (SCHEDULE, "Schedule for")],
        widget=forms.RadioSelect,
        label="Visibility",
    )
    publish_at = CohortClockDateTimeField(
        required=False,
        widget=DateTimeLocalInput,
        input_formats=["%Y-%m-%dT%H:%M"],
        label="Publish at",
    )

    publish_anyway = forms.BooleanField(
        required=False, label="Publish anyway: participants will see those items as they are"
    )

    def __init__(self, *args, week, **kwargs):
        super().__init__(*args, **kwargs)
        self.week = week
        self.fields["publish_at"].help_text = (
            f"In the cohort's time zone, {week.cohort.time_zone}. "
            f"The session is {dates.when(week.session_start, week.cohort)}."
        )
        self.incomplete = [item for item in week.prework_items.all() if item.missing]
        if self.incomplete:
            names = "; ".join(
                f"{item.title} (needs {' and '.join(item.missing)})" for item in self.incomplete[:5]
            )
            more = f" and {len(self.incomplete) - 5} more" if len(self.incomplete) > 5 else ""
            self.fields["publish_anyway"].help_text = f"Still unfinished: {names}{more}."
        else:
            del self.fields["publish_anyway"]
        if not self.is_bound:
            if week.publish_at is None:
                self.initial["when"] = self.DRAFT
            elif week.is_published():
                self.initial["when"] = self.NOW
            else:
                self.initial["when"] = self.SCHEDULE
                self.initial["publish_at"] = week.cohort.local(week.publish_at).replace(tzinfo=None)

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("when") == self.SCHEDULE:
            if not cleaned.get("publish_at"):
                self.add_error("publish_at", "Choose the date and time to publish.")
            else:
                try:
                    moment = cohort_datetime(cleaned["publish_at"], self.week.cohort)
                    cleaned["publish_at"] = near_session(moment, self.week, "The publish time")
                except ValidationError as error:
                    self.add_error("publish_at", error)
        publishing = cleaned.get("when") in (self.NOW, self.SCHEDULE)
        if publishing and self.incomplete and not cleaned.get("publish_anyway"):
            count = len(self.incomplete)
            self.add_error(
                "publish_anyway",
                f"{count} item{'s' if count != 1 else ''} still need{'' if count != 1 else 's'} "
                "a title or minutes. Fix them first, or tick “Publish anyway”.",
            )
        return cleaned


class AssignmentForm(forms.ModelForm):
    due_at = CohortClockDateTimeField(
        required=False,
        widget=DateTimeLocalInput,
        input_formats=["%Y-%m-%dT%H:%M"],
        label="Due",
    )

    class Meta:
        model = Assignment
        fields = ["title", "instructions", "due_at", "submission_kind"]
        widgets = {"instructions": forms.Textarea(attrs={"rows": 5})}
        labels = {"submission_kind": "Handed in as"}

    def __init__(self, *args, week, **kwargs):
        super().__init__(*args, **kwargs)
        self.week = week
        cohort = week.cohort
        self.fields["due_at"].help_text = (
            f"In the cohort's time zone, {cohort.time_zone}. Empty means the start of the "
            f"session, {dates.when(week.session_start, cohort)}."
        )
        if self.instance.pk and not self.is_bound:
            self.initial["due_at"] = cohort.local(self.instance.due_at).replace(tzinfo=None)

    def clean_due_at(self):
        value = self.cleaned_data.get("due_at")
        if value is None:
            return self.week.session_start
        return near_session(cohort_datetime(value, self.week.cohort), self.week, "The due time")

    def clean_title(self):
        return single_line(self.cleaned_data["title"])


class SubmissionForm(forms.ModelForm):
    link = forms.URLField(assume_scheme="https", required=False, max_length=500)

    class Meta:
        model = Submission
        fields = ["link", "body"]
        labels = {"link": "Link", "body": "Your answer"}
        widgets = {"body": forms.Textarea(attrs={"rows": 6})}

    def __init__(self, *args, assignment, **kwargs):
        super().__init__(*args, **kwargs)
        kind = assignment.submission_kind
        if kind == Assignment.SubmissionKind.LINK:
            del self.fields["body"]
            self.fields["link"].required = True
            self.fields["link"].help_text = "For example a notebook or a repository."
        elif kind == Assignment.SubmissionKind.TEXT:
            del self.fields["link"]
            self.fields["body"].required = True
        else:
            del self.fields["link"]
            del self.fields["body"]


class FeedbackForm(forms.ModelForm):
    class Meta:
        model = Submission
        fields = ["feedback"]
        widgets = {"feedback": forms.Textarea(attrs={"rows": 6})}
        labels = {"feedback": "Feedback (Markdown; only this participant sees it)"}
