"""What notifications adds to the cohort's pages (see cohorts.pages), and the invitation
emails it sends when `cohorts` issues an invitation."""

from django.template.loader import render_to_string

from cohorts import pages
from cohorts.signals import invitation_issued

from . import announcements, dispatch, outbox
from .invitations import on_invitation_issued
from .models import Announcement
from .views import mail_preferences

# The cohort page lists this many of the latest announcements; the rest are a click away.
LATEST_ANNOUNCEMENTS = 3


def slack_paused_notice(request, access):
    cohort = access.cohort
    if not (access.can_manage and cohort.slack_webhook_disabled_at):
        return None
    return render_to_string(
        "notifications/_slack_paused.html", {"cohort": cohort, "access": access}, request=request
    )


def slack_failed_notice(request, access):
    """A Slack message (a digest, say) that failed for good, while the webhook is still on."""
    cohort = access.cohort
    if not (access.can_manage and cohort.slack_enabled):
        return None
    failed = outbox.latest_slack_failure(cohort)
    if failed is None:
        return None
    return render_to_string(
        "notifications/_slack_failed.html",
        {"cohort": cohort, "access": access, "failed": failed},
        request=request,
    )


def announcements_section(request, access):
    """The latest announcements on the cohort page, for every member (late joiners too)."""
    latest = list(
        Announcement.objects.published()
        .visible_to(access)
        .filter(cohort=access.cohort)
        .select_related("author")[: LATEST_ANNOUNCEMENTS + 1]
    )
    if not latest and not access.can_facilitate:
        return None
    return render_to_string(
        "notifications/_announcements_section.html",
        {
            "cohort": access.cohort,
            "access": access,
            "latest": latest[:LATEST_ANNOUNCEMENTS],
            "more": len(latest) > LATEST_ANNOUNCEMENTS,
        },
        request=request,
    )


pages.nav_links.register(
    pages.Link(
        "Announcements",
        "notifications:announcements",
        lambda access: True,
        current=(
            "notifications:announcement",
            "notifications:announcement_new",
            "notifications:announcement_edit",
            "notifications:announcement_cancel",
        ),
    ),
    order=85,
)
pages.nav_links.register(
    pages.Link(
        "Notifications",
        "notifications:manage_notifications",
        lambda access: access.can_manage,
        current=("notifications:manage_deliveries", "notifications:manage_dispatch"),
    ),
    order=90,
)
pages.cohort_notices.register(slack_paused_notice)
pages.cohort_notices.register(slack_failed_notice)
pages.cohort_sections.register(announcements_section, order=10)
pages.preference_sections.register(mail_preferences, order=10)
dispatch.jobs.register(announcements.job, order=5)
invitation_issued.connect(on_invitation_issued, dispatch_uid="notifications-invitation-email")
