from datetime import datetime

from django.contrib import messages
from django.contrib.admin.views.decorators import staff_member_required
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db import connection, transaction
from django.db.models import Count, Q
from django.http import Http404, HttpResponse, HttpResponseNotAllowed, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST, require_safe

from . import calendar, curriculum, delivery, dispatch, invitations, pages, slack
from .forms import (
    CohortCopyForm,
    CohortCreateForm,
    CohortSettingsForm,
    CourseRunForm,
    CourseUploadForm,
    InvitationPasteForm,
    MembershipForm,
    NotificationSettingsForm,
    ReminderPreferencesForm,
    WeekForm,
)
from .models import Cohort, Delivery, Invitation, Membership, Role, Week
from .permissions import MEMBER, ORGANIZER, access_for, cohort_view, visible_week
from .signals import session_moved
from .tasks import enqueue_deliveries, send_delivery


@login_required
def home(request):
    cohorts = list(
        Cohort.objects.for_user(request.user).annotate(week_count=Count("weeks", distinct=True))
    )
    active = [c for c in cohorts if c.status == Cohort.Status.ACTIVE]
    if len(active) == 1 and request.GET.get("all") is None:
        cohort = active[0]
        access = access_for(request.user, cohort)
        week = cohort.current_week()
        if week and (access.can_facilitate or week.is_published()):
            return redirect(week)
        return redirect(cohort)
    return render(
        request,
        "cohorts/home.html",
        {"cohorts": cohorts, "can_import": curriculum.may_import(request.user)},
    )


@staff_member_required
def cohort_create(request):
    form = CohortCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            cohort = form.save()
            organizer_email = form.cleaned_data["organizer_email"]
            deliveries = []
            if organizer_email and organizer_email.lower() != request.user.email.lower():
                line = invitations.InviteLine(0, organizer_email.lower(), Role.ORGANIZER)
                deliveries = invitations.invite(cohort, [line], request.user)
            else:
                Membership.objects.create(user=request.user, cohort=cohort, role=Role.ORGANIZER)
            enqueue_deliveries(deliveries)
        messages.success(request, f"“{cohort.title}” is ready with {cohort.weeks.count()} weeks.")
        return redirect(cohort)
    return render(request, "cohorts/cohort_create.html", {"form": form})


def _members_by_role(cohort):
    members = (
        Membership.objects.active()
        .filter(cohort=cohort)
        .select_related("user")
        .order_by("user__name", "user__email")
    )
    grouped = {role: [] for role in Role}
    for membership in members:
        grouped[Role(membership.role)].append(membership)
    return [(role.label + "s", grouped[role]) for role in Role]


@cohort_view(MEMBER)
def cohort_detail(request, access):
    cohort = access.cohort
    weeks = list(cohort.weeks.all())
    current = cohort.current_week(weeks)
    now = timezone.now()
    badges = {}
    for provider in pages.schedule_badges:
        for week_id, html in provider(request, access, weeks).items():
            badges.setdefault(week_id, []).append(html)
    for week in weeks:
        week.badges = badges.get(week.pk, [])
    return render(
        request,
        "cohorts/cohort_detail.html",
        {
            "access": access,
            "cohort": cohort,
            "weeks": weeks,
            "current_week": current,
            "now": now,
            "members_by_role": _members_by_role(cohort),
        },
    )


@cohort_view(MEMBER)
def week_detail(request, access, number):
    week = visible_week(access, number)
    sections = [provider(request, access, week) for provider in pages.week_sections]
    return render(
        request,
        "cohorts/week_detail.html",
        {
            "access": access,
            "cohort": access.cohort,
            "week": week,
            "sections": [section for section in sections if section],
            "previous_week": access.cohort.weeks.filter(number=week.number - 1).first(),
            "next_week": access.cohort.weeks.filter(number=week.number + 1).first(),
        },
    )


@cohort_view(ORGANIZER)
def manage_settings(request, access):
    cohort = access.cohort
    form = CohortSettingsForm(request.POST or None, instance=cohort)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, "Settings saved.")
        return redirect("cohorts:manage_settings", slug=cohort.slug)
    return render(
        request, "cohorts/manage/settings.html", {"access": access, "cohort": cohort, "form": form}
    )


