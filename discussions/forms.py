from django import forms

from cohorts.models import Role, User, Week

from .models import (
    DiscussionPoint,
    Feedback,
    MuddiestPoint,
    PairPrompt,
    Room,
    SharedResource,
    SurveySettings,
)


class MuddiestPointForm(forms.ModelForm):
    prefix = "muddiest"

    class Meta:
        model = MuddiestPoint
        fields = ["text"]
        labels = {"text": "What did you find hard?"}
        widgets = {"text": forms.Textarea(attrs={"rows": 2, "maxlength": 500})}
        help_texts = {"text": "Other participants see it without your name and can +1 it."}

    def clean_text(self):
        return self.cleaned_data["text"].strip()


class DiscussionPointForm(forms.ModelForm):
    prefix = "point"

    class Meta:
        model = DiscussionPoint
        fields = ["text"]
        labels = {"text": "Discussion point"}
        widgets = {"text": forms.Textarea(attrs={"rows": 3})}
        help_texts = {"text": "Markdown. A concept that is hard on first viewing."}


class PairPromptForm(forms.ModelForm):
    prefix = "prompt"

    class Meta:
        model = PairPrompt
        fields = ["prompt", "minutes"]
        labels = {"prompt": "Pair prompt"}
        widgets = {
            "prompt": forms.Textarea(attrs={"rows": 2}),
            "minutes": forms.NumberInput(attrs={"min": 1, "max": 60}),
        }
        help_texts = {
            "prompt": "Markdown. “Explain why y = w₁x₁ + w₂x₂ + w₃x₃² is still a linear model.”",
            "minutes": "How long one person explains before the pair swaps.",
        }


class SharedResourceForm(forms.ModelForm):
    prefix = "resource"
    url = forms.URLField(label="Link", max_length=500, assume_scheme="https")

    class Meta:
        model = SharedResource
        fields = ["title", "url", "note"]
        labels = {"note": "Why it helped"}
        widgets = {"note": forms.TextInput()}


class FacilitatorNotesForm(forms.ModelForm):
    prefix = "notes"

    class Meta:
        model = Week
        fields = ["facilitator_notes"]
        widgets = {"facilitator_notes": forms.Textarea(attrs={"rows": 6})}
        help_texts = {
            "facilitator_notes": "Markdown. Only facilitators and organizers see these — "
            "they are how the next facilitator runs this session."
        }


RATING_CHOICES = [(n, str(n)) for n in range(1, 6)]


class FeedbackForm(forms.ModelForm):
    prefix = "feedback"

    logistics = forms.TypedChoiceField(
        choices=RATING_CHOICES, coerce=int, widget=forms.RadioSelect, label="Logistics"
    )
    content_quality = forms.TypedChoiceField(
        choices=RATING_CHOICES, coerce=int, widget=forms.RadioSelect, label="Content quality"
    )
    content_relevance = forms.TypedChoiceField(
        choices=RATING_CHOICES, coerce=int, widget=forms.RadioSelect, label="Content relevance"
    )
    overall = forms.TypedChoiceField(
        choices=RATING_CHOICES, coerce=int, widget=forms.RadioSelect, label="Overall"
    )

    class Meta:
        model = Feedback
        fields = ["logistics", "content_quality", "content_relevance", "overall", "comment"]
        widgets = {"comment": forms.Textarea(attrs={"rows": 3})}
        labels = {"comment": "Anything to keep or change?"}

    def rating_fields(self):
        return [self[name] for name in Feedback.RATINGS]


class SwapForm(forms.Form):
    """Two people in this week's pairing to exchange."""

    prefix = "swap"

    first = forms.TypedChoiceField(coerce=int, label="Swap")
    second = forms.TypedChoiceField(coerce=int, label="with")

    def __init__(self, *args, people=(), **kwargs):
        super().__init__(*args, **kwargs)
        choices = [("", "Choose someone")] + [(user.pk, user.display_name) for user in people]
        self.fields["first"].choices = choices
        self.fields["second"].choices = choices

    def clean(self):
        data = super().clean()
        if data.get("first") and data.get("first") == data.get("second"):
            raise forms.ValidationError("Choose two different people.")
        return data


class RoomForm(forms.ModelForm):
    """A room: its name, who facilitates it and how many it holds."""

    class Meta:
        model = Room
        fields = ["name", "facilitator", "capacity"]
        help_texts = {"capacity": "Leave empty for no limit."}

    def __init__(self, *args, cohort=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.cohort = cohort
        self.fields["facilitator"].queryset = User.objects.filter(
            memberships__cohort=cohort,
            memberships__left_at=None,
            memberships__role__in=[Role.FACILITATOR, Role.ORGANIZER],
        ).order_by("name")
        self.fields["facilitator"].required = False

    def clean_name(self):
        name = self.cleaned_data["name"].strip()
        rooms = Room.objects.filter(cohort=self.cohort, name__iexact=name)
        if self.instance.pk:
            rooms = rooms.exclude(pk=self.instance.pk)
        if rooms.exists():
            raise forms.ValidationError("This cohort already has a room with that name.")
        return name


class SurveySettingsForm(forms.ModelForm):
    class Meta:
        model = SurveySettings
        fields = ["prompts", "nudge"]
        labels = {
            "prompts": "Email each participant the survey when a session they attended ends",
            "nudge": "Send one reminder to those who have not answered",
        }
