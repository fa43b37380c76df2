"""What notifications adds to the cohort's pages (see cohorts.pages), and the invitation
emails it sends when `cohorts` issues an invitation."""

from django.template.loader import render_to_string

from cohorts import pages
from cohorts.signals import invitation_issued

from . import outbox
from .invitations import on_invitation_issued
from .views import reminder_preferences


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
pages.preference_sections.register(reminder_preferences, order=10)
invitation_issued.connect(on_invitation_issued, dispatch_uid="notifications-invitation-email")