@cohort_view(ORGANIZER)
def manage_weeks(request, access):
    cohort = access.cohort
    return render(
        request,
        "cohorts/manage/weeks.html",
        {"access": access, "cohort": cohort, "weeks": cohort.weeks.all()},
    )


@cohort_view(ORGANIZER)
def manage_week(request, access, number):
    cohort = access.cohort
    week = get_object_or_404(Week, cohort=cohort, number=number)
    old_start = week.session_start
    form = WeekForm(request.POST or None, instance=week)
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            form.save()
            if week.session_start != old_start:
                session_moved.send(
                    sender=Week, week=week, old_start=old_start, new_start=week.session_start
                )
        messages.success(request, f"Week {week.number} saved.")
        return redirect("cohorts:manage_weeks", slug=cohort.slug)
    return render(
        request,
        "cohorts/manage/week_form.html",
        {"access": access, "cohort": cohort, "week": week, "form": form},
    )


@cohort_view(ORGANIZER)
def manage_members(request, access):
    cohort = access.cohort
    members = (
        Membership.objects.active()
        .filter(cohort=cohort)
        .select_related("user")
        .order_by("role", "user__name", "user__email")
    )
    return render(
        request,
        "cohorts/manage/members.html",
        {
            "access": access,
            "cohort": cohort,
            "members": members,
            "roles": Role.choices,
            "experience_levels": Membership.Experience.choices,
        },
    )


@cohort_view(ORGANIZER)
@require_POST
def manage_member_update(request, access, member_id):
    membership = get_object_or_404(Membership.objects.active(), pk=member_id, cohort=access.cohort)
    form = MembershipForm(request.POST, instance=membership)
    if form.is_valid():
        if _would_remove_last_organizer(membership, form.cleaned_data["role"]):
            messages.error(request, "A cohort needs at least one organizer.")
        else:
            form.save()
            messages.success(
                request, f"{membership.user} is now {membership.get_role_display().lower()}."
            )
    else:
        messages.error(request, "Choose a role and an experience level from the lists.")
    return redirect("cohorts:manage_members", slug=access.cohort.slug)


def _would_remove_last_organizer(membership, new_role=None):
    if membership.role != Role.ORGANIZER or new_role == Role.ORGANIZER:
        return False
    organizers = Membership.objects.active().filter(cohort=membership.cohort, role=Role.ORGANIZER)
    return organizers.count() <= 1


@cohort_view(ORGANIZER)
def manage_member_remove(request, access, member_id):
    membership = get_object_or_404(
        Membership.objects.active().select_related("user"), pk=member_id, cohort=access.cohort
    )
    if request.method == "POST":
        if _would_remove_last_organizer(membership):
            messages.error(request, "A cohort needs at least one organizer.")
        else:
            membership.left_at = timezone.now()
            membership.save(update_fields=["left_at"])
            messages.success(request, f"{membership.user} has left {access.cohort}.")
        return redirect("cohorts:manage_members", slug=access.cohort.slug)
    return render(
        request,
        "cohorts/manage/member_remove.html",
        {"access": access, "cohort": access.cohort, "membership": membership},
    )


@cohort_view(ORGANIZER)
def manage_invitations(request, access):
    cohort = access.cohort
    form = InvitationPasteForm(request.POST or None)
    line_errors = []
    if request.method == "POST" and form.is_valid():
        lines, line_errors = invitations.parse_lines(
            form.cleaned_data["emails"], cohort, default_role=form.cleaned_data["role"]
        )
        if not line_errors and not lines:
            form.add_error("emails", "Paste at least one email address.")
        elif not line_errors:
            with transaction.atomic():
                deliveries = invitations.invite(cohort, lines, request.user)
                enqueue_deliveries(deliveries)
            messages.success(
                request, f"Sent {len(lines)} invitation{'s' if len(lines) != 1 else ''}."
            )
            return redirect("cohorts:manage_invitations", slug=cohort.slug)
    open_invitations = cohort.invitations.filter(accepted_at__isnull=True, revoked_at__isnull=True)
    recent = cohort.invitations.filter(Q(accepted_at__isnull=False) | Q(revoked_at__isnull=False))[
        :20
    ]
    return render(
        request,
        "cohorts/manage/invitations.html",
        {
            "access": access,
            "cohort": cohort,
            "form": form,
            "line_errors": line_errors,
            "open_invitations": open_invitations.select_related("invited_by"),
            "recent_invitations": recent,
        },
    )


