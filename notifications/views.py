from datetime import datetime

from django.contrib import messages
from django.core.paginator import Paginator
from django.db import transaction
from django.http import Http404, HttpResponseNotAllowed
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from cohorts.forms import FIRST_YEAR, LAST_YEAR, form_status
from cohorts.models import Cohort
from cohorts.permissions import FACILITATOR, MEMBER, ORGANIZER, cohort_view

from . import announcements, dispatch, outbox, preferences
from .channels import slack
from .forms import (
    AnnouncementForm,
    MailPreferencesForm,
    NotificationSettingsForm,
    send_time_problem,
)
from .models import Announcement, Delivery
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


def mail_preferences(request, access):
    """The email switches on the member's preferences page (a cohorts.pages section): one
    per kind of email."""
    membership = access.membership
    off = preferences.switched_off(membership)
    initial = {kind.field: kind.key not in off for kind in preferences.KINDS.values()}
    # An unticked checkbox posts nothing, so an empty POST is still a submission.
    data = request.POST if request.method == "POST" else None
    form = MailPreferencesForm(data, initial=initial)
    if request.method == "POST" and form.is_valid():
        changed = []
        for kind in preferences.KINDS.values():
            on = form.cleaned_data[kind.field]
            if on != initial[kind.field]:
                preferences.switch(membership, kind.key, on)
                changed.append(f"{kind.label}: {'on' if on else 'off'}")
        if changed:
            messages.success(request, "Email settings saved. " + "; ".join(changed) + ".")
        else:
            messages.info(request, "Nothing changed.")
        return redirect("cohorts:preferences", slug=access.cohort.slug)
    return render_to_string(
        "notifications/_mail_preferences.html",
        {"form": form, "cohort": access.cohort, "membership": membership},
        request=request,
    )


@csrf_exempt  # RFC 8058: mail clients POST here without cookies or a CSRF token
@never_cache
def unsubscribe(request, token):
    """One-click unsubscribe from an email's List-Unsubscribe header, for one kind of email.

    GET only shows a confirmation page (link scanners open links); POST switches that kind
    off and answers 200 with no redirect. Repeating it changes nothing.
    """
    found = preferences.from_token(token)
    if found is None:
        raise Http404("Unknown unsubscribe link.")
    membership, kind = found
    context = {"membership": membership, "kind": kind, "done": False}
    if request.method == "POST":
        preferences.switch(membership, kind.key, False)
        return render(request, "notifications/unsubscribe.html", {**context, "done": True})
    if request.method not in ("GET", "HEAD"):
        return HttpResponseNotAllowed(["GET", "POST"])
    return render(request, "notifications/unsubscribe.html", context)


# --- Announcements ---------------------------------------------------------------------------


@cohort_view(MEMBER)
def announcement_list(request, access):
    cohort = access.cohort
    now = timezone.now()
    sent = Announcement.objects.published(now).visible_to(access).filter(cohort=cohort)
    sent = sent.select_related("author")
    page = Paginator(sent, 20).get_page(request.GET.get("page"))
    pending = []
    if access.can_facilitate:
        pending = list(
            Announcement.objects.filter(cohort=cohort)
            .exclude(pk__in=Announcement.objects.published(now).values("pk"))
            .select_related("author")
            .order_by("-created_at")
        )
    return render(
        request,
        "notifications/announcements.html",
        {"access": access, "cohort": cohort, "page": page, "pending": pending, "now": now},
    )


