"""Demo pre-work: videos, readings and exercises per week, and some progress already made."""

import random
from datetime import timedelta

from django.utils import timezone

from cohorts import demo
from cohorts.models import Membership

from .models import Assignment, Completion, PreworkItem, Submission

COURSE = "https://developers.google.com/machine-learning/crash-course"

PREWORK = {
    1: [
        ("video", "What is machine learning?", 9),
        ("video", "Key ML terminology", 12),
        ("reading", "Framing: a worked example", 15),
    ],
    2: [
        ("video", "Linear regression", 14),
        ("video", "Training and loss", 11),
        ("exercise", "Fit a line by hand", 20),
    ],
    3: [
        ("video", "Reducing loss: an iterative approach", 10),
        ("video", "Gradient descent", 13),
        ("video", "Learning rate", 9),
        ("reading", "Stochastic gradient descent", 10),
    ],
    4: [("video", "Generalization and overfitting", 12), ("reading", "Peril of overfitting", 10)],
    5: [
        ("video", "Splitting data", 8),
        ("video", "Validation sets", 9),
        ("exercise", "Check your intuition: test sets", 15),
    ],
    6: [
        ("video", "Representation: feature engineering", 14),
        ("reading", "Qualities of good features", 12),
        ("video", "Cleaning data", 8),
    ],
    7: [("video", "Feature crosses", 11), ("exercise", "Feature crosses playground", 25)],
    8: [
        ("video", "L2 regularization", 10),
        ("video", "Lambda", 7),
        ("reading", "Sparsity and L1", 12),
    ],
    9: [("video", "Logistic regression", 12), ("reading", "Calculating a probability", 8)],
    10: [
        ("video", "Thresholds and the confusion matrix", 11),
        ("video", "Precision and recall", 10),
        ("video", "ROC curve and AUC", 12),
    ],
    11: [
        ("video", "Neural networks: structure", 13),
        ("video", "Training neural nets", 12),
        ("exercise", "Neural net playground", 25),
    ],
    12: [
        ("video", "Embeddings: motivation", 10),
        ("video", "Obtaining embeddings", 12),
        ("reading", "Embeddings in practice", 15),
    ],
}


WORKSHOP = "https://data-workshop.example.com"

# The data-science workshop: pre-work for each day, done the evening before.
WORKSHOP_PREWORK = {
    1: [
        ("video", "Tidy data in ten minutes", 10),
        ("exercise", "Load and clean the bike-share data", 30),
        ("reading", "Missing values: drop, fill or flag?", 8),
    ],
    2: [
        ("video", "Features from dates and categories", 12),
        ("reading", "Target leakage, with examples", 10),
        ("exercise", "Build five features for the bike-share data", 30),
    ],
    3: [
        ("video", "Baselines first", 8),
        ("video", "Cross-validation done right", 14),
        ("exercise", "Compare a linear model with a random forest", 35),
    ],
    4: [
        ("video", "Choosing a metric that matches the question", 11),
        ("reading", "One chart, one message", 10),
        ("exercise", "Draft your three-slide story", 30),
    ],
}


def slugify_title(title):
    return "".join(ch if ch.isalnum() else "-" for ch in title.lower()).strip("-")


def seed(cohort):
    rng = random.Random(cohort.pk)  # the same demo every time
    now = timezone.now()
    workshop = cohort.slug == demo.WORKSHOP_SLUG
    content, site = (WORKSHOP_PREWORK, WORKSHOP) if workshop else (PREWORK, COURSE)
    # Pre-work is done in the days before a weekly session, the evening before a daily one.
    done_before = (
        (lambda: timedelta(hours=rng.randint(2, 20)))
        if workshop
        else (lambda: timedelta(days=rng.randint(1, 5)))
    )
    participants = [
        m.user for m in Membership.objects.filter(cohort=cohort).participants().by_name()
    ]
    # Most people keep up; a few slip now and then; two fall behind for good.
    keen = {person.pk: rng.random() for person in participants}
    for week in cohort.weeks.all():
        items = PreworkItem.objects.bulk_create(
            PreworkItem(
                week=week,
                kind=kind,
                title=title,
                url=f"{site}/{slugify_title(title)}",
                minutes=minutes,
                required=not (kind == "reading" and order > 2),
                order=order,
            )
            for order, (kind, title, minutes) in enumerate(content.get(week.number, []), start=1)
        )
        assignment = Assignment.objects.create(
            week=week,
            title=f"Notebook: {week.title.lower()}",
            instructions="Work through the exercise notebook and share a link to your copy.",
            due_at=week.session_start,
            submission_kind=Assignment.SubmissionKind.LINK,
        )
        if not week.is_published(now):
            continue
        past = week.session_start < now
        for person in participants:
            keenness = keen[person.pk]
            if past:
                finishes = keenness > 0.12 and rng.random() < 0.6 + 0.4 * keenness
                share = 1.0 if finishes else keenness * 0.7
            else:  # the current session's pre-work is still under way
                share = keenness * 0.9
            done = [item for item in items if rng.random() < share]
            Completion.objects.bulk_create(
                Completion(
                    user=person,
                    item=item,
                    at=week.session_start - done_before(),
                )
                for item in done
            )
            if past and (finishes or rng.random() < 0.3):
                submitted = week.session_start - timedelta(hours=rng.randint(-20, 60))
                Submission.objects.create(
                    assignment=assignment,
                    user=person,
                    link=f"https://notebooks.example.com/{person.pk}/week-{week.number}",
                    submitted_at=submitted,
                    updated_at=submitted,
                )
