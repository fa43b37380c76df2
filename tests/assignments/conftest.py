from datetime import timedelta

import pytest
from django.utils import timezone

from assignments.models import Assignment, PreworkItem


@pytest.fixture
def upcoming_week(cohort):
    """Week 1, published an hour ago, with three videos, a reading and an assignment."""
    week = cohort.weeks.get(number=1)
    week.publish_at = timezone.now() - timedelta(hours=1)
    week.session_start = timezone.now() + timedelta(days=2)
    week.save()
    return week


@pytest.fixture
def items(upcoming_week):
    return [
        PreworkItem.objects.create(
            week=upcoming_week, kind="video", title="Linear regression", minutes=14, order=1
        ),
        PreworkItem.objects.create(
            week=upcoming_week, kind="video", title="Training and loss", minutes=11, order=2
        ),
        PreworkItem.objects.create(
            week=upcoming_week, kind="video", title="Gradient descent", minutes=13, order=3
        ),
        PreworkItem.objects.create(
            week=upcoming_week,
            kind="reading",
            title="Optional extra",
            minutes=20,
            order=4,
            required=False,
        ),
    ]


@pytest.fixture
def assignment(upcoming_week):
    return Assignment.objects.create(
        week=upcoming_week,
        title="Notebook",
        due_at=upcoming_week.session_start,
        submission_kind="link",
    )
