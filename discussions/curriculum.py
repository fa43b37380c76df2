"""A week's discussion points and pair prompts, as part of a curriculum (see
curriculum.course).

Course-file keys of a week: `discussion_points` (Markdown, in order) and `pair_prompts`
(`prompt` and `minutes` per turn). Muddiest points, attendance, pairs, feedback and shared
resources are the group's and stay behind — except that a copy may promote the week's
pinned shared resources into the new run's pre-work, as optional readings.
"""

from dataclasses import dataclass

from assignments import curriculum as prework
from assignments.models import PreworkItem
from cohorts.markdown import SHORT_TEXT
from curriculum.course import Line, Part, plain_text

from .models import CohortSessionOptions, DiscussionPoint, PairPrompt, SurveySettings

PROMPT_KEYS = ("prompt", "minutes")
DEFAULT_MINUTES = 5


@dataclass(frozen=True)
class Prompt:
    prompt: str
    minutes: int = DEFAULT_MINUTES


@dataclass(frozen=True)
class Reading:
    """A pinned shared resource on its way into the new run's pre-work."""

    title: str
    url: str
    note: str = ""


@dataclass(frozen=True)
class SessionPrep:
    points: tuple = ()
    prompts: tuple = ()
    # Only a copy fills this (CopyOptions.promote_pinned); a course file has no readings
    # of its own — promoted ones are pre-work in the new run, and export as such.
    readings: tuple = ()


def extract(week, relative, options):
    readings = ()
    if options.promote_pinned:
        readings = tuple(
            Reading(resource.title, resource.url, resource.note)
            for resource in week.shared_resources.filter(pinned=True).order_by("created_at", "pk")
        )
    return SessionPrep(
        points=tuple(point.text for point in week.discussion_points.all()),
        prompts=tuple(Prompt(prompt.prompt, prompt.minutes) for prompt in week.pair_prompts.all()),
        readings=readings,
    )


def dump(data):
    out = {}
    if data.points:
        out["discussion_points"] = [plain_text(text) for text in data.points]
    if data.prompts:
        out["pair_prompts"] = [
            {"prompt": plain_text(prompt.prompt), "minutes": prompt.minutes}
            for prompt in data.prompts
        ]
    return out


def read(fields):
    points = []
    for path, node in fields.items("discussion_points", limit=100):
        text = _text_entry(fields, path, node)
        if text is not None:
            points.append(text)
    prompts = []
    for path, node in fields.items("pair_prompts", limit=50):
        if _is_scalar(node):
            # A plain string is a prompt with the usual five minutes per turn.
            text = _text_entry(fields, path, node)
            if text is not None:
                prompts.append(Prompt(text))
            continue
        entry = fields.entry(path, node, PROMPT_KEYS)
        if entry is None:
            continue
        prompts.append(
            Prompt(
                prompt=entry.text("prompt", required=True, max_length=SHORT_TEXT),
                minutes=entry.integer("minutes", default=DEFAULT_MINUTES, low=1, high=60),
            )
        )
    return SessionPrep(tuple(points), tuple(prompts))


def _is_scalar(node):
    return node.id == "scalar"


def _text_entry(fields, path, node):
    if not _is_scalar(node):
        fields.problems.add(path, node.start_mark.line + 1, "should be text (Markdown)")
        return None
    text = plain_text(node.value)
    if not text.strip():
        fields.problems.add(path, node.start_mark.line + 1, "is empty")
        return None
    if len(text) > SHORT_TEXT:
        fields.problems.add(
            path, node.start_mark.line + 1, f"is longer than {SHORT_TEXT} characters"
        )
    return text


def describe(data, resolve):
    lines = []
    if data.points:
        count = len(data.points)
        lines.append(Line(f"{count} discussion point{'s' if count != 1 else ''}"))
    if data.prompts:
        count = len(data.prompts)
        minutes = " + ".join(str(prompt.minutes) for prompt in data.prompts)
        lines.append(
            Line(f"{count} pair prompt{'s' if count != 1 else ''} ({minutes} min per turn)")
        )
    for reading in data.readings:
        lines.append(Line(f"Optional reading from a pinned resource: “{reading.title}”"))
    return lines


def create(week, data, resolve):
    DiscussionPoint.objects.bulk_create(
        DiscussionPoint(week=week, text=text, order=order)
        for order, text in enumerate(data.points, start=1)
    )
    PairPrompt.objects.bulk_create(
        PairPrompt(week=week, prompt=prompt.prompt, minutes=prompt.minutes, order=order)
        for order, prompt in enumerate(data.prompts, start=1)
    )
    # Optional readings after the week's own pre-work, whichever part is created first.
    prework.append_prework(
        week,
        [
            prework.Item(
                kind=PreworkItem.Kind.READING,
                title=reading.title,
                url=reading.url,
                required=False,
                notes=reading.note,
            )
            for reading in data.readings
        ],
    )


part = Part(
    name="discussions",
    keys=("discussion_points", "pair_prompts"),
    extract=extract,
    dump=dump,
    read=read,
    describe=describe,
    create=create,
)


# --- Where a run came from: its survey results show the previous run's beside its own ------


def record_previous_run(sender, cohort, source_cohort_id, **kwargs):
    """A copy, or a cohort made from a file exported from a run, records that run, and
    keeps that run's survey switches and self check-in (the next group runs the same way)."""
    survey = SurveySettings.objects.filter(cohort_id=source_cohort_id).first()
    switches = {"prompts": survey.prompts, "nudge": survey.nudge} if survey else {}
    SurveySettings.objects.update_or_create(
        cohort=cohort, defaults={"previous_run_id": source_cohort_id, **switches}
    )
    options = CohortSessionOptions.objects.filter(cohort_id=source_cohort_id).first()
    if options is not None:
        CohortSessionOptions.objects.update_or_create(
            cohort=cohort, defaults={"self_check_in": options.self_check_in}
        )
