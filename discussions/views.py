"""Discussion sessions: the week page's section, the facilitator's session page, sheets,
the room timer and feedback.

Small actions post to their own URL and redirect back to the page they came from; with
htmx the page region they belong to is swapped in place (hx-select), without JavaScript
the browser simply follows the redirect.
"""

import csv
from collections import Counter
from functools import cache
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, connection, transaction
from django.db.models import Avg, Count, Exists, OuterRef, Q, Subquery
from django.http import (
    Http404,
    HttpResponse,
    HttpResponseBadRequest,
    HttpResponseNotModified,
    JsonResponse,
    StreamingHttpResponse,
)
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.http import http_date
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from assignments import progress
from cohorts import dates
from cohorts.forms import form_status
from cohorts.models import Membership, Role, Week
from cohorts.permissions import (
    FACILITATOR,
    MEMBER,
    ORGANIZER,
    cohort_view,
    in_session_window,
    joined_before,
    visible_week,
)

from . import board, live, live_stream, pairing, sheets, survey
from . import rooms as rooms_module
from .forms import (
    DiscussionPointForm,
    FacilitatorNotesForm,
    FeedbackForm,
    MuddiestPointForm,
    PairPromptForm,
    RoomForm,
    SharedResourceForm,
    SurveySettingsForm,
    SwapForm,
)
from .models import (
    ATTENDANCE_CHOICES,
    RATINGS,
    UNMARKED,
    Attendance,
    AttendanceStatus,
    CohortSessionOptions,
    DiscussionPoint,
    Feedback,
    MuddiestPoint,
    PairGroup,
    Pairing,
    PairPrompt,
    Room,
    SessionSettings,
    SharedResource,
    SurveySettings,
    attendance_table,
    present_among,
)

# --- The week page's section ----------------------------------------------------------------


def session_started(week, now=None):
    return (now or timezone.now()) >= week.session_start


TOP = board.TOP


@cache
def _empty_fields_html(form_class):
    return render_to_string("cohorts/_form.html", {"form": form_class()})


def fields_html(form, form_class):
    """A form's fields as HTML. Empty (`form` None: not sent, no errors) the muddiest point
    and link forms are the same for everyone: rendered once per process, not on every page."""
    if form is None and not settings.DEBUG:  # DEBUG: template edits show at once
        return _empty_fields_html(form_class)
    return render_to_string("cohorts/_form.html", {"form": form or form_class()})


def feedback_due(cohort, user, before=None, now=None):
    """The latest session that has started (before `before`'s, if given) when this
    participant has not rated it yet: "How was Week 4? Rate it". One query; None when
    there is nothing to ask."""
    now = now or timezone.now()
    weeks = Week.objects.filter(cohort=cohort, session_start__lte=now, publish_at__lte=now)
    if before is not None:
        weeks = weeks.filter(session_start__lt=before.session_start)
    latest = (
        weeks.annotate(rated=Exists(Feedback.objects.filter(week=OuterRef("pk"), user=user)))
        .order_by("-session_start")
        .first()
    )
    if latest is None or latest.rated:
        return None
    latest.cohort = cohort
    return latest


def week_section_context(request, access, week, **forms):
    """The section's context: the week's board (cached, see board.py) with this person's
    marks and role's controls written into the rows; their own feedback; and for
    facilitators the feedback summary."""
    user = request.user
    can_facilitate = access.can_facilitate
    show_all = request.GET.get("all")
    shown = board.board_for(week, everything=show_all in ("muddiest", "resources"))
    feedback = None
    if access.is_participant and session_started(week):
        feedback = Feedback.objects.filter(week=week, user=user).first()
    muddiest = shown.muddiest if show_all == "muddiest" else shown.muddiest[:TOP]
    resources = shown.resources if show_all == "resources" else shown.resources[:TOP]
    csrf = board.csrf_input(request)
    # Participants see the points only once a facilitator shows them.
    points = shown.points if can_facilitate or shown.points_visible else ()
    can_give_feedback = access.can_give_feedback(week)
    feedback_form = forms.get("feedback_form")
    if feedback_form is None and can_give_feedback:  # the only ones shown the form
        feedback_form = FeedbackForm(instance=feedback)
    context = {
        "access": access,
        "cohort": access.cohort,
        "week": week,
        "muddiest_points": muddiest,
        "muddiest_rows": board.muddiest_html(muddiest, week, user.pk, can_facilitate, csrf),
        "more_muddiest": len(shown.muddiest) > TOP and show_all != "muddiest",
        "points_visible": shown.points_visible,
        "discussion_points": board.points_html(points),
        "resources": resources,
        "resource_rows": board.resources_html(resources, week, user.pk, access.can_manage, csrf),
        "more_resources": len(shown.resources) > TOP and show_all != "resources",
        "session_started": session_started(week),
        "can_give_feedback": can_give_feedback,
        "feedback": feedback,
        "muddiest_fields": fields_html(forms.get("muddiest_form"), MuddiestPointForm),
        "resource_form": forms.get("resource_form"),  # sent with errors: opened
        "resource_fields": fields_html(forms.get("resource_form"), SharedResourceForm),
        "feedback_form": feedback_form,
    }
    if can_facilitate:
        context["feedback_summary"] = Feedback.objects.filter(week=week).aggregate(
            responses=Count("pk"), overall=Avg("overall")
        )
    return context


def week_section(request, access, week):
    """Registered with cohorts.pages.week_sections: muddiest points, discussion points,
    shared resources and feedback on the week page."""
    return render_to_string(
        "discussions/_week_section.html",
        week_section_context(request, access, week),
        request=request,
    )