@cohort_view(ORGANIZER)
@require_POST
def manage_invitation_resend(request, access, invitation_id):
    invitation = get_object_or_404(
        Invitation, pk=invitation_id, cohort=access.cohort, accepted_at=None, revoked_at=None
    )
    with transaction.atomic():
        enqueue_deliveries([invitations.renew(invitation)])
    messages.success(request, f"Sent the invitation to {invitation.email} again.")
    return redirect("cohorts:manage_invitations", slug=access.cohort.slug)


@cohort_view(ORGANIZER)
def manage_invitation_revoke(request, access, invitation_id):
    invitation = get_object_or_404(
        Invitation, pk=invitation_id, cohort=access.cohort, accepted_at=None, revoked_at=None
    )
    if request.method == "POST":
        invitations.revoke(invitation)
        messages.success(
            request, f"Revoked the invitation for {invitation.email}; its link no longer works."
        )
        return redirect("cohorts:manage_invitations", slug=access.cohort.slug)
    return render(
        request,
        "cohorts/manage/invitation_revoke.html",
        {"access": access, "cohort": access.cohort, "invitation": invitation},
    )


# --- Notifications: settings, test message, delivery log, dispatch preview ---------------


@cohort_view(ORGANIZER)
def manage_notifications(request, access):
    cohort = access.cohort
    form = NotificationSettingsForm(request.POST or None, instance=cohort)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, "Notification settings saved.")
        return redirect("cohorts:manage_notifications", slug=cohort.slug)
    recent_slack = cohort.deliveries.filter(channel=Delivery.Channel.SLACK)[:5]
    return render(
        request,
        "cohorts/manage/notifications.html",
        {"access": access, "cohort": cohort, "form": form, "recent_slack": recent_slack},
    )


@cohort_view(ORGANIZER)
@require_POST
def manage_notifications_test(request, access):
    """Post a test message now, so the organizer sees Slack's answer on the next page."""
    cohort = access.cohort
    if not cohort.slack_webhook_url:
        messages.error(request, "Paste the Slack webhook URL first.")
        return redirect("cohorts:manage_notifications", slug=cohort.slug)
    if cohort.slack_webhook_disabled_at:
        # Testing a disabled webhook is the organizer's "try it again".
        Cohort.objects.filter(pk=cohort.pk).update(
            slack_webhook_disabled_at=None, slack_webhook_error=""
        )
    claimed = delivery.claim(
        kind="slack_test",
        channel=Delivery.Channel.SLACK,
        recipient=f"Slack webhook {cohort.slack_webhook_hint}",
        dedupe_key=delivery.unique_key("slack_test"),
        cohort=cohort,
        subject="Test message",
        payload=slack.test_message(cohort, request.user),
    )
    outcome = delivery.send(claimed.pk)
    enqueue_deliveries(outcome.follow_ups)
    sent = outcome.delivery
    if sent.status == Delivery.Status.SENT:
        messages.success(request, "Slack accepted the test message; check the channel.")
    elif outcome.retry_in is not None:
        send_delivery.apply_async(args=[sent.pk], countdown=outcome.retry_in)
        messages.warning(
            request,
            f"Slack did not take it yet ({sent.last_error}); "
            f"trying again in {outcome.retry_in} seconds.",
        )
    else:
        messages.error(request, f"The test message was not delivered: {sent.last_error}")
    return redirect("cohorts:manage_notifications", slug=cohort.slug)


DELIVERIES_PER_PAGE = 50


@cohort_view(ORGANIZER)
def manage_deliveries(request, access):
    cohort = access.cohort
    deliveries = cohort.deliveries.select_related("week").order_by("-created_at", "-pk")
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
        "cohorts/manage/deliveries.html",
        {
            "access": access,
            "cohort": cohort,
            "page": page,
            "statuses": Delivery.Status.choices,
            "kinds": kinds,
            "status": status,
            "kind": kind,
            "query": query,
        },
    )


