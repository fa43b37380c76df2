"""Demo discussion data: prompts and points for every week, and a lived-in past —
muddiest points, shared links, attendance, locked pairings and feedback for the
sessions that already happened."""

import random
from datetime import timedelta

from django.utils import timezone

from cohorts import demo
from cohorts.models import Membership, Role

from . import pairing
from .models import (
    Attendance,
    DiscussionPoint,
    Feedback,
    MuddiestPoint,
    MuddiestVote,
    PairPrompt,
    ResourceUpvote,
    SessionSettings,
    SharedResource,
)

# week number: ([(pair prompt, minutes)], [discussion points])
SESSIONS = {
    1: (
        [
            (
                "Explain the difference between a **label** and a **feature**, with an example "
                "from your own work.",
                5,
            ),
            ("Explain why a model is only as good as the examples it was trained on.", 5),
        ],
        [
            "Supervised vs. unsupervised learning: where does clustering fit?",
            "When is machine learning the *wrong* tool?",
        ],
    ),
    2: (
        [
            ("Explain what the weights w₁ and w₂ and the bias b mean in y = w₁x₁ + w₂x₂ + b.", 5),
            ("Explain why y = w₁x₁ + w₂x₂ + w₃x₃² is still a **linear** model.", 5),
        ],
        [
            "Why is y = w₁x₁ + w₂x₂ + w₃x₃² still a linear model? (Linear in the *weights*.)",
            "What does a loss of zero on the training data tell you — and what not?",
        ],
    ),
    3: (
        [
            ("Explain what the gradient tells us, and why we step *against* it.", 5),
            ("Explain what happens when the learning rate is far too large.", 5),
            ("Explain the trade-off between batch and stochastic gradient descent.", 4),
        ],
        [
            "Why does squared loss punish one big error more than several small ones?",
            "How would you notice that the learning rate is too small?",
        ],
    ),
    4: (
        [
            ("Explain overfitting to someone who has never trained a model.", 5),
            ("Explain why a more complex model is not always a better one.", 5),
        ],
        ["Ockham's razor in practice: what counts as “simpler”?"],
    ),
    5: (
        [
            ("Explain why we need a validation set *and* a test set.", 5),
            ("Explain how you can accidentally “train on the test set”.", 5),
        ],
        [
            "What goes wrong when the same users appear in training and test data?",
            "How big must a test set be to trust it?",
        ],
    ),
    6: (
        [
            ("Explain one-hot encoding, and when it breaks down.", 5),
            ("Explain why we scale numeric features.", 5),
        ],
        ["Which features would you build from a timestamp?"],
    ),
    7: (
        [
            ("Explain how a feature cross lets a linear model learn a non-linear pattern.", 5),
            ("Explain why y = w₁x₁ + w₂x₂ + w₃x₁x₂ is still linear.", 5),
        ],
        ["Crossing one-hot features: why does the number of weights explode?"],
    ),
    8: (
        [
            ("Explain what λ does in L2 regularization.", 5),
            ("Explain why L1 regularization drives some weights to exactly zero.", 5),
        ],
        ["Regularization vs. early stopping: are they the same idea?"],
    ),
    9: (
        [
            ("Explain why we squash a linear model's output with the sigmoid.", 5),
            ("Explain why log loss, not squared loss, suits probabilities.", 5),
        ],
        ["Is a predicted probability of 0.9 “90% sure”? When is it calibrated?"],
    ),
    10: (
        [
            ("Explain precision and recall with a spam filter.", 5),
            ("Explain what one point on an ROC curve represents.", 5),
        ],
        ["Choosing a threshold: who decides, and with which costs in mind?"],
    ),
    11: (
        [
            ("Explain why stacking linear layers without activations gains nothing.", 5),
            ("Explain backpropagation in one minute, without equations.", 5),
        ],
        ["Vanishing gradients: why do they happen with sigmoid activations?"],
    ),
    12: (
        [
            ("Explain what it means that two movies are “close” in an embedding space.", 5),
            ("Explain how an embedding layer is trained.", 5),
        ],
        ["Embeddings vs. one-hot encoding: what do we gain, and what do we lose?"],
    ),
}

MUDDIEST = [
    "Why is it called linear when there is a squared term in it?",
    "I don't see how the gradient “points uphill” when there are many weights.",
    "What is the difference between the loss and the cost function?",
    "How do I pick the learning rate in practice — is it trial and error?",
    "When do I stop training? The videos never say.",
    "Why do we need a separate bias term?",
    "What is a “convex” loss surface, and why does it matter?",
]

RESOURCES = [
    (
        "A visual introduction to machine learning",
        "http://www.r2d3.us/visual-intro-to-machine-learning-part-1/",
        "Made overfitting click for me.",
    ),
    (
        "Gradient descent, how neural networks learn (3Blue1Brown)",
        "https://www.youtube.com/watch?v=IHZwWFHWa-w",
        "The best picture of the loss surface I know.",
    ),
    (
        "Why momentum really works",
        "https://distill.pub/2017/momentum/",
        "Interactive; go beyond plain gradient descent.",
    ),
    (
        "Rules of Machine Learning",
        "https://developers.google.com/machine-learning/guides/rules-of-ml",
        "Practical advice for real projects.",
    ),
]