def feedback_prompt(request, access, week):
    """Registered with cohorts.pages.week_sections (first): on a week whose session is still
    to come, "How was Week 4? Rate it" while this participant has not rated the last one."""
    if not access.is_participant or session_started(week):
        return None
    due = feedback_due(access.cohort, request.user, before=week)
    if due is None:
        return None
    return render_to_string(
        "discussions/_feedback_prompt.html", {"cohort": access.cohort, "due": due}, request=request
    )


def cohort_feedback_prompt(request, access):
    """Registered with cohorts.pages.cohort_notices: the same prompt on the cohort page."""
    if not access.is_participant:
        return None
    due = feedback_due(access.cohort, request.user)
    if due is None:
        return None
    return render_to_string(
        "discussions/_feedback_prompt.html", {"cohort": access.cohort, "due": due}, request=request
    )


def back_to_week(week, anchor="discussions"):
    return redirect(f"{week.get_absolute_url()}#{anchor}")


def wanted(request):
    """The state a +1 or upvote button asks for (on=1, on=0), so that a double click is
    the same click twice; None (toggle) when a form does not say."""
    return {"1": True, "0": False}.get(request.POST.get("on"))


def is_htmx(request):
    return request.headers.get("HX-Request") == "true"


def form_trouble(request, access, week, template, extra=None, **forms):
    """A form came back with errors: re-render the section (htmx) or the form's own page."""
    if is_htmx(request):
        html = render_to_string(
            "discussions/_week_section.html",
            week_section_context(request, access, week, **forms),
            request=request,
        )
        return HttpResponse(html)
    return render(
        request,
        template,
        {"access": access, "cohort": access.cohort, "week": week, **(extra or {}), **forms},
    )


def add_to_week(request, access, number, *, form_class, form_name, template, author_field, anchor):
    """A member adds something to a week (a muddiest point, a shared link): the form's own
    page without JS, the week page's section with htmx; errors come back where it was sent."""
    week = visible_week(access, number)
    form = form_class(request.POST or None)
    if request.method == "POST":
        if form.is_valid():
            form.instance.week = week
            setattr(form.instance, author_field, request.user)
            form.save()
            return back_to_week(week, anchor)
        return form_trouble(request, access, week, template, **{form_name: form})
    return render(
        request,
        template,
        {"access": access, "cohort": access.cohort, "week": week, form_name: form},
    )


@cohort_view(MEMBER)
def muddiest_add(request, access, number):
    return add_to_week(
        request,
        access,
        number,
        form_class=MuddiestPointForm,
        form_name="muddiest_form",
        template="discussions/muddiest_form.html",
        author_field="author",
        anchor="muddiest",
    )


@cohort_view(MEMBER)
@require_POST
def muddiest_vote(request, access, number, muddiest_id):
    week = visible_week(access, number)
    point = get_object_or_404(MuddiestPoint, pk=muddiest_id, week=week)
    point.toggle_vote(request.user, wanted(request))
    return back_to_week(week, f"muddiest-{point.pk}")


@cohort_view(MEMBER)
def muddiest_delete(request, access, number, muddiest_id):
    week = visible_week(access, number)
    point = get_object_or_404(MuddiestPoint, pk=muddiest_id, week=week)
    if not access.can_remove(point):
        raise PermissionDenied("Only its author or a facilitator can remove this.")
    if request.method == "POST":
        point.delete()
        return back_to_week(week, "muddiest")
    return render(
        request,
        "discussions/confirm_delete.html",
        {
            "access": access,
            "cohort": access.cohort,
            "week": week,
            "what": "this muddiest point",
            "quote": point.text,
            "cancel_url": f"{week.get_absolute_url()}#muddiest",
        },
    )


@cohort_view(FACILITATOR)
@require_POST
def muddiest_promote(request, access, number, muddiest_id):
    week = visible_week(access, number)
    point = get_object_or_404(MuddiestPoint, pk=muddiest_id, week=week)
    point.make_discussion_point(by=request.user)
    if request.POST.get("next") == "session":
        return redirect(session_url(week, "muddiest"))
    return back_to_week(week, f"muddiest-{point.pk}")


def session_url(week, anchor="", room=None):
    url = reverse("discussions:session", args=[week.cohort.slug, week.number]) + room_query(room)
    return f"{url}#{anchor}" if anchor else url


@cohort_view(MEMBER)
def resource_add(request, access, number):
    return add_to_week(
        request,
        access,
        number,
        form_class=SharedResourceForm,
        form_name="resource_form",
        template="discussions/resource_form.html",
        author_field="shared_by",
        anchor="resources",
    )


@cohort_view(MEMBER)
@require_POST
def resource_upvote(request, access, number, resource_id):
    week = visible_week(access, number)
    resource = get_object_or_404(SharedResource, pk=resource_id, week=week)
    resource.toggle_upvote(request.user, wanted(request))
    return back_to_week(week, f"resource-{resource.pk}")


@cohort_view(ORGANIZER)
@require_POST
def resource_pin(request, access, number, resource_id):
    week = visible_week(access, number)
    resource = get_object_or_404(SharedResource, pk=resource_id, week=week)
    resource.pinned = not resource.pinned
    resource.save(update_fields=["pinned"])
    return back_to_week(week, f"resource-{resource.pk}")


@cohort_view(ORGANIZER)
def resource_remove(request, access, number, resource_id):
    week = visible_week(access, number)
    resource = get_object_or_404(SharedResource, pk=resource_id, week=week)
    if request.method == "POST":
        resource.delete()
        messages.success(request, f"Removed “{resource.title}”.")
        return back_to_week(week, "resources")
    return render(
        request,
        "discussions/confirm_delete.html",
        {
            "access": access,
            "cohort": access.cohort,
            "week": week,
            "what": f"“{resource.title}”",
            "quote": resource.url,
            "detail": "Its upvotes go with it. Participants will no longer see it.",
            "cancel_url": f"{week.get_absolute_url()}#resources",
        },
    )