def _as_of(request, cohort):
    """The preview's moment: ?at=YYYY-MM-DDTHH:MM on the cohort's clock, or now."""
    raw = request.GET.get("at", "").strip()
    if raw:
        try:
            naive = datetime.strptime(raw, "%Y-%m-%dT%H:%M")
        except ValueError:
            return timezone.now(), "Use a date and time such as 2026-09-21T09:00; showing now."
        return naive.replace(tzinfo=cohort.tz), None
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
        "cohorts/manage/dispatch.html",
        {
            "access": access,
            "cohort": cohort,
            "plan": result.plans[0],
            "as_of": cohort.local(now),
            "as_of_value": cohort.local(now).strftime("%Y-%m-%dT%H:%M"),
            "as_of_error": error,
            "is_active": cohort.status == Cohort.Status.ACTIVE,
        },
    )


@cohort_view(MEMBER)
def preferences(request, access):
    membership = access.membership
    initial = {"reminders": membership is not None and not membership.reminders_opt_out}
    # An unticked checkbox posts nothing, so an empty POST is still a submission.
    data = request.POST if request.method == "POST" else None
    form = ReminderPreferencesForm(data, initial=initial)
    if request.method == "POST" and membership is not None and form.is_valid():
        membership.reminders_opt_out = not form.cleaned_data["reminders"]
        membership.save(update_fields=["reminders_opt_out"])
        messages.success(
            request,
            "Homework reminders are on."
            if form.cleaned_data["reminders"]
            else "Homework reminders are off for this cohort.",
        )
        return redirect("cohorts:preferences", slug=access.cohort.slug)
    return render(
        request,
        "cohorts/preferences.html",
        {"access": access, "cohort": access.cohort, "form": form, "membership": membership},
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
        return render(request, "cohorts/unsubscribe.html", {"membership": membership, "done": True})
    if request.method not in ("GET", "HEAD"):
        return HttpResponseNotAllowed(["GET", "POST"])
    return render(request, "cohorts/unsubscribe.html", {"membership": membership, "done": False})


@never_cache
def invitation(request, token):
    """Opening the link shows the invitation; only a POST by the invited address accepts it."""
    invitation = get_object_or_404(
        Invitation.objects.select_related("cohort", "invited_by"), token=token
    )
    state = invitation.state
    context = {"invitation": invitation, "cohort": invitation.cohort, "state": state}
    if state != "pending":
        return render(request, "cohorts/invitation.html", context, status=410)
    user = request.user
    context["email_matches"] = user.is_authenticated and invitations.user_owns_email(
        user, invitation.email
    )
    if request.method == "POST":
        if not user.is_authenticated:
            return redirect(f"{invitation.get_absolute_url()}")
        if not context["email_matches"]:
            return render(request, "cohorts/invitation.html", context, status=403)
        invitations.accept(invitation, user)
        messages.success(request, f"Welcome to {invitation.cohort}!")
        return redirect(invitation.cohort)
    return render(request, "cohorts/invitation.html", context)


@require_GET
@never_cache
def healthz(request):
    from config.celery import app as celery_app

    checks = {}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        checks["database"] = "ok"
    except Exception as exc:
        checks["database"] = f"unreachable: {type(exc).__name__}"
    try:
        with celery_app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, timeout=3)
        checks["broker"] = "ok"
    except Exception as exc:
        checks["broker"] = f"unreachable: {type(exc).__name__}"
    healthy = all(value == "ok" for value in checks.values())
    return JsonResponse(
        {"status": "ok" if healthy else "unhealthy", **checks}, status=200 if healthy else 503
    )


# --- Run it again: copy a cohort, course files ----------------------------------------------


def _new_run_page(request, template, context, form, course, create_message):
    """The shared second half of copying and importing: preview, then create.

    The preview button posts `action=preview`; the page then shows every new date and a
    create button carrying the form's preview key. Creating with changed fields shows the
    new preview first instead.
    """
    context.update(form=form, preview=None, preview_key="")
    if form.is_bound and form.is_valid():
        new = form.save(commit=False)
        wants_create = request.POST.get("action") == "create"
        if wants_create and request.POST.get("preview_key") == form.preview_key():
            cohort = course.create(new, request.user)
            messages.success(request, create_message(cohort))
            return redirect(cohort)
        if wants_create:
            messages.warning(request, "The schedule changed since the preview; check it again.")
        context.update(preview=course.plan(new), preview_key=form.preview_key(), new_cohort=new)
    return render(request, template, context)


