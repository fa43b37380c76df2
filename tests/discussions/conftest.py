"""Fixtures for discussion sessions: a cohort with a handful of participants."""

from datetime import timedelta

import pytest
from django.utils import timezone

from cohorts.models import Membership, Role
from discussions import pairing
from discussions.models import PairPrompt

LEVELS = ["new", "some", "experienced"]


@pytest.fixture
def participants(cohort, people, make_user):
    """`people["participant"]` plus five more participants, experience levels mixed."""
    users = [people["participant"]]
    for n in range(1, 6):
        user = make_user(f"p{n}@example.com", f"Person {n}")
        Membership.objects.create(
            user=user, cohort=cohort, role=Role.PARTICIPANT, experience=LEVELS[n % 3]
        )
        users.append(user)
    return users


@pytest.fixture
def week_in_session(cohort):
    """Week 1, published, its session started an hour ago."""
    week = cohort.weeks.get(number=1)
    week.publish_at = timezone.now() - timedelta(days=6)
    week.session_start = timezone.now() - timedelta(hours=1)
    week.save()
    return week


@pytest.fixture
def future_week(cohort):
    """Week 2, published, its session tomorrow."""
    week = cohort.weeks.get(number=2)
    week.publish_at = timezone.now() - timedelta(days=1)
    week.session_start = timezone.now() + timedelta(days=1)
    week.save()
    return week


@pytest.fixture
def paired_week(week_in_session, participants):
    """The session in progress, with two pair prompts and its pairs made."""
    PairPrompt.objects.create(week=week_in_session, prompt="Explain *overfitting*.", minutes=5)
    PairPrompt.objects.create(week=week_in_session, prompt="Explain the learning rate.", minutes=4)
    pairing.generate(week_in_session, seed=11)
    return week_in_session