@cohort_view(MEMBER)
def feedback(request, access, number):
    """One response per participant and week, editable; open once the session has started."""
    week = visible_week(access, number)
    existing = Feedback.objects.filter(week=week, user=request.user).first()
    form = FeedbackForm(request.POST or None, instance=existing)
    can_answer = access.can_give_feedback(week)
    if request.method == "POST":
        if not can_answer:
            raise PermissionDenied(
                "Feedback is for participants who had joined, once the session has started."
            )
        if form.is_valid():
            # One response per person and week, however many arrive at once.
            Feedback.objects.update_or_create(
                week=week, user=request.user, defaults=form.cleaned_data
            )
            # From the week page, htmx swaps the section in place; from this page (where
            # "Rate it" leads), the browser goes to the week page.
            on_this_page = urlsplit(request.headers.get("HX-Current-URL", "")).path == request.path
            if not is_htmx(request) or on_this_page:
                messages.success(request, "Thank you — your feedback is saved.")
            if is_htmx(request) and on_this_page:
                return HttpResponse(headers={"HX-Redirect": f"{week.get_absolute_url()}#feedback"})
            return back_to_week(week, "feedback")
        return form_trouble(
            request,
            access,
            week,
            "discussions/feedback_form.html",
            extra={"can_answer": True, "feedback": existing},
            feedback_form=form,
        )
    return render(
        request,
        "discussions/feedback_form.html",
        {
            "access": access,
            "cohort": access.cohort,
            "week": week,
            "feedback_form": form,
            "feedback": existing,
            "can_answer": can_answer,
            "session_started": session_started(week),
        },
    )


# --- Feedback results -------------------------------------------------------------------------


@cohort_view(FACILITATOR)
def feedback_results(request, access):
    from . import charts

    cohort = access.cohort
    rows, previous_run = survey.results(cohort, timezone.now())
    participants = Membership.objects.active().filter(cohort=cohort, role=Role.PARTICIPANT).count()
    answered = [row for row in rows if row.responses]
    comments = []
    if access.can_manage:
        comments = list(
            Feedback.objects.filter(week__cohort=cohort)
            .exclude(comment="")
            .select_related("week__cohort")
            .order_by("-week__number", "-updated_at")
        )
    with_previous = previous_run is not None
    return render(
        request,
        "discussions/feedback_results.html",
        {
            "access": access,
            "cohort": cohort,
            "rows": rows,
            "table": [(row, row.cells(with_previous)) for row in rows],
            "headers": survey.result_headers(with_previous),
            "previous_run": previous_run,
            "answered": answered,
            "participants": participants,
            "chart": charts.trend_chart(
                [{"week": row.week, **row.averages} for row in answered], RATINGS
            ),
            "comments": comments,
            "settings_form": SurveySettingsForm(instance=SurveySettings.of(cohort))
            if access.can_manage
            else None,
        },
    )


def csv_safe(text):
    # A name starting with = + - @ (or a tab, CR or space before one) would run as a formula
    # in a spreadsheet.
    return f"'{text}" if text[:1] in ("=", "+", "-", "@", "\t", "\r", " ") else text


@cohort_view(FACILITATOR)
def feedback_csv(request, access):
    """The results table as CSV: the same rows and cells as the page."""
    cohort = access.cohort
    rows, previous_run = survey.results(cohort, timezone.now())
    with_previous = previous_run is not None
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{cohort.slug}-feedback.csv"'
    writer = csv.writer(response)
    writer.writerow(survey.result_headers(with_previous))
    for row in rows:
        writer.writerow(spreadsheet_safe(cell) for cell in row.cells(with_previous))
    return response


def spreadsheet_safe(cell):
    """A cell a spreadsheet would run as a formula gets a leading apostrophe."""
    return f"'{cell}" if cell[:1] in ("=", "+", "-", "@") else cell


@cohort_view(ORGANIZER)
@require_POST
def survey_settings(request, access):
    cohort = access.cohort
    instance = SurveySettings.of(cohort)
    form = SurveySettingsForm(request.POST, instance=instance)
    if form.is_valid():
        # One row per cohort, however many saves arrive at once.
        SurveySettings.objects.update_or_create(
            cohort=cohort,
            defaults={"prompts": form.cleaned_data["prompts"], "nudge": form.cleaned_data["nudge"]},
        )
        messages.success(request, "Survey email settings saved.")
    return redirect("discussions:feedback_results", slug=cohort.slug)


# --- The facilitator's session page -------------------------------------------------------------


