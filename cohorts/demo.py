"""Demo data: a 12-week machine-learning cohort following a public ML crash course, and a
four-day data-science workshop (one session a day, half of it already behind us)."""

from datetime import datetime, time, timedelta

from allauth.account.models import EmailAddress
from django.utils import timezone

from .models import Cohort, Membership, Role, ScheduleKind, User

PASSWORD = "homeroom-demo"
SLUG = "machine-learning"

SYLLABUS = [
    (
        "Framing",
        "What machine learning is, and the vocabulary: labels, features, examples, models.",
    ),
    ("Linear regression", "Fitting a line — and why y = w₁x₁ + w₂x₂ + b is the whole model."),
    (
        "Loss and gradient descent",
        "Squared loss, the gradient, learning rate, and batch vs. stochastic steps.",
    ),
    ("Generalization", "Overfitting, and why a model must do well on data it has not seen."),
    ("Training, validation and test sets", "Splitting data so that you do not fool yourself."),
    (
        "Feature engineering",
        "Turning raw data into features: numbers, categories, one-hot encoding, scaling.",
    ),
    (
        "Feature crosses",
        "Non-linearity from linear models: why y = w₁x₁ + w₂x₂ + w₃x₁x₂ is still linear.",
    ),
    ("Regularization", "L2 and L1, and trading simplicity against fit with λ."),
    ("Logistic regression", "Predicting probabilities with the sigmoid and log loss."),
    ("Classification metrics", "Thresholds, the confusion matrix, precision, recall, ROC and AUC."),
    ("Neural networks", "Hidden layers, activation functions, and training with backpropagation."),
    ("Embeddings", "Dense vectors for sparse data: collaborative filtering and word embeddings."),
]

PEOPLE = [
    ("organizer@example.com", "Olivia Organizer", Role.ORGANIZER, "experienced"),
    ("facilitator@example.com", "Farid Facilitator", Role.FACILITATOR, "experienced"),
] + [
    (f"participant{n:02d}@example.com", name, Role.PARTICIPANT, level)
    for n, (name, level) in enumerate(
        [
            ("Ada Lovelace", "experienced"),
            ("Grace Hopper", "experienced"),
            ("Alan Turing", "some"),
            ("Katherine Johnson", "some"),
            ("Edsger Dijkstra", "new"),
            ("Barbara Liskov", "some"),
            ("Donald Knuth", "new"),
            ("Frances Allen", "new"),
            ("John McCarthy", "some"),
            ("Radia Perlman", "new"),
            ("Ken Thompson", "experienced"),
            ("Margaret Hamilton", "some"),
            ("Tim Berners-Lee", "new"),
            ("Hedy Lamarr", "new"),
            ("Claude Shannon", "some"),
            ("Sophie Wilson", "new"),
        ],
        start=1,
    )
]


WORKSHOP_SLUG = "data-science-workshop"
WORKSHOP_ZONE = "Asia/Jerusalem"

WORKSHOP_DAYS = [
    ("Data wrangling", "Loading, cleaning and reshaping a real data set with pandas."),
    ("Feature engineering", "From raw columns to features a model can use, without leakage."),
    ("Models and validation", "Baselines, cross-validation and choosing between models."),
    ("Evaluation and storytelling", "Metrics that match the question, and a chart that convinces."),
]

# Six of the course's people come along; six more are new to Homeroom.
WORKSHOP_PEOPLE = [
    ("organizer@example.com", "Olivia Organizer", Role.ORGANIZER, "experienced"),
    ("facilitator.ds@example.com", "Dana Facilitator", Role.FACILITATOR, "experienced"),
] + [
    (email, name, Role.PARTICIPANT, level)
    for email, name, level in [
        ("participant01@example.com", "Ada Lovelace", "experienced"),
        ("participant03@example.com", "Alan Turing", "some"),
        ("participant05@example.com", "Edsger Dijkstra", "new"),
        ("participant08@example.com", "Frances Allen", "new"),
        ("participant12@example.com", "Margaret Hamilton", "some"),
        ("participant15@example.com", "Claude Shannon", "some"),
        ("participant17@example.com", "Mary Somerville", "new"),
        ("participant18@example.com", "Florence Nightingale", "some"),
        ("participant19@example.com", "John Tukey", "experienced"),
        ("participant20@example.com", "Hans Rosling", "new"),
        ("participant21@example.com", "Grace Wahba", "some"),
        ("participant22@example.com", "David Cox", "new"),
    ]
]


