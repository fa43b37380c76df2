from datetime import datetime

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpResponseNotAllowed
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from cohorts.forms import FIRST_YEAR, LAST_YEAR
from cohorts.models import Cohort, Membership
from cohorts.permissions import ORGANIZER, cohort_view

from . import dispatch, outbox
from .channels import slack
from .forms import NotificationSettingsForm, ReminderPreferencesForm
from .models import Delivery
from .tasks import enqueue_deliveries, send_slack

# --- Notifications: settings, test message, delivery log, dispatch preview ---------------


@cohort_view(ORGANIZER)
def manage_notifications(request, access):
    cohort = access.cohort
    form = NotificationSettingsForm(request.POST or None, instance=cohort)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, "Notification settings saved.")
        return redirect("notifications:manage_notifications", slug=cohort.slug)
    recent_slack = cohort.deliveries.filter(channel=Delivery.Channel.SLACK)[:5]
    return render(
        request,
        "notifications/settings.html",
        {"access": access, "cohort": cohort, "form": form, "recent_slack": recent_slack},
    )


@cohort_view(ORGANIZER)
@require_POST
def manage_notifications_test(request, access):
    """Post a test message now, so the organizer sees Slack's answer on the next page. No
    lock is held while Slack answers (within SLACK_TIMEOUT_SECONDS)."""
    cohort = access.cohort
    if not cohort.slack_webhook_url:
        messages.error(request, "Paste the Slack webhook URL first.")
        return redirect("notifications:manage_notifications", slug=cohort.slug)
    if cohort.slack_webhook_disabled_at:
        # Testing a disabled webhook is the organizer's "try it again".
        Cohort.objects.filter(pk=cohort.pk).update(
            slack_webhook_disabled_at=None, slack_webhook_error=""
        )
    claimed = outbox.claim(
        kind="slack_test",
        channel=Delivery.Channel.SLACK,
        recipient=f"Slack webhook {cohort.slack_webhook_hint}",
        dedupe_key=outbox.unique_key("slack_test"),
        cohort=cohort,
        subject="Test message",
        payload=slack.test_message(cohort, request.user),
    )
    outcome = outbox.send(claimed.pk)
    enqueue_deliveries(outcome.follow_ups)
    sent = outcome.delivery
    if sent.status == Delivery.Status.SENT:
        messages.success(request, "Slack accepted the test message; check the channel.")
    elif outcome.retry_in is not None:
        send_slack.apply_async(args=[sent.pk], countdown=outcome.retry_in)
        messages.warning(
            request,
            f"Slack did not take it yet ({sent.last_error}); "
            f"trying again in {outcome.retry_in} seconds.",
        )
    else:
        messages.error(request, f"The test message was not delivered: {sent.last_error}")
    return redirect("notifications:manage_notifications", slug=cohort.slug)


DELIVERIES_PER_PAGE = 50


@cohort_view(ORGANIZER)
def manage_deliveries(request, access):
    cohort = access.cohort
    deliveries = cohort.deliveries.select_related("week__cohort").order_by("-created_at", "-pk")
    status = request.GET.get("status", "")
    kind = request.GET.get("kind", "")
    if status in Delivery.Status.values:
        deliveries = deliveries.filter(status=status)
    kinds = sorted(set(cohort.deliveries.values_list("kind", flat=True).distinct()))
    if kind in kinds:
        deliveries = deliveries.filter(kind=kind)
    page = Paginator(deliveries, DELIVERIES_PER_PAGE).get_page(request.GET.get("page"))
    query = "&".join(
        f"{name}={value}" for name, value in (("status", status), ("kind", kind)) if value
    )
    return render(
        request,
        "notifications/deliveries.html",
        {
            "access": access,
            "cohort": cohort,
            "page": page,
            "statuses": Delivery.Status.choices,
            "kinds": kinds,
            "resendable": outbox.RESENDABLE_KINDS,
            "resend_statuses": [Delivery.Status.UNKNOWN, Delivery.Status.FAILED],
            "status": status,
            "kind": kind,
            "query": query,
        },
    )