def session_context(request, access, week, room=None, rooms=(), **forms):
    """The session page for one room (room None: a cohort without rooms)."""
    participants = Membership.objects.active_participants(access.cohort).annotate(
        attendance_status=Subquery(
            Attendance.objects.filter(week=week, user=OuterRef("user_id")).values("status")[:1]
        ),
        # The cohort's setting rides on every row: no query of its own.
        self_check_in=Exists(
            CohortSessionOptions.objects.filter(cohort=OuterRef("cohort"), self_check_in=True)
        ),
    )
    memberships = list(progress.with_week_status(participants, week))
    # (Shown with the attendance list only, so only when there is someone to list.)
    self_check_in = bool(memberships) and memberships[0].self_check_in
    marks = {m.user_id: m.attendance_status for m in memberships if m.attendance_status}
    if room is not None:
        placement = Room.objects.placement(access.cohort.pk, memberships)
        memberships = [m for m in memberships if placement.get(m.user_id) == room.pk]
    # Who counts as here is decided room by room.
    present_ids = {m.user_id for m in present_among(memberships, marks)}
    groups = list(
        PairGroup.objects.filter(pairing__week=week, pairing__room=room).select_related(
            "pairing", "person_a", "person_b", "person_c"
        )
    )
    week_pairing = (
        groups[0].pairing if groups else Pairing.objects.filter(week=week, room=room).first()
    )
    statuses = {m.user_id: progress.status_of(m) for m in memberships}
    changes = {"absent_but_paired": [], "present_but_unpaired": []}
    paired_people = []
    if week_pairing:
        paired_people = sorted(
            (user for group in groups for _, user in group.members),
            key=lambda user: (user.name.lower(), user.email),
        )
        paired_ids = {user.pk for user in paired_people}
        changes["absent_but_paired"] = [u for u in paired_people if u.pk not in present_ids]
        changes["present_but_unpaired"] = [
            m.user for m in memberships if m.user_id in present_ids - paired_ids
        ]
    for group in groups:
        group.roster = [(letter, user, statuses.get(user.pk)) for letter, user in group.members]
    prompts = list(week.pair_prompts.all())
    points = list(
        week.discussion_points.annotate(
            visible=Exists(
                SessionSettings.objects.filter(week=OuterRef("week"), points_visible=True)
            )
        )
    )
    plan, overrun = sheets.timing_plan(week, prompts, any(g.person_c_id for g in groups))
    # Reversed once, not once per participant: ".../session/attendance/<user_id>/".
    mark_prefix = reverse(
        "discussions:attendance_mark", args=[access.cohort.slug, week.number, 0]
    ).removesuffix("0/")
    counts = Counter(marks.get(m.user_id, UNMARKED) for m in memberships)
    return {
        "access": access,
        "cohort": access.cohort,
        "week": week,
        "room": room,
        "rooms": rooms,
        "room_query": room_query(room),
        "attendance": [
            (m, marks.get(m.user_id, UNMARKED), f"{mark_prefix}{m.user_id}/") for m in memberships
        ],
        "attendance_counts": [
            (label, counts[status])
            for status, label in (*AttendanceStatus.choices, (UNMARKED, "Unmarked"))
            if counts[status]
        ],
        "unmarked_count": counts[UNMARKED],
        "self_check_in": self_check_in,
        "present_count": len(present_ids),
        "pairing": week_pairing,
        "groups": groups,
        "changes": changes,
        "swap_form": forms.get("swap_form") or SwapForm(people=paired_people),
        "discussion_points": points,
        "points_visible": points[0].visible if points else SessionSettings.points_visible_for(week),
        "point_form": forms.get("point_form") or DiscussionPointForm(),
        "prompts": prompts,
        "prompt_form": forms.get("prompt_form") or PairPromptForm(),
        "muddiest_points": list(week.muddiest_points.ranked().select_related("discussion_point")),
        "notes_form": forms.get("notes_form") or FacilitatorNotesForm(instance=week),
        "plan": plan,
        "overrun": overrun,
        "changeover_minutes": sheets.CHANGEOVER_MINUTES,
    }


@cohort_view(FACILITATOR)
def session(request, access, number):
    week = visible_week(access, number)
    room, rooms = rooms_for(access, request.GET.get("room"))
    return render(
        request, "discussions/session.html", session_context(request, access, week, room, rooms)
    )


@cohort_view(FACILITATOR)
@require_POST
def attendance_mark(request, access, number, user_id):
    """Tap a name: present, absent, excused, or back to unmarked (the status posted, so a
    double tap is the same tap twice). Any time, during the session or after the fact."""
    week = visible_week(access, number)
    membership = get_object_or_404(
        # user__pk, not user_id: a number beyond the column's range then matches nothing.
        Membership.objects.active(),
        cohort=access.cohort,
        user__pk=user_id,
        role=Role.PARTICIPANT,
    )
    room, rooms = rooms_for(access, request.POST.get("room"))
    if rooms and Room.objects.placement(access.cohort.pk, [membership]).get(
        membership.user_id
    ) not in {r.pk for r in rooms}:
        raise Http404("Not in a room you run.")
    status = request.POST.get("status", "")
    if status not in ATTENDANCE_CHOICES:
        return HttpResponseBadRequest("Attendance is present, absent, excused or unmarked.")
    Attendance.mark(week, membership.user, status, by=request.user)
    return redirect(session_url(week, "attendance", room))


@cohort_view(FACILITATOR)
@require_POST
def attendance_everyone(request, access, number):
    """Everyone not marked yet is present."""
    week = visible_week(access, number)
    user_ids = Membership.objects.active_participants(access.cohort).values_list(
        "user_id", flat=True
    )
    room, _ = rooms_for(access, request.POST.get("room"))
    if room is not None:
        placement = Room.objects.placement(access.cohort.pk)
        user_ids = [pk for pk in user_ids if placement.get(pk) == room.pk]
    Attendance.mark_present(week, list(user_ids), request.user)
    return redirect(session_url(week, "attendance", room))


@cohort_view(FACILITATOR)
@require_POST
def self_check_in_setting(request, access, number):
    week = visible_week(access, number)
    CohortSessionOptions.set_self_check_in(access.cohort, request.POST.get("allowed") == "1")
    room, _ = rooms_for(access, request.POST.get("room"))
    return redirect(session_url(week, "attendance", room))


@cohort_view(MEMBER)
@require_POST
def check_in(request, access, number):
    """A participant's "I'm here": only their own, in the session window, where allowed."""
    week = visible_week(access, number)
    allowed = CohortSessionOptions.self_check_in_for(access.cohort.pk)
    if not access.can_check_in(week, allowed):
        raise PermissionDenied("Self check-in is not open for this session.")
    Attendance.mark(week, request.user, AttendanceStatus.PRESENT, by=request.user)
    return back_to_week(week, "my-session")