def demo_user(email, name, *, staff=False):
    user, created = User.objects.get_or_create(email=email, defaults={"name": name})
    if created:
        user.set_password(PASSWORD)
        user.is_staff = user.is_superuser = staff
        user.save()
    EmailAddress.objects.get_or_create(
        user=user, email=email, defaults={"verified": True, "primary": True}
    )
    return user


def seed(now=None):
    """Create the demo cohort and its people once; returns (cohort, created)."""
    now = now or timezone.now()
    users = {
        email: (demo_user(email, name, staff=(role == Role.ORGANIZER)), role, level)
        for email, name, role, level in PEOPLE
    }
    existing = Cohort.objects.filter(slug=SLUG).first()
    if existing:
        return existing, False
    # Four sessions behind us (the last one yesterday), so the demo opens on week 5.
    start = (now - timedelta(weeks=3, days=1)).date()
    cohort = Cohort.objects.create(
        title="Machine Learning, autumn cohort",
        slug=SLUG,
        description=(
            "Twelve weeks through a public **machine learning crash course**. Watch the week's "
            "videos at home, then come ready to explain them to a colleague."
        ),
        time_zone="Europe/Berlin",
        start_date=start,
        session_weekday=start.weekday(),
        session_time=time(16, 0),
        session_minutes=90,
        location="Room 4.12 “Ada” — or https://meet.example.com/ml-cohort",
        status=Cohort.Status.ACTIVE,
    )
    weeks = cohort.create_weeks(len(SYLLABUS), titles=[title for title, _ in SYLLABUS])
    for week, (_, summary) in zip(weeks, SYLLABUS, strict=True):
        week.summary = summary
        # Pre-work appears a week before each session; later weeks are already scheduled.
        week.publish_at = week.session_start - timedelta(days=7)
        week.facilitator_notes = (
            f"Open with the muddiest point from last week. Keep the pair rounds to five minutes.\n\n"
            f"Hard on first viewing: {summary}"
        )
        week.save()
    # Everyone joined before week 1's pre-work came out, so earlier weeks count for them.
    joined = weeks[0].publish_at - timedelta(days=1)
    Membership.objects.bulk_create(
        Membership(user=user, cohort=cohort, role=role, experience=level, joined_at=joined)
        for user, role, level in users.values()
    )
    return cohort, True


def seed_workshop(now=None):
    """Create the four-day workshop once; returns (cohort, created). Every day 10:00–13:00 in
    Jerusalem; days 1 and 2 are behind us (and rated), day 3 is next or running now; each
    day's pre-work opens the day before at noon."""
    now = now or timezone.now()
    users = {
        email: (demo_user(email, name, staff=(role == Role.ORGANIZER)), role, level)
        for email, name, role, level in WORKSHOP_PEOPLE
    }
    existing = Cohort.objects.filter(slug=WORKSHOP_SLUG).first()
    if existing:
        return existing, False
    cohort = Cohort(
        title="Data science workshop",
        slug=WORKSHOP_SLUG,
        description=(
            "Four days, three hours a day: a different subject each day. Do the day's "
            "pre-work the evening before, then explain it to each other in pairs."
        ),
        time_zone=WORKSHOP_ZONE,
        session_time=time(10, 0),
        session_minutes=180,
        location="Lab 2 — or https://meet.example.com/ds-workshop",
        schedule_kind=ScheduleKind.DAILY,
        status=Cohort.Status.ACTIVE,
    )
    # Days 1 and 2 are over and day 3 has not ended: from 13:00 local on, day 2 was today.
    local_now = cohort.local(now)
    back = 1 if local_now.time() >= time(13, 0) else 2
    cohort.start_date = (local_now - timedelta(days=back)).date()
    cohort.session_weekday = cohort.start_date.weekday()
    cohort.apply_schedule_defaults()
    cohort.save()
    weeks = cohort.create_weeks(len(WORKSHOP_DAYS), titles=[title for title, _ in WORKSHOP_DAYS])
    for week, (_, summary) in zip(weeks, WORKSHOP_DAYS, strict=True):
        day_before = cohort.local(week.session_start).date() - timedelta(days=1)
        week.summary = summary
        week.publish_at = datetime.combine(day_before, time(12, 0), tzinfo=cohort.tz)
        week.facilitator_notes = (
            "Start with yesterday's muddiest point. Pair rounds of five minutes, then swap.\n\n"
            f"Hard on first try: {summary}"
        )
        week.save()
    joined = weeks[0].publish_at - timedelta(days=7)
    Membership.objects.bulk_create(
        Membership(user=user, cohort=cohort, role=role, experience=level, joined_at=joined)
        for user, role, level in users.values()
    )
    return cohort, True