@cohort_view(ORGANIZER)
def copy_cohort(request, access):
    """Copy this cohort's curriculum into a new cohort for a fresh group (see curriculum)."""
    source = access.cohort
    new = Cohort(
        title=f"{source.title} (new run)",
        description=source.description,
        time_zone=source.time_zone,
        session_weekday=source.session_weekday,
        session_time=source.session_time,
        session_minutes=source.session_minutes,
        location=source.location,
        reminder_lead_hours=source.reminder_lead_hours,
        digest_weekday=source.digest_weekday,
        digest_time=source.digest_time,
    )
    form = CohortCopyForm(request.POST or None, instance=new)
    promote = form.is_bound and form.is_valid() and form.cleaned_data["promote_pinned"]
    course = curriculum.Course.from_cohort(source, curriculum.CopyOptions(promote_pinned=promote))
    return _new_run_page(
        request,
        "cohorts/copy.html",
        {"access": access, "cohort": source, "week_count": len(course.weeks)},
        form,
        course,
        lambda cohort: (
            f"“{cohort.title}” is ready with {len(course.weeks)} weeks copied "
            f"from “{source.title}”. Invite the new group from Invitations."
        ),
    )


@cohort_view(ORGANIZER)
def course_file(request, access):
    """The curriculum as a YAML course file, to keep in git or create cohorts from."""
    cohort = access.cohort
    text = curriculum.Course.from_cohort(cohort).to_yaml()
    response = HttpResponse(text, content_type="application/yaml; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{cohort.slug}.course.yaml"'
    return response


@login_required
def course_import(request):
    """Create a cohort from a course file: upload, fix every listed problem, preview, create.

    Site staff and organizers of any cohort may (see curriculum.may_import)."""
    if not curriculum.may_import(request.user):
        raise PermissionDenied("Only organizers and site staff create cohorts from course files.")
    context = {"problems": [], "upload_form": None}
    step = request.POST.get("step") if request.method == "POST" else None
    if step not in ("upload", "run"):
        context["upload_form"] = CourseUploadForm()
        return render(request, "cohorts/course_file_import.html", context)
    if step == "upload":
        upload_form = CourseUploadForm(request.POST, request.FILES)
        if not upload_form.is_valid():
            context["upload_form"] = upload_form
            return render(request, "cohorts/course_file_import.html", context)
        text = upload_form.cleaned_data["course"]
    else:
        text = request.POST.get("course", "")
    course, problems = curriculum.parse_course(text)
    if problems:
        # Pasted text comes back to be fixed in place; a file is fixed in the editor.
        pasted = {} if request.FILES else {"text": text}
        context.update(problems=problems, upload_form=CourseUploadForm(initial=pasted))
        return render(request, "cohorts/course_file_import.html", context)
    data = request.POST if step == "run" else None
    form = CourseRunForm(data, instance=course.new_run(), initial={"course": text})
    context.update(course=course)
    return _new_run_page(
        request,
        "cohorts/course_file_import.html",
        context,
        form,
        course,
        lambda cohort: (
            f"“{cohort.title}” is ready with {len(course.weeks)} weeks from the "
            "course file. Invite people from Invitations."
        ),
    )


@require_safe
@never_cache
def calendar_feed(request, slug):
    """The member's calendar.ics. Calendar apps have no session, so the token in the URL is
    the only key: this is the one cohort URL outside cohort_view (see cohorts.calendar)."""
    membership = calendar.membership_for(slug, request.GET.get("token", ""))
    if membership is None:
        raise Http404("No such calendar.")
    response = HttpResponse(calendar.feed(membership), content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'inline; filename="{slug}.ics"'
    return response


# Checked by tests/cohorts/test_access.py instead of a cohort_view rule.
calendar_feed.token_access = True


@cohort_view(MEMBER)
@require_POST
def calendar_reset(request, access):
    if access.membership is None:
        raise Http404("Site staff who are not members have no calendar link here.")
    access.membership.reset_calendar_token()
    messages.success(
        request, "Your calendar link is new; the old one no longer works. Subscribe with this one."
    )
    return redirect(
        reverse("cohorts:preferences", kwargs={"slug": access.cohort.slug}) + "#calendar"
    )