@cohort_view(FACILITATOR)
def attendance_csv(request, access):
    """Every participant × every session held so far: present, absent, excused or blank."""
    weeks, rows = attendance_table(access.cohort)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{access.cohort.slug}-attendance.csv"'
    writer = csv.writer(response)
    writer.writerow(["Participant", "Email", *(week.label for week in weeks), "Attended"])
    for membership, statuses in rows:
        user = membership.user
        writer.writerow(
            [
                csv_safe(user.display_name),
                csv_safe(user.email),
                *statuses,
                sum(status == AttendanceStatus.PRESENT for status in statuses),
            ]
        )
    return response


@cohort_view(FACILITATOR)
@require_POST
def pairs_generate(request, access, number):
    week = visible_week(access, number)
    room, _ = rooms_for(access, request.POST.get("room"))
    result = pairing.generate(week, by=request.user, room=room)
    if result.locked:
        messages.error(request, "The pairs are locked. Unlock them to generate new ones.")
    if request.POST.get("next") == "print":
        url = reverse("discussions:pairs_print", args=[access.cohort.slug, week.number])
        return redirect(url + room_query(room))
    return redirect(session_url(week, "pairs", room))


@cohort_view(FACILITATOR)
@require_POST
def pairs_swap(request, access, number):
    week = visible_week(access, number)
    room, rooms = rooms_for(access, request.POST.get("room"))
    week_pairing = get_object_or_404(Pairing, week=week, room=room)
    people = [user for group in week_pairing.groups.all() for _, user in group.members]
    form = SwapForm(request.POST, people=people)
    if not form.is_valid():
        context = session_context(request, access, week, room, rooms, swap_form=form)
        # htmx swaps nothing in on a 4xx answer, which would hide the error from the facilitator.
        status = 200 if is_htmx(request) else 400
        return render(request, "discussions/session.html", context, status=status)
    if not week_pairing.swap(form.cleaned_data["first"], form.cleaned_data["second"]):
        messages.error(request, "The pairs are locked. Unlock them to swap people.")
    return redirect(session_url(week, "pairs", room))


@cohort_view(FACILITATOR)
@require_POST
def pairs_lock(request, access, number):
    week = visible_week(access, number)
    room, _ = rooms_for(access, request.POST.get("room"))
    week_pairing = get_object_or_404(Pairing, week=week, room=room)
    week_pairing.locked = request.POST.get("locked") == "1"
    week_pairing.save(update_fields=["locked"])
    return redirect(session_url(week, "pairs", room))


@cohort_view(FACILITATOR)
def facilitator_notes(request, access, number):
    week = visible_week(access, number)
    form = FacilitatorNotesForm(request.POST or None, instance=week)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, "Facilitator notes saved.")
        return redirect(session_url(week, "notes"))
    return render(
        request,
        "discussions/notes_form.html",
        {"access": access, "cohort": access.cohort, "week": week, "notes_form": form},
        status=form_status(form),
    )


@cohort_view(FACILITATOR)
@require_POST
def points_visibility(request, access, number):
    week = visible_week(access, number)
    SessionSettings.set_points_visible(week, request.POST.get("visible") == "1")
    return redirect(session_url(week, "points"))


# Discussion points and pair prompts: the same add / edit / move / delete, two models.
EDITABLE = {
    "point": (DiscussionPoint, DiscussionPointForm, "point_form", "points", "discussion point"),
    "prompt": (PairPrompt, PairPromptForm, "prompt_form", "prompts", "pair prompt"),
}


def _add(request, access, number, kind):
    model, form_class, form_name, anchor, label = EDITABLE[kind]
    week = visible_week(access, number)
    form = form_class(request.POST or None)
    if request.method == "POST" and form.is_valid():
        form.instance.week = week
        if kind == "point":
            form.instance.created_by = request.user
        form.save()
        return redirect(session_url(week, anchor))
    return render(
        request,
        "discussions/item_form.html",
        {
            "access": access,
            "cohort": access.cohort,
            "week": week,
            "form": form,
            "label": label,
            "cancel_url": session_url(week, anchor),
        },
        status=form_status(form),
    )


def _edit(request, access, number, kind, item_id):
    model, form_class, form_name, anchor, label = EDITABLE[kind]
    week = visible_week(access, number)
    item = get_object_or_404(model, pk=item_id, week=week)
    form = form_class(request.POST or None, instance=item)
    if request.method == "POST" and form.is_valid():
        form.save()
        return redirect(session_url(week, anchor))
    return render(
        request,
        "discussions/item_form.html",
        {
            "access": access,
            "cohort": access.cohort,
            "week": week,
            "form": form,
            "item": item,
            "label": label,
            "cancel_url": session_url(week, anchor),
        },
        status=form_status(form),
    )


def _move(request, access, number, kind, item_id):
    model, _, _, anchor, _ = EDITABLE[kind]
    week = visible_week(access, number)
    item = get_object_or_404(model, pk=item_id, week=week)
    item.move("up" if request.POST.get("direction") == "up" else "down")
    return redirect(session_url(week, anchor))


def _delete(request, access, number, kind, item_id):
    model, _, _, anchor, label = EDITABLE[kind]
    week = visible_week(access, number)
    item = get_object_or_404(model, pk=item_id, week=week)
    if request.method == "POST":
        item.delete()
        return redirect(session_url(week, anchor))
    return render(
        request,
        "discussions/confirm_delete.html",
        {
            "access": access,
            "cohort": access.cohort,
            "week": week,
            "what": f"this {label}",
            "quote": str(item),
            "cancel_url": session_url(week, anchor),
        },
    )


@cohort_view(FACILITATOR)
def point_add(request, access, number):
    return _add(request, access, number, "point")


@cohort_view(FACILITATOR)
def point_edit(request, access, number, point_id):
    return _edit(request, access, number, "point", point_id)


@cohort_view(FACILITATOR)
@require_POST
def point_move(request, access, number, point_id):
    return _move(request, access, number, "point", point_id)


@cohort_view(FACILITATOR)
def point_delete(request, access, number, point_id):
    return _delete(request, access, number, "point", point_id)