# The data-science workshop, day by day.
WORKSHOP_SESSIONS = {
    1: (
        [
            ("Explain the difference between a missing value and a zero, with the bike data.", 5),
            ("Explain what makes a table “tidy”.", 5),
        ],
        ["Drop, fill or flag: who decides what a missing value means?"],
    ),
    2: (
        [
            ("Explain target leakage with an example from your own work.", 5),
            ("Explain why the day of the week might be a useful feature.", 5),
        ],
        ["Which of yesterday's columns would leak the answer?"],
    ),
    3: (
        [
            ("Explain why we build a baseline before any clever model.", 5),
            ("Explain k-fold cross-validation to someone who missed the video.", 5),
        ],
        ["When does a random forest lose to a linear model?"],
    ),
    4: (
        [
            ("Explain why accuracy can mislead on unbalanced data.", 5),
            ("Explain your one-sentence story to your partner.", 5),
        ],
        ["What would convince a manager who never looks at metrics?"],
    ),
}

WORKSHOP_MUDDIEST = [
    "When is it fine to fill missing values with the mean?",
    "How do I know a feature leaks before the model looks too good?",
    "Why does cross-validation give a different score every time?",
    "What is the difference between a validation and a test split here?",
    "How many features is too many for 2,000 rows?",
]

WORKSHOP_RESOURCES = [
    (
        "Tidy data (Hadley Wickham)",
        "https://vita.had.co.nz/papers/tidy-data.html",
        "The paper behind day 1.",
    ),
    (
        "Leakage in data mining",
        "https://dl.acm.org/doi/10.1145/2382577.2382579",
        "Long, but the examples are gold.",
    ),
]

COMMENTS = [
    "The pair explanations forced me to actually understand the video.",
    "Room was too warm, otherwise great.",
    "Could we get the prompts a day earlier?",
    "Loved the discussion on linear-in-the-weights.",
    "Five minutes per turn felt a little short.",
    "",
    "",
]


def seed(cohort, now=None):
    now = now or timezone.now()
    rng = random.Random(f"discussions-demo:{cohort.slug}")
    weeks = list(cohort.weeks.order_by("number"))
    memberships = list(
        Membership.objects.active().filter(cohort=cohort).select_related("user").order_by("pk")
    )
    participants = [m.user for m in memberships if m.role == Role.PARTICIPANT]
    facilitator = next(
        (m.user for m in memberships if m.role == Role.FACILITATOR),
        memberships[0].user if memberships else None,
    )
    current = cohort.current_week(weeks, now=now)
    workshop = cohort.slug == demo.WORKSHOP_SLUG
    sessions = WORKSHOP_SESSIONS if workshop else SESSIONS
    texts = (WORKSHOP_MUDDIEST, WORKSHOP_RESOURCES) if workshop else (MUDDIEST, RESOURCES)

    for week in weeks:
        prompts, points = sessions.get(week.number, ([], []))
        for order, (prompt, minutes) in enumerate(prompts, start=1):
            PairPrompt.objects.create(week=week, prompt=prompt, minutes=minutes, order=order)
        for order, text in enumerate(points, start=1):
            DiscussionPoint.objects.create(
                week=week, text=text, order=order, created_by=facilitator
            )
        held = week.session_end <= now
        if held:
            SessionSettings.set_points_visible(week, True)
        if not participants or not (held or week == current):
            continue

        _questions_and_links(week, participants, rng, now, texts)
        if held:
            _session_held(week, participants, facilitator, rng)


def _questions_and_links(week, participants, rng, now, texts=(MUDDIEST, RESOURCES)):
    """Muddiest points and shared links, with +1s from others."""
    muddiest, resources = texts
    for text in rng.sample(muddiest, k=3):
        author = rng.choice(participants)
        point = MuddiestPoint.objects.create(
            week=week, author=author, text=text, created_at=week.publish_at or now
        )
        voters = [p for p in participants if p != author]
        for voter in rng.sample(voters, k=rng.randint(0, min(6, len(voters)))):
            MuddiestVote.objects.create(point=point, user=voter)
    title, url, note = resources[(week.number - 1) % len(resources)]
    sharer = rng.choice(participants)
    resource = SharedResource.objects.create(
        week=week, shared_by=sharer, title=title, url=url, note=note, pinned=week.number == 2
    )
    others = [p for p in participants if p != sharer]
    for voter in rng.sample(others, k=rng.randint(1, min(5, len(others)))):
        ResourceUpvote.objects.create(resource=resource, user=voter)


def _session_held(week, participants, facilitator, rng):
    """The session happened: about four in five came, were paired and gave feedback."""
    present = []
    for person in participants:
        came = rng.random() < 0.8
        if not came:
            Attendance.objects.create(
                week=week, user=person, status="absent", marked_by=facilitator
            )
        else:
            present.append(person)
    result = pairing.generate(week, seed=rng.randrange(1, 2**31), by=facilitator)
    result.locked = True
    result.save(update_fields=["locked"])
    for person in present:
        if rng.random() < 0.75:
            base = rng.choice([3, 4, 4, 5])
            Feedback.objects.create(
                week=week,
                user=person,
                logistics=_rating(rng, base),
                content_quality=_rating(rng, base),
                content_relevance=_rating(rng, base),
                overall=_rating(rng, base),
                comment=rng.choice(COMMENTS),
                created_at=week.session_end + timedelta(hours=rng.randint(1, 48)),
            )


def _rating(rng, base):
    return max(1, min(5, base + rng.choice([-1, 0, 0, 1])))