def _compose(request, access, instance=None):
    cohort = access.cohort
    initial = {"form_key": announcements.new_form_key()}
    form = AnnouncementForm(request.POST or None, cohort=cohort, instance=instance, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        fields = {
            name: data.get(name, False)
            for name in ("subject", "body", "audience", "post_to_slack", "send_at")
        }
        if instance is None:
            # A double click on "Preview" saves one draft: the form's key is unique.
            instance, _ = Announcement.objects.get_or_create(
                cohort=cohort,
                form_key=data["form_key"],
                defaults={**fields, "author": request.user},
            )
        elif instance.status == Announcement.Status.DRAFT:
            for name, value in fields.items():
                setattr(instance, name, value)
            instance.save()
        return redirect("notifications:announcement", slug=cohort.slug, announcement_id=instance.pk)
    return render(
        request,
        "notifications/announcement_form.html",
        {"access": access, "cohort": cohort, "form": form, "announcement": instance},
        status=form_status(form),
    )


@cohort_view(FACILITATOR)
def announcement_new(request, access):
    return _compose(request, access)


@cohort_view(FACILITATOR)
def announcement_edit(request, access, announcement_id):
    announcement = get_object_or_404(Announcement, cohort=access.cohort, pk=announcement_id)
    if announcement.status != Announcement.Status.DRAFT:
        # Sent or scheduled: the page says so (409), and how to edit a scheduled one.
        return render(
            request,
            "notifications/announcement_form.html",
            {"access": access, "cohort": access.cohort, "announcement": announcement},
            status=409,
        )
    return _compose(request, access, announcement)


@cohort_view(MEMBER)
def announcement_detail(request, access, announcement_id):
    """Members read a sent announcement; facilitators also preview drafts and scheduled
    ones here: the email as it will look and exactly who gets it."""
    cohort = access.cohort
    now = timezone.now()
    visible = Announcement.objects.filter(cohort=cohort)
    if not access.can_facilitate:
        visible = visible.published(now).visible_to(access)
    announcement = get_object_or_404(visible.select_related("author", "cohort"), pk=announcement_id)
    context = {"access": access, "cohort": cohort, "announcement": announcement, "now": now}
    if access.can_facilitate and not announcement.is_sent(now):
        context["audience"] = announcements.audience(announcement, now)
        context["email"] = announcements.preview_email(announcement, access.membership)
        context["slack_off"] = announcement.post_to_slack and not cohort.slack_enabled
    if access.can_facilitate and announcement.is_sent(now):
        context["deliveries"] = announcements.delivery_counts(announcement)
    return render(request, "notifications/announcement.html", context)


@cohort_view(FACILITATOR)
@require_POST
def announcement_send(request, access, announcement_id):
    """Send a previewed draft now, or schedule it; nothing is sent twice, whatever is
    clicked how often."""
    cohort = access.cohort
    announcement = get_object_or_404(
        Announcement.objects.select_related("cohort", "author"), cohort=cohort, pk=announcement_id
    )
    back = redirect("notifications:announcement", slug=cohort.slug, announcement_id=announcement_id)
    if announcement.status != Announcement.Status.DRAFT:
        messages.info(request, "This announcement is sent or scheduled already.")
        return back
    now = timezone.now()
    if announcements.audience(announcement, now).is_empty:
        messages.error(
            request, "Nobody would get this announcement: choose another audience. Nothing sent."
        )
        return back
    if announcement.send_at is not None:
        problem = send_time_problem(cohort, announcement.send_at, now)
        if problem:
            messages.error(request, f"{problem} Nothing sent: edit it first.")
            return back
        announcements.schedule(announcement, announcement.send_at)
        messages.success(
            request, f"Scheduled for {dispatch.local_text(cohort, announcement.send_at)}."
        )
        return back
    with transaction.atomic():
        claimed = announcements.send_now(announcement, now)
        if claimed is not None:
            enqueue_deliveries(claimed)
    if claimed is None:
        messages.info(request, "This announcement is sent already.")
    else:
        messages.success(request, f"Sending it to {len(claimed)} recipient(s) now.")
    return back


@cohort_view(FACILITATOR)
def announcement_cancel(request, access, announcement_id):
    """Take a scheduled announcement back to a draft (a confirmation page, then POST)."""
    cohort = access.cohort
    announcement = get_object_or_404(Announcement, cohort=cohort, pk=announcement_id)
    if request.method == "POST":
        if announcements.unschedule(announcement):
            messages.success(request, "Not scheduled any more; it is a draft again.")
        else:
            messages.info(request, "Too late: it is going out already.")
        return redirect(
            "notifications:announcement", slug=cohort.slug, announcement_id=announcement_id
        )
    return render(
        request,
        "notifications/announcement_cancel.html",
        {"access": access, "cohort": cohort, "announcement": announcement},
    )