@cohort_view(FACILITATOR)
def prompt_add(request, access, number):
    return _add(request, access, number, "prompt")


@cohort_view(FACILITATOR)
def prompt_edit(request, access, number, prompt_id):
    return _edit(request, access, number, "prompt", prompt_id)


@cohort_view(FACILITATOR)
@require_POST
def prompt_move(request, access, number, prompt_id):
    return _move(request, access, number, "prompt", prompt_id)


@cohort_view(FACILITATOR)
def prompt_delete(request, access, number, prompt_id):
    return _delete(request, access, number, "prompt", prompt_id)


# --- Sheets and the room timer --------------------------------------------------------------


def sheets_context(access, week, paper, room=None):
    week_pairing = Pairing.objects.filter(week=week, room=room).first()
    groups = []
    if week_pairing:
        groups = list(
            week_pairing.groups.select_related("person_a", "person_b", "person_c").order_by(
                "number"
            )
        )
    prompts = list(week.pair_prompts.all())
    plan, overrun = sheets.timing_plan(week, prompts, any(g.person_c_id for g in groups))
    return {
        "access": access,
        "cohort": access.cohort,
        "week": week,
        "pairing": week_pairing,
        "sheets": sheets.sheets_for(groups, prompts),
        "prompts": prompts,
        "discussion_points": list(week.discussion_points.all()),
        "plan": plan,
        "overrun": overrun,
        "paper": paper,
        "other_paper": "letter" if paper == "a4" else "a4",
        "room": room,
        "room_query": room_query(room),
    }


@cohort_view(FACILITATOR)
def pairs_print(request, access, number):
    week = visible_week(access, number)
    room, _ = rooms_for(access, request.GET.get("room"))
    paper = sheets.paper_for(access.cohort, request.GET.get("paper"))
    return render(
        request, "discussions/pairs_print.html", sheets_context(access, week, paper, room)
    )


@cohort_view(FACILITATOR)
def pairs_pdf(request, access, number):
    week = visible_week(access, number)
    room, _ = rooms_for(access, request.GET.get("room"))
    paper = sheets.paper_for(access.cohort, request.GET.get("paper"))
    pdf = sheets.render_pdf(
        "discussions/pairs_print.html", sheets_context(access, week, paper, room), paper
    )
    response = HttpResponse(pdf, content_type="application/pdf")
    where = f"-room-{room.pk}" if room is not None else ""
    filename = f"{access.cohort.slug}-week-{week.number}{where}-pairs.pdf"
    disposition = "inline" if request.GET.get("inline") else "attachment"
    response["Content-Disposition"] = f'{disposition}; filename="{filename}"'
    return response


# --- Rooms, the shared timer and "My session" -----------------------------------------------


def rooms_for(access, wanted=None):
    """(the room to work in, the rooms this facilitator runs) — (None, []) for a cohort
    without rooms. `wanted` is a room id from the URL: another cohort's room, a room this
    facilitator does not run, or anything not a number is "not found". Without one, the
    room they lead (or the first they run)."""
    rooms = list(Room.objects.filter(cohort=access.cohort))
    if not rooms:
        if wanted:
            raise Http404("No such room.")
        return None, []
    leads = any(room.facilitator_id == access.user_id for room in rooms)
    allowed = [room for room in rooms if access.can_run_room(room.facilitator_id, leads)]
    if wanted:
        room = next((room for room in allowed if str(room.pk) == str(wanted)), None)
        if room is None:
            raise Http404("No such room.")
        return room, allowed
    own = [room for room in allowed if room.facilitator_id == access.user_id]
    return (own or allowed)[0], allowed


def room_query(room):
    return f"?room={room.pk}" if room is not None else ""


def room_timer_context(week, room):
    """The room's turns as the timer calls them out, and their lengths in seconds."""
    prompts = list(week.pair_prompts.all())
    groups = list(PairGroup.objects.filter(pairing__week=week, pairing__room=room))
    has_trio = any(group.person_c_id for group in groups)
    turns = sheets.room_turns(prompts, has_trio)
    return turns, [turn.seconds for turn in turns]


@cohort_view(FACILITATOR)
def timer(request, access, number):
    """The room timer. Its state is the room's shared timer: this page changes it (keys or
    buttons; forms without JavaScript) and follows changes made on any other."""
    week = visible_week(access, number)
    room, rooms = rooms_for(access, request.GET.get("room"))
    turns, _ = room_timer_context(week, room)
    state = live.timer_state(week.pk, room.pk if room else None)
    current = min(state.turn, max(len(turns) - 1, 0))
    token = live.poll_token(access.membership.pk, week.pk, room.pk if room else None)
    return render(
        request,
        "discussions/timer.html",
        {
            "access": access,
            "cohort": access.cohort,
            "week": week,
            "room": room,
            "rooms": rooms,
            "room_query": room_query(room),
            "turns": turns,
            "state": state,
            "current": current,
            "clock_left": live.clock(state.seconds_left(turns[current].seconds) if turns else 0),
            "ends_at_ms": state.as_json()["ends_at"],
            "poll_url": reverse("live_poll", args=[token]),
            "stream_url": reverse("live_events", args=[token]),
            "server_now": int(timezone.now().timestamp() * 1000),
        },
    )


@cohort_view(FACILITATOR)
@require_POST
def timer_control(request, access, number):
    """Start, pause, next, back or restart the room's shared timer. JSON for the timer
    page's script; without JavaScript, back to the timer page."""
    week = visible_week(access, number)
    room, _ = rooms_for(access, request.POST.get("room"))
    action = request.POST.get("action", "")
    if action not in live.ACTIONS:
        return HttpResponseBadRequest("The timer knows start, pause, next, previous and reset.")
    _, turn_seconds = room_timer_context(week, room)
    state = live.control(week, room, action, turn_seconds)
    if request.headers.get("Accept") == "application/json":
        return JsonResponse(state.as_json())
    url = reverse("discussions:timer", args=[access.cohort.slug, week.number])
    return redirect(url + room_query(room))


