"""Changing who is in a cohort, keeping its one rule: a cohort always has an organizer.

Two organizers demoting (or removing) each other at the same moment must not both
succeed, so each change locks the cohort's active memberships first and counts the
organizers under that lock (on SQLite, where row locks do not exist, the write
transaction itself is exclusive)."""

from django.db import transaction
from django.utils import timezone

from .models import Membership, Role


class LastOrganizer(Exception):
    """The change would leave the cohort without an organizer."""


def _locked(membership):
    """The cohort's active memberships, locked until the transaction ends; `membership`
    re-read under the lock (None when it left meanwhile)."""
    rows = list(
        Membership.objects.active()
        .filter(cohort_id=membership.cohort_id)
        .order_by("pk")
        .select_for_update()
    )
    current = next((row for row in rows if row.pk == membership.pk), None)
    organizers = sum(1 for row in rows if row.role == Role.ORGANIZER)
    return current, organizers


def _check(current, organizers, new_role=None):
    demoted = current is not None and current.role == Role.ORGANIZER and new_role != Role.ORGANIZER
    if demoted and organizers <= 1:
        raise LastOrganizer("A cohort needs at least one organizer.")


def change(membership, *, role, experience):
    """Give a member a role and an experience level (LastOrganizer when it would demote
    the only organizer)."""
    with transaction.atomic():
        current, organizers = _locked(membership)
        _check(current, organizers, role)
        Membership.objects.filter(pk=membership.pk).update(role=role, experience=experience)
    membership.role, membership.experience = role, experience
    return membership


def remove(membership):
    """The member leaves the cohort (LastOrganizer when they are its only organizer)."""
    with transaction.atomic():
        current, organizers = _locked(membership)
        _check(current, organizers)
        if current is not None:
            Membership.objects.filter(pk=membership.pk).update(left_at=timezone.now())
    return membership
