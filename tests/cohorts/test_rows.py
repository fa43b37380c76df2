"""cohorts.permissions.active_membership: the hand-written statement every cohort page runs
answers exactly what the ORM query it replaces answers, field by field."""

from datetime import UTC, datetime

import pytest

from cohorts.models import Cohort, Membership, Role
from cohorts.permissions import active_membership


def orm_membership(user, slug):
    return (
        Membership.objects.active()
        .select_related("cohort")
        .filter(user=user, cohort__slug=slug)
        .first()
    )


def fields_of(instance):
    return {f.attname: getattr(instance, f.attname) for f in type(instance)._meta.concrete_fields}


@pytest.mark.django_db
def test_the_membership_and_its_cohort_read_as_the_orm_reads_them(cohort, people, settings):
    settings.SLACK_WEBHOOK_URL_PREFIXES = ["https://hooks.slack.com/"]
    cohort.slack_webhook_url = "https://hooks.slack.com/services/T0/B0/secret"
    cohort.save()
    membership = Membership.objects.get(user=people["participant"], cohort=cohort)
    membership.reminders_opt_out = True
    membership.joined_at = datetime(2026, 8, 30, 21, 15, 7, 123456, tzinfo=UTC)
    membership.save()

    found = active_membership(people["participant"].pk, cohort.slug)
    expected = orm_membership(people["participant"], cohort.slug)
    assert fields_of(found) == fields_of(expected)
    assert fields_of(found.cohort) == fields_of(expected.cohort)
    assert found.reminders_opt_out is True and found.role == Role.PARTICIPANT
    assert found.joined_at == membership.joined_at and found.joined_at.tzinfo is not None
    assert found.cohort.slack_webhook_url == "https://hooks.slack.com/services/T0/B0/secret"
    assert found.calendar_token == membership.calendar_token
    assert found.cohort.session_time == cohort.session_time
    assert found.cohort.start_date == cohort.start_date
    # Saved as loaded: nothing changes.
    found.save()
    assert fields_of(Membership.objects.get(pk=found.pk)) == fields_of(expected)


@pytest.mark.django_db
def test_nobody_else_and_no_former_member_gets_a_membership(cohort, other_cohort, people):
    assert active_membership(people["outsider"].pk, cohort.slug) is None
    assert active_membership(people["participant"].pk, other_cohort.slug) is None
    assert active_membership(people["participant"].pk, "no-such-cohort") is None
    Membership.objects.filter(user=people["participant"]).update(left_at=datetime.now(UTC))
    assert active_membership(people["participant"].pk, cohort.slug) is None
    assert Cohort.objects.filter(slug=cohort.slug).exists()


@pytest.mark.django_db
def test_columns_left_out_are_deferred_and_read_on_demand(cohort, django_assert_num_queries):
    """Mark watched reads a week without its long texts: those columns are deferred, as the
    ORM's defer() leaves them, and a rare reader still gets them (one query)."""
    from django.db import connection

    from cohorts.models import Week
    from cohorts.rows import columns

    upcoming_week = cohort.weeks.get(number=1)
    upcoming_week.facilitator_notes = "Long notes " * 500
    upcoming_week.save()

    def load(week):
        with connection.cursor() as cursor:
            sql = f"SELECT {week.sql()} FROM cohorts_week w WHERE w.id = %s"  # noqa: S608
            cursor.execute(sql, [upcoming_week.pk])
            return week.load(cursor.fetchone())

    # Every column first, then fewer: each set converts its own columns.
    assert load(columns(Week, "w")).publish_at == upcoming_week.publish_at
    week = columns(Week, "w", ("facilitator_notes", "facilitator_notes_html"))
    assert "facilitator_notes" not in week.sql()
    loaded = load(week)
    assert loaded.get_deferred_fields() == {"facilitator_notes", "facilitator_notes_html"}
    assert (loaded.number, loaded.publish_at) == (upcoming_week.number, upcoming_week.publish_at)
    with django_assert_num_queries(1):
        assert loaded.facilitator_notes.startswith("Long notes")
    with pytest.raises(ValueError, match="no column nonsense"):
        columns(Week, "w", ("nonsense",))