def followed_or_404(token):
    followed = live.followed(token)
    if followed is None:
        raise Http404("No such session.")
    return followed


@require_GET
def live_poll(request, token):
    """Where the room's timer is, for pages that follow it: one query, 304 while nothing
    changed (ETag). The address is signed for one member and room (live.poll_token);
    no session is read."""
    _, state = followed_or_404(token)
    if request.headers.get("If-None-Match") == state.etag:
        response = HttpResponseNotModified()
    else:
        response = JsonResponse(state.as_json())
    response["ETag"] = state.etag
    if state.updated_at is not None:
        response["Last-Modified"] = http_date(state.updated_at.timestamp())
    # Ask again every time; a shared cache keeps nothing (the address is personal).
    response["Cache-Control"] = "private, no-cache"
    return response


@require_GET
def live_events(request, token):
    """The room's timer as server-sent events (live_stream): its state now and on every
    change, on one open connection instead of a poll every two seconds. Only a threaded
    server can hold streams, and a process at most LIVE_STREAMS_PER_PROCESS: otherwise 204,
    and the page polls (live_poll). Same address, same check as the poll."""
    room, state = followed_or_404(token)
    if not request.META.get("wsgi.multithread"):
        return HttpResponse(status=204)
    # The stream holds a thread, not a database connection: the hub reads for everyone.
    connection.close()
    stream = live_stream.hub.follow(room, state)
    if stream is None:
        return HttpResponse(status=204)
    response = StreamingHttpResponse(stream, content_type="text/event-stream")
    response["Cache-Control"] = "private, no-cache"
    response["X-Accel-Buffering"] = "no"  # a proxy passes each event on at once
    return response


def my_session_section(request, access, week):
    """Registered with cohorts.pages.week_sections (first): during the session window, a
    participant's table, partner, prompt and whose turn it is, following the shared timer."""
    if not access.sees_my_session(week):
        return None
    return render_to_string(
        "discussions/_my_session.html", my_session_context(request, access, week), request=request
    )


def my_session_context(request, access, week):
    mine = live.my_session(week, request.user, access.membership.pk)
    allowed = CohortSessionOptions.self_check_in_for(access.cohort.pk)
    return {
        "cohort": access.cohort,
        "week": week,
        "mine": mine,
        "poll_url": reverse("live_poll", args=[mine.poll_token]),
        "stream_url": reverse("live_events", args=[mine.poll_token]),
        "server_now": int(timezone.now().timestamp() * 1000),
        "can_check_in": access.can_check_in(week, allowed),
        "checked_in": allowed
        and Attendance.objects.filter(week=week, user=request.user, status="present").exists(),
        # (Only asked where self check-in is on.)
    }


def session_today(week, now=None):
    """Is the week's session later today on the cohort's clock, or under way now (one that
    began before midnight still runs)?"""
    now = now or timezone.now()
    if in_session_window(week, now):
        return True
    cohort = week.cohort
    return cohort.local(week.session_start).date() == cohort.local(now).date() and (
        now <= week.session_end
    )


def run_session_lead(request, access, week):
    """Registered with cohorts.pages.week_sections (first): on the session day, the
    facilitator's week page leads with "Run today's session" — the session page, where
    tapping the absent and one button make and print the sheets."""
    if not access.can_facilitate or not session_today(week):
        return None
    return render_to_string(
        "discussions/_run_session.html",
        {"cohort": access.cohort, "week": week},
        request=request,
    )


def run_session_home_lines(request, summaries):
    """Registered with cohorts.pages.home_lines: on My cohorts, "Run today's session" for
    a cohort I facilitate whose session is today; for a participant whose session is on
    now, their table and partner, linking to My session. One query at most."""
    lines = {}
    live_weeks = {}
    for summary in summaries:
        week = summary.next_week
        if week is None or summary.access.membership is None:
            continue
        if summary.access.can_facilitate and session_today(week):
            url = reverse("discussions:session", args=[week.cohort.slug, week.number])
            lines[week.cohort_id] = format_html(
                '<a class="button" href="{}">Run today’s session</a>', url
            )
        elif summary.access.sees_my_session(week):
            live_weeks[week.pk] = week
    if live_weeks:
        user = request.user
        groups = {
            group.pairing.week_id: group
            for group in PairGroup.objects.filter(pairing__week__in=live_weeks)
            .filter(Q(person_a=user) | Q(person_b=user) | Q(person_c=user))
            .select_related("pairing", "person_a", "person_b", "person_c")
        }
        for week_id, week in live_weeks.items():
            url = f"{week.get_absolute_url()}#my-session"
            group = groups.get(week_id)
            if group is None:
                text = "Your session is on — pairs are made when it starts"
            else:
                others = [u.display_name for _, u in group.members if u.pk != user.pk]
                text = f"Your session is on: table {group.number} — you and {' and '.join(others)}"
            lines[week.cohort_id] = format_html('<a href="{}">{}</a>', url, text)
    return lines


# --- Rooms (organizers) ---------------------------------------------------------------------


def rooms_url(access, anchor=""):
    url = reverse("discussions:rooms", args=[access.cohort.slug])
    return f"{url}#{anchor}" if anchor else url


