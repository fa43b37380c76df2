from django import forms
from django.core.exceptions import ValidationError

from .models import TIME_ZONE_CHOICES, Cohort, JoinLink, Membership, Role, User, Week

# Every date the app accepts lies in these years: far enough for any real course, and far
# from the edges of Python's datetime, where time-zone arithmetic overflows.
FIRST_YEAR, LAST_YEAR = 2000, 2100


def check_year(value):
    """Refuse a date or datetime outside FIRST_YEAR–LAST_YEAR (ValidationError)."""
    if value is not None and not FIRST_YEAR <= value.year <= LAST_YEAR:
        raise ValidationError(f"Choose a date between {FIRST_YEAR} and {LAST_YEAR}.")
    return value


def cohort_datetime(value, cohort):
    """A naive datetime from a datetime-local field means the cohort's clock (not the
    server's); its year must be within FIRST_YEAR–LAST_YEAR."""
    check_year(value)
    return cohort.from_local(value)


def single_line(value):
    """Titles are one line: a line break would break e-mail subjects and calendar feeds."""
    value = " ".join(value.splitlines()).strip()
    if any(ord(char) < 32 or ord(char) == 127 for char in value):
        raise ValidationError("Use letters, digits and punctuation only (no control characters).")
    return value


class SignupDetailsForm(forms.Form):
    """Extra field on allauth's sign-up form: the name others see."""

    name = forms.CharField(max_length=150, label="Your name", help_text="Shown to your cohort.")
    field_order = ["name", "email", "password1", "password2"]

    def signup(self, request, user):
        user.name = self.cleaned_data["name"].strip()
        user.save(update_fields=["name"])
        # An invitation link opened in this browser proves its address (the invitation view
        # stashed it). allauth would add that address to whatever account is being created;
        # it only counts when the person signs up with that very address.
        stashed = request.session.get("account_verified_email")
        if stashed and stashed.lower() != user.email.lower():
            request.session["account_verified_email"] = None


class NameForm(forms.ModelForm):
    """The name others in one's cohorts see; one line."""

    class Meta:
        model = User
        fields = ["name"]
        labels = {"name": "Your name"}
        help_texts = {"name": "Shown to your cohorts: on member lists, pair sheets and in Slack."}

    def clean_name(self):
        name = " ".join(self.cleaned_data["name"].split())
        if not name:
            raise ValidationError("Type the name others should see.")
        return name


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
        labels = {
            "session_minutes": "Session length (minutes)",
            "start_date": "First session on or after",
        }
        help_texts = {
            "start_date": "The first session is on the session weekday on or after this date."
        }

    def clean_title(self):
        return single_line(self.cleaned_data["title"])

    def clean_location(self):
        return single_line(self.cleaned_data["location"])

    def clean_start_date(self):
        return check_year(self.cleaned_data["start_date"])

    def clean_session_minutes(self):
        minutes = self.cleaned_data["session_minutes"]
        if not 15 <= minutes <= 480:
            raise ValidationError("A session lasts between 15 minutes and 8 hours.")
        return minutes


