"""People for browser tests, and signing in through the real login form."""

from datetime import datetime, time, timedelta

from allauth.account.models import EmailAddress
from django.utils import timezone

from cohorts.models import Cohort, Membership, User

PASSWORD = "journey-password-1"


def person(email, name, role, cohort, experience="some"):
    """A verified user who is a member of `cohort` in `role`."""
    user = User.objects.create_user(email=email, password=PASSWORD, name=name)
    EmailAddress.objects.create(user=user, email=email, verified=True, primary=True)
    # A member since before the cohort began: every week's session counts for them.
    joined = datetime.combine(cohort.start_date, time(), tzinfo=cohort.tz) - timedelta(days=30)
    Membership.objects.create(
        user=user, cohort=cohort, role=role, experience=experience, joined_at=joined
    )
    return user


def sign_in(page, email, password=PASSWORD):
    """Sign in as `email` through /accounts/login/, dropping any earlier session first."""
    page.context.clear_cookies()
    page.goto("/accounts/login/")
    form = page.locator("form", has=page.locator('input[name="login"]'))
    form.locator('input[name="login"]').fill(email)
    form.locator('input[name="password"]').fill(password)
    form.locator('[type="submit"]').first.click()
    page.wait_for_load_state()


def cohort_from_today(weeks):
    """Cohort "ml": Europe/Berlin, from today, `weeks` weeks."""
    today = timezone.localdate()
    cohort = Cohort.objects.create(
        title="Machine Learning",
        slug="ml",
        time_zone="Europe/Berlin",
        start_date=today,
        session_weekday=today.weekday(),
        session_time=time(16, 0),
    )
    cohort.create_weeks(weeks)
    return cohort


def cohort_in_session(*, weeks=1, started_ago=timedelta(minutes=10)):
    """Cohort "ml" (Europe/Berlin, from today) whose week 1 session started `started_ago`, its
    pre-work published six days before; returns (cohort, week 1)."""
    cohort = cohort_from_today(weeks)
    week = cohort.weeks.get(number=1)
    week.session_start = timezone.now() - started_ago
    week.publish_at = timezone.now() - timedelta(days=6)
    week.save()
    return cohort, week