@cohort_view(ORGANIZER)
def rooms(request, access):
    """The cohort's rooms and who sits where. A cohort without rooms meets as one."""
    cohort = access.cohort
    form = RoomForm(request.POST or None, cohort=cohort)
    if request.method == "POST" and form.is_valid():
        form.instance.cohort = cohort
        form.instance.order = Room.objects.filter(cohort=cohort).count()
        try:
            with transaction.atomic():
                form.save()
        except IntegrityError:
            pass  # the same room from a second click: it is there
        else:
            messages.success(request, f"Room “{form.instance.name}” added.")
        return redirect(rooms_url(access))
    cohort_rooms = list(Room.objects.filter(cohort=cohort).select_related("facilitator"))
    placement = Room.objects.placement(cohort.pk)
    participants = list(Membership.objects.active_participants(cohort))
    counts = Counter(placement.values())
    for room in cohort_rooms:
        room.count = counts[room.pk]
    return render(
        request,
        "discussions/rooms.html",
        {
            "access": access,
            "cohort": cohort,
            "rooms": cohort_rooms,
            "form": form,
            "people": [(m, placement.get(m.user_id)) for m in participants],
        },
        status=form_status(form),
    )


@cohort_view(ORGANIZER)
def room_edit(request, access, room_id):
    room = get_object_or_404(Room, pk=room_id, cohort=access.cohort)
    form = RoomForm(request.POST or None, instance=room, cohort=access.cohort)
    if request.method == "POST" and form.is_valid():
        form.save()
        return redirect(rooms_url(access))
    return render(
        request,
        "discussions/room_form.html",
        {
            "access": access,
            "cohort": access.cohort,
            "form": form,
            "item": room,
            "label": "room",
            "cancel_url": rooms_url(access),
        },
        status=form_status(form),
    )


@cohort_view(ORGANIZER)
def room_delete(request, access, room_id):
    room = get_object_or_404(Room, pk=room_id, cohort=access.cohort)
    if request.method == "POST":
        room.delete()
        return redirect(rooms_url(access))
    return render(
        request,
        "discussions/confirm_delete.html",
        {
            "access": access,
            "cohort": access.cohort,
            "what": "this room",
            "quote": room.name,
            "detail": "Its people move to the first room; its pairs and timer go.",
            "cancel_url": rooms_url(access),
        },
    )


@cohort_view(ORGANIZER)
@require_POST
def room_place(request, access):
    """Put one participant in a room, by hand."""
    membership = get_object_or_404(
        Membership.objects.active(),
        pk=parse_id(request.POST.get("member")),
        cohort=access.cohort,
        role=Role.PARTICIPANT,
    )
    room = get_object_or_404(Room, pk=parse_id(request.POST.get("room")), cohort=access.cohort)
    rooms_module.place(membership, room)
    return redirect(rooms_url(access, "people"))


@cohort_view(ORGANIZER)
@require_POST
def rooms_split(request, access):
    """Split everyone evenly across the rooms, mixing experience levels."""
    counts = rooms_module.split_evenly(access.cohort)
    if counts:
        messages.success(
            request,
            "Everyone is placed: "
            + ", ".join(
                f"{room.name} {counts[room.pk]}"
                for room in Room.objects.filter(cohort=access.cohort)
            )
            + ".",
        )
    return redirect(rooms_url(access, "people"))


def parse_id(value):
    """A row id from a form, or 0 (found by nothing) when it is not a small number."""
    return int(value) if value and value.isdigit() and len(value) <= 9 else 0


# --- The facilitator guide -------------------------------------------------------------------


@cohort_view(FACILITATOR)
def guide(request, access):
    """The whole course for whoever facilitates it next: per week the session, facilitator
    notes, discussion points and pair prompts. Printable, one week per page."""
    cohort = access.cohort
    weeks = cohort.weeks.prefetch_related("discussion_points", "pair_prompts")
    return render(
        request, "discussions/guide.html", {"access": access, "cohort": cohort, "weeks": weeks}
    )


# --- The survey link from the email (no sign-in: the signed token is the key) ----------------


@never_cache
def survey_link(request, token):
    """A one-tap rating link: GET shows the survey prefilled (mail scanners open links, so a
    GET saves nothing); the person's POST saves, once per person and session, editable until
    the next session starts."""
    try:
        week, membership = survey.from_token(token)
    except survey.BadLink as bad:
        return render(request, "discussions/survey.html", {"problem": str(bad)}, status=bad.status)
    cohort = week.cohort
    context = {"week": week, "cohort": cohort, "membership": membership}
    now = timezone.now()
    found = survey.window(week)
    problem, status = None, 200
    if request.user.is_authenticated and request.user.pk != membership.user_id:
        problem, status = (
            "This survey link was sent to someone else; it cannot be used from your account.",
            403,
        )
    elif not joined_before(membership.joined_at, week):
        problem, status = (
            f"{week.label} was held before you joined, so it is not yours to rate.",
            410,
        )
    elif now < week.session_start:
        problem, status = f"{week.label} has not started yet.", 409
    elif now >= found.closes:
        problem, status = (
            f"The survey for {week.label} closed on "
            f"{dates.when(found.closes, cohort)} ({cohort.time_zone}).",
            410,
        )
    if problem:
        return render(
            request, "discussions/survey.html", {**context, "problem": problem}, status=status
        )
    feedback = Feedback.objects.filter(week=week, user_id=membership.user_id).first()
    picked = survey.ratings_from_query(request.GET)
    saved = False
    if request.method == "POST":
        form = FeedbackForm(request.POST, instance=feedback)
        if form.is_valid():
            # One response per person and session, however many POSTs arrive at once.
            feedback, _ = Feedback.objects.update_or_create(
                week=week, user_id=membership.user_id, defaults=form.cleaned_data
            )
            saved = True
            form = FeedbackForm(instance=feedback)
    else:
        form = FeedbackForm(instance=feedback, initial=picked)
    return render(
        request,
        "discussions/survey.html",
        {
            **context,
            "form": form,
            "feedback": feedback,
            "picked": picked,
            "saved": saved,
            "closes": cohort.local(found.closes).replace(tzinfo=None),
        },
        status=form_status(form) if request.method == "POST" and not saved else 200,
    )