@cohort_view(ORGANIZER)
def resend_delivery(request, access, delivery_id):
    """Resend an invitation (or announcement) whose sending failed or ended unknown: a
    confirmation page, then POST. Reminders and digests are never resent."""
    cohort = access.cohort
    delivery = get_object_or_404(
        cohort.deliveries.filter(kind__in=outbox.RESENDABLE_KINDS), pk=delivery_id
    )
    if request.method == "POST":
        copy = outbox.resend(delivery)
        if copy is not None:
            enqueue_deliveries([copy])
            messages.success(request, f"Sending the {delivery.kind} to {delivery.recipient} again.")
        else:
            messages.info(request, "This one was resent already, or cannot be resent.")
        return redirect("notifications:manage_deliveries", slug=cohort.slug)
    if delivery.status not in (Delivery.Status.UNKNOWN, Delivery.Status.FAILED):
        messages.info(request, f"This {delivery.kind} is {delivery.get_status_display().lower()}.")
        return redirect("notifications:manage_deliveries", slug=cohort.slug)
    return render(
        request,
        "notifications/resend.html",
        {"access": access, "cohort": cohort, "delivery": delivery},
    )


def _as_of(request, cohort):
    """The preview's moment: ?at=YYYY-MM-DDTHH:MM on the cohort's clock, or now."""
    raw = request.GET.get("at", "").strip()[:40]
    if raw:
        try:
            naive = datetime.strptime(raw, "%Y-%m-%dT%H:%M")  # noqa: DTZ007 (the cohort's clock)
        except ValueError:
            return timezone.now(), "Use a date and time such as 2026-09-21T09:00; showing now."
        if not FIRST_YEAR <= naive.year <= LAST_YEAR:
            return (
                timezone.now(),
                f"Choose a date between {FIRST_YEAR} and {LAST_YEAR}; showing now.",
            )
        return cohort.from_local(naive), None
    return timezone.now(), None


@cohort_view(ORGANIZER)
def manage_dispatch(request, access):
    """What dispatch would do for this cohort now (or at ?at=), and why: the same code as
    `manage.py dispatch --dry-run`."""
    cohort = access.cohort
    now, error = _as_of(request, cohort)
    result = dispatch.run(now=now, dry_run=True, cohorts=Cohort.objects.filter(pk=cohort.pk))
    return render(
        request,
        "notifications/dispatch.html",
        {
            "access": access,
            "cohort": cohort,
            "plan": result.plans[0],
            "timetable": cohort.timetable(now),
            "as_of": cohort.local(now),
            "as_of_value": cohort.local(now).strftime("%Y-%m-%dT%H:%M"),
            "as_of_error": error,
            "is_active": cohort.status == Cohort.Status.ACTIVE,
        },
    )


def reminder_preferences(request, access):
    """The reminders switch on the member's preferences page (a cohorts.pages section)."""
    membership = access.membership
    initial = {"reminders": not membership.reminders_opt_out}
    # An unticked checkbox posts nothing, so an empty POST is still a submission.
    data = request.POST if request.method == "POST" else None
    form = ReminderPreferencesForm(data, initial=initial)
    if request.method == "POST" and form.is_valid():
        membership.reminders_opt_out = not form.cleaned_data["reminders"]
        membership.save(update_fields=["reminders_opt_out"])
        messages.success(
            request,
            "Homework reminders are on."
            if form.cleaned_data["reminders"]
            else "Homework reminders are off for this cohort.",
        )
        return redirect("cohorts:preferences", slug=access.cohort.slug)
    return render_to_string(
        "notifications/_reminder_preferences.html",
        {"form": form, "cohort": access.cohort, "membership": membership},
        request=request,
    )


@csrf_exempt  # RFC 8058: mail clients POST here without cookies or a CSRF token
@never_cache
def unsubscribe(request, token):
    """One-click unsubscribe from a reminder's List-Unsubscribe header.

    GET only shows a confirmation page (link scanners open links); POST switches the
    member's reminders off and answers 200 with no redirect. Repeating it changes nothing.
    """
    membership = Membership.from_unsubscribe_token(token)
    if membership is None:
        raise Http404("Unknown unsubscribe link.")
    if request.method == "POST":
        Membership.objects.filter(pk=membership.pk).update(reminders_opt_out=True)
        return render(
            request, "notifications/unsubscribe.html", {"membership": membership, "done": True}
        )
    if request.method not in ("GET", "HEAD"):
        return HttpResponseNotAllowed(["GET", "POST"])
    return render(
        request, "notifications/unsubscribe.html", {"membership": membership, "done": False}
    )