class CohortCreateForm(CohortFields):
    weeks = forms.IntegerField(min_value=1, max_value=52, initial=12, label="Number of weeks")
    organizer_email = forms.EmailField(
        required=False,
        max_length=254,
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
        fields = [*CohortFields.Meta.fields, "status", "show_upcoming_titles"]


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

    def clean_title(self):
        return single_line(self.cleaned_data["title"])

    def clean_session_start(self):
        # The browser sends a naive local time; it means the cohort's clock, not the server's.
        return cohort_datetime(self.cleaned_data["session_start"], self.cohort)


class InvitationPasteForm(forms.Form):
    emails = forms.CharField(
        max_length=100_000,
        widget=forms.Textarea(attrs={"rows": 6}),
        label="Email addresses",
        help_text="One address per line, at most 200. Add “, facilitator” or “, organizer” "
        "after an address to give someone that role, for example “grace@example.com, "
        "facilitator”.",
    )
    role = forms.ChoiceField(choices=Role.choices, initial=Role.PARTICIPANT, label="Default role")


class MembershipForm(forms.ModelForm):
    class Meta:
        model = Membership
        fields = ["role", "experience"]


# Input over a limit: too long for its field, Markdown nested too deep.
LIMIT_ERRORS = {"max_length", "markdown_nesting"}


def form_status(*forms):
    """400 when a form refused input over a limit (the page says which); 200 otherwise,
    with any other errors shown on the form as before."""
    for form in forms:
        if form.is_bound and form.errors:
            for errors in form.errors.as_data().values():
                if any(error.code in LIMIT_ERRORS for error in errors):
                    return 400
    return 200


class JoinDetailsForm(forms.Form):
    """Asked when joining by link or invitation: the name others see and the level that
    pairing mixes."""

    name = forms.CharField(
        max_length=150,
        label="Your name",
        help_text="Shown to your cohort: on member lists, pair sheets and in Slack.",
    )
    experience = forms.ChoiceField(
        choices=Membership.Experience.choices,
        widget=forms.RadioSelect,
        label="How much do you know about the topic already?",
        help_text=(
            "In each session people explain things to each other in pairs, and pairs mix "
            "levels: someone new to the topic asks the questions that make someone experienced "
            "explain well. There is no wrong answer, and the organizers can change it later."
        ),
    )

    def clean_name(self):
        name = " ".join(self.cleaned_data["name"].split())
        if not name:
            raise ValidationError("Type the name others should see.")
        return name


# Domain names as people type them: labels of letters, digits and hyphens, dot-separated.
DOMAIN_LABEL_CHARS = set("abcdefghijklmnopqrstuvwxyz0123456789-")
MAX_JOIN_DOMAINS = 20


def parse_domains(text):
    """`example.com, example.org` (commas, spaces or new lines) → a clean list, or an error."""
    domains = []
    for raw in text.replace("\n", ",").replace(" ", ",").split(","):
        domain = raw.strip().lower().lstrip("@")
        if not domain:
            continue
        labels = domain.split(".")
        if len(labels) < 2 or any(
            not label
            or len(label) > 63
            or label.startswith("-")
            or label.endswith("-")
            or not set(label) <= DOMAIN_LABEL_CHARS
            for label in labels
        ):
            raise ValidationError(f"“{raw.strip()}” is not a domain such as example.com.")
        if domain not in domains:
            domains.append(domain)
    if len(domains) > MAX_JOIN_DOMAINS:
        raise ValidationError(f"List at most {MAX_JOIN_DOMAINS} domains.")
    return domains


class JoinLinkForm(forms.ModelForm):
    class Meta:
        model = JoinLink
        fields = ["enabled", "email_domains", "capacity", "closes_on", "allow_rejoin"]
        widgets = {"closes_on": DateInput}
        labels = {
            "enabled": "The link works",
            "email_domains": "Only these email domains",
            "capacity": "At most this many participants",
            "closes_on": "Open until",
            "allow_rejoin": "Let people who were removed rejoin by this link",
        }

    def clean_email_domains(self):
        domains = parse_domains(self.cleaned_data["email_domains"])
        joined = ", ".join(domains)
        if len(joined) > JoinLink._meta.get_field("email_domains").max_length:
            raise ValidationError("That list of domains is too long.")
        return joined

    def clean_capacity(self):
        capacity = self.cleaned_data["capacity"]
        if capacity is not None and not 1 <= capacity <= 10000:
            raise ValidationError("Choose between 1 and 10,000 participants, or leave it empty.")
        return capacity

    def clean_closes_on(self):
        closes_on = self.cleaned_data["closes_on"]
        if closes_on is not None and not 2000 <= closes_on.year <= 2100:
            raise ValidationError("Choose a date between the years 2000 and 2100.")
        return closes_on
