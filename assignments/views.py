import csv

from django.conf import settings
from django.contrib import messages
from django.db import transaction
from django.db.models import Count, Q, Sum
from django.http import Http404, HttpResponse
from django.middleware.csrf import get_token
from django.shortcuts import get_object_or_404, redirect, render
from django.template.defaultfilters import pluralize
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape, format_html
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_POST

from cohorts import dates
from cohorts.forms import form_status
from cohorts.models import Membership, Role, Week
from cohorts.permissions import (
    FACILITATOR,
    MEMBER,
    ORGANIZER,
    cohort_view,
    joined_before,
    visible_week,
)

from . import checklist, marks, progress
from .forms import (
    AssignmentForm,
    FeedbackForm,
    PasteItemsForm,
    PreworkItemForm,
    PublishForm,
    SubmissionForm,
)
from .models import Assignment, Completion, PreworkItem, Submission

# --- The week page: what a participant sees and ticks off ---------------------------


def checklist_context(request, access, week):
    """Items grouped by kind, with this person's marks, and what is left: the week's items
    and assignments from the cache, this person's ticks and hand-ins (two queries, none
    for an empty week)."""
    user = request.user
    items, assignments = checklist.prework_for(week)
    completed = (
        set(
            Completion.objects.filter(user=user, item__in=[item.pk for item in items]).values_list(
                "item_id", flat=True
            )
        )
        if items
        else set()
    )
    mine = (
        {
            submission.assignment_id: submission
            for submission in Submission.objects.filter(
                user=user, assignment__in=[assignment.pk for assignment in assignments]
            ).select_related("feedback_by")
        }
        if assignments
        else {}
    )
    for item in items:
        item.is_done = item.pk in completed
    submitted = set()
    for assignment in assignments:
        assignment.my_submission = mine.get(assignment.pk)
        if assignment.my_submission is not None:
            assignment.my_submission.assignment = assignment  # is_late compares due times
            submitted.add(assignment.pk)
    groups = []
    for kind, label in PreworkItem.Kind.choices:
        kind_items = [item for item in items if item.kind == kind]
        if kind_items:
            groups.append({"kind": kind, "label": label, "items": kind_items})
    left = progress.remaining(items, completed, assignments, submitted)
    required = [item for item in items if item.required]
    required_done = sum(1 for item in required if item.pk in completed)
    return {
        "access": access,
        "cohort": access.cohort,
        "week": week,
        "groups": groups,
        "assignments": assignments,
        "remaining": left,
        "required_total": len(required),
        "required_done": required_done,
        "percent": progress.percent_done(required_done, len(required)),
        "now": timezone.now(),
    }


def readiness_context(request, access, week):
    """For facilitators and organizers: the class's readiness for the week instead of a
    checklist of their own — the items (no ticks), hand-ins per assignment and how many
    active participants finished the required pre-work. Three queries."""
    cohort = access.cohort
    items = list(week.prework_items.all())
    assignments = list(
        week.assignments.annotate(
            handed_in=Count(
                "submissions__user",
                filter=Q(
                    submissions__user__memberships__cohort=cohort,
                    submissions__user__memberships__role=Role.PARTICIPANT,
                    submissions__user__memberships__left_at__isnull=True,
                ),
                distinct=True,
            )
        )
    )
    participants = Membership.objects.active().participants().filter(cohort=cohort)
    statuses = [progress.status_of(m) for m in progress.with_week_status(participants, week)]
    groups = []
    for kind, label in PreworkItem.Kind.choices:
        kind_items = [item for item in items if item.kind == kind]
        if kind_items:
            groups.append({"kind": kind, "label": label, "items": kind_items})
    return {
        "access": access,
        "cohort": cohort,
        "week": week,
        "readiness": True,
        "groups": groups,
        "assignments": assignments,
        "required_total": sum(1 for item in items if item.required),
        "participants": len(statuses),
        "ready": sum(1 for status in statuses if status.prework_finished),
        "now": timezone.now(),
    }


def week_section(request, access, week):
    if access.can_facilitate:
        context = readiness_context(request, access, week)
    else:
        context = checklist_context(request, access, week)
    readiness = context.get("readiness", False)
    csrf = "" if readiness or not context["groups"] else get_token(request)
    for group in context["groups"]:
        group["html"] = checklist.items_html(group["items"], access.cohort.slug, csrf, readiness)
    return render_to_string("assignments/_week_prework.html", context, request=request)


def schedule_badges(request, access, weeks):
    """Beside each week in the schedule: my progress, or (for facilitators) who is ready."""
    published = [week for week in weeks if week.is_published()]
    if not published:
        return {}
    if access.can_facilitate:
        return {
            week_id: format_html('<span class="badge">{} of {} ready</span>', finished, everyone)
            for week_id, (finished, everyone) in progress.ready_counts(
                access.cohort, published
            ).items()
            if everyone
        }
    table = progress.statuses(published, [request.user.pk])
    badges = {}
    for week in published:
        status = table[(request.user.pk, week.pk)]
        if status.required_total:
            css = "badge badge--success" if status.prework_finished else "badge"
            badges[week.pk] = format_html('<span class="{}">{}% done</span>', css, status.percent)
    return badges


def home_lines(request, summaries):
    """On My cohorts, per cohort: what is left for me this week, or (for facilitators and
    organizers) how many participants are ready. Five queries for all cohorts together."""
    weeks = [
        s.next_week
        for s in summaries
        if s.next_week is not None and (s.access.can_facilitate or s.next_week.is_published())
    ]
    if not weeks:
        return {}
    facilitated = [
        s.next_week.cohort_id
        for s in summaries
        if s.access.can_facilitate and s.next_week is not None
    ]
    participants = {}
    for cohort_id, user_id, joined_at in (
        Membership.objects.active()
        .filter(cohort__in=facilitated, role=Role.PARTICIPANT)
        .values_list("cohort", "user", "joined_at")
    ):
        participants.setdefault(cohort_id, []).append((user_id, joined_at))
    user_ids = {request.user.pk, *(pk for ids in participants.values() for pk, _ in ids)}
    table = progress.statuses(weeks, list(user_ids))
    lines = {}
    for week in weeks:
        cohort_id = week.cohort_id
        if week.cohort_id in facilitated:
            # Who joined after the week's session is not counted for it.
            ids = [
                pk
                for pk, joined_at in participants.get(cohort_id, [])
                if joined_before(joined_at, week)
            ]
            ready = sum(table[(pk, week.pk)].prework_finished for pk in ids)
            lines[cohort_id] = format_html(
                "{} of {} participants ready for {}", ready, len(ids), week.title
            )
            continue
        status = table[(request.user.pk, week.pk)]
        if not status.required_total and not status.assignments_total:
            lines[cohort_id] = format_html("Nothing to prepare for {}", week.title)
        elif status.prework_finished and status.assignments_done >= status.assignments_total:
            lines[cohort_id] = format_html("You are ready for {}", week.title)
        else:
            lines[cohort_id] = format_html(
                "{} of {} required pre-work done, {} of {} assignments handed in",
                status.required_done,
                status.required_total,
                status.assignments_done,
                status.assignments_total,
            )
    return lines


def week_table_details(request, access, weeks):
    """In the organizers' weeks table: how much pre-work and how many assignments each week
    has (two queries for all weeks)."""
    items = {
        row["week"]: row
        for row in PreworkItem.objects.filter(week__in=weeks)
        .order_by()
        .values("week")
        .annotate(count=Count("pk"), minutes=Sum("minutes"))
    }
    assignment_counts = dict(
        Assignment.objects.filter(week__in=weeks)
        .order_by()
        .values("week")
        .annotate(count=Count("pk"))
        .values_list("week", "count")
    )
    details = {}
    for week in weeks:
        row = items.get(week.pk)
        parts = []
        if row:
            count, minutes = row["count"], row["minutes"] or 0
            parts.append(f"{count} pre-work item{pluralize(count)}, {minutes} min")
        if assignment_counts.get(week.pk):
            count = assignment_counts[week.pk]
            parts.append(f"{count} assignment{pluralize(count)}")
        details[week.pk] = format_html("{}", " · ".join(parts) or "No pre-work yet")
    return details


@cohort_view(MEMBER)
@require_POST
def item_completion(request, access, item_id):
    """Mark an item done (done=1) or not done (done=0). Idempotent: repeats change nothing.

    With htmx the answer is the changed row and, out of band, the "left" summary and the
    progress bar; without JavaScript, the week page again. Besides the membership, the
    mark and the read of the item's week with this person's marks: one statement on
    PostgreSQL, two on SQLite (see marks.py).
    """
    done = request.POST.get("done") == "1"
    marked = marks.mark(access, item_id, done)
    if marked is None:
        raise Http404("No such item.")
    if not request.headers.get("HX-Request"):
        return redirect(f"{marked.week.get_absolute_url()}#item-{item_id}")
    summary = marks.summary(marked.items, marked.assignments_left)
    # The row's form posts again to this request's own address, with the token this request
    # was let in with (CsrfViewMiddleware checked it; it stays valid while the cookie's
    # secret does). A fresh token would cost a masking and a new cookie on every tick.
    token = request.POST.get("csrfmiddlewaretoken") or request.META.get(
        settings.CSRF_HEADER_NAME, ""
    )
    return HttpResponse(
        checklist.marked_html(marked.item, request.path, token or get_token(request), summary)
    )


@cohort_view(MEMBER)
def submit_assignment(request, access, assignment_id):
    assignment = get_object_or_404(
        Assignment.objects.select_related("week"), pk=assignment_id, week__cohort=access.cohort
    )
    week = visible_week(access, assignment.week.number)
    submission = Submission.objects.filter(assignment=assignment, user=request.user).first()
    now = timezone.now()
    locked = submission is not None and not submission.is_late and assignment.is_overdue(now)
    form = SubmissionForm(
        request.POST if request.method == "POST" else None,
        instance=submission,
        assignment=assignment,
    )
    if request.method == "POST" and not locked and form.is_valid():
        # One row per person and assignment, however many hand-ins arrive at once.
        answer = {name: form.cleaned_data[name] for name in form.fields}
        saved, _ = Submission.objects.update_or_create(
            assignment=assignment,
            user=request.user,
            defaults={**answer, "updated_at": now},
            create_defaults={**answer, "updated_at": now, "submitted_at": now},
        )
        late = " (late)" if saved.is_late else ""
        messages.success(request, f"Handed in “{assignment.title}”{late}.")
        return redirect(f"{week.get_absolute_url()}#assignment-{assignment.pk}")
    return render(
        request,
        "assignments/submit.html",
        {
            "access": access,
            "cohort": access.cohort,
            "week": week,
            "assignment": assignment,
            "submission": submission,
            "form": form,
            "locked": locked,
            "overdue": assignment.is_overdue(now),
        },
    )


# --- Organizers post the week -----------------------------------------------------


def _week_for_editing(access, number):
    return get_object_or_404(Week, cohort=access.cohort, number=number)


@cohort_view(ORGANIZER)
def prework_editor(request, access, number):
    week = _week_for_editing(access, number)
    item_form = PreworkItemForm(prefix="item")
    paste_form = PasteItemsForm(prefix="paste")
    publish_form = PublishForm(week=week, prefix="publish")
    action = request.POST.get("action")
    if request.method == "POST" and action == "add":
        item_form = PreworkItemForm(request.POST, prefix="item")
        if item_form.is_valid():
            item = item_form.save(commit=False)
            item.week = week
            item.order = PreworkItem.objects.next_order(week)
            item.save()
            messages.success(request, f"Added “{item.title}”.")
            return redirect("assignments:prework_editor", slug=access.cohort.slug, number=number)
    elif request.method == "POST" and action == "paste":
        paste_form = PasteItemsForm(request.POST, prefix="paste")
        if paste_form.is_valid():
            items = paste_form.cleaned_data["items"]
            with transaction.atomic():
                start = PreworkItem.objects.next_order(week)
                PreworkItem.objects.bulk_create(
                    PreworkItem(
                        week=week,
                        kind=paste_form.cleaned_data["kind"],
                        title=line.title,
                        url=line.url,
                        minutes=line.minutes,
                        required=paste_form.cleaned_data["required"],
                        order=start + i,
                    )
                    for i, line in enumerate(items)
                )
            messages.success(request, f"Added {len(items)} item{'s' if len(items) != 1 else ''}.")
            return redirect("assignments:prework_editor", slug=access.cohort.slug, number=number)
    elif request.method == "POST" and action == "publish":
        publish_form = PublishForm(request.POST, week=week, prefix="publish")
        if publish_form.is_valid():
            when = publish_form.cleaned_data["when"]
            if when == PublishForm.NOW:
                week.publish_at = timezone.now()
                note = f"Published: participants can see {week.label} now."
            elif when == PublishForm.SCHEDULE:
                week.publish_at = publish_form.cleaned_data["publish_at"]
                note = f"Scheduled: participants see {week.label} from {dates.when(week.publish_at, access.cohort)} ({access.cohort.time_zone})."
            else:
                week.publish_at = None
                note = f"{week.label} is a draft again: participants cannot see it."
            week.save(update_fields=["publish_at"])
            messages.success(request, note)
            return redirect("assignments:prework_editor", slug=access.cohort.slug, number=number)
    return render(
        request,
        "assignments/prework_editor.html",
        {
            "access": access,
            "cohort": access.cohort,
            "week": week,
            "items": week.prework_items.all(),
            "assignments": week.assignments.all(),
            "item_form": item_form,
            "paste_form": paste_form,
            "publish_form": publish_form,
        },
        status=form_status(item_form, paste_form, publish_form),
    )


def _item_for_editing(access, item_id):
    return get_object_or_404(
        PreworkItem.objects.select_related("week"), pk=item_id, week__cohort=access.cohort
    )


@cohort_view(ORGANIZER)
def item_edit(request, access, item_id):
    item = _item_for_editing(access, item_id)
    form = PreworkItemForm(request.POST or None, instance=item)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, f"Saved “{item.title}”.")
        return redirect(
            "assignments:prework_editor", slug=access.cohort.slug, number=item.week.number
        )
    return render(
        request,
        "assignments/item_form.html",
        {"access": access, "cohort": access.cohort, "week": item.week, "item": item, "form": form},
        status=form_status(form),
    )


@cohort_view(ORGANIZER)
def item_delete(request, access, item_id):
    item = _item_for_editing(access, item_id)
    completions = item.completions.count()
    if request.method == "POST":
        item.delete()  # completions go with it (CASCADE): nothing is left dangling
        messages.success(request, f"Removed “{item.title}”.")
        return redirect(
            "assignments:prework_editor", slug=access.cohort.slug, number=item.week.number
        )
    return render(
        request,
        "assignments/item_delete.html",
        {
            "access": access,
            "cohort": access.cohort,
            "week": item.week,
            "item": item,
            "completions": completions,
        },
    )


@cohort_view(ORGANIZER)
@require_POST
def item_move(request, access, item_id):
    item = _item_for_editing(access, item_id)
    item.move("up" if request.POST.get("direction") == "up" else "down")
    editor = reverse(
        "assignments:prework_editor",
        kwargs={"slug": access.cohort.slug, "number": item.week.number},
    )
    return redirect(f"{editor}#item-{item.pk}")


@cohort_view(ORGANIZER)
def assignment_create(request, access, number):
    week = _week_for_editing(access, number)
    form = AssignmentForm(request.POST or None, week=week)
    if request.method == "POST" and form.is_valid():
        assignment = form.save(commit=False)
        assignment.week = week
        assignment.save()
        messages.success(request, f"Added the assignment “{assignment.title}”.")
        return redirect("assignments:prework_editor", slug=access.cohort.slug, number=number)
    return render(
        request,
        "assignments/assignment_form.html",
        {"access": access, "cohort": access.cohort, "week": week, "form": form},
        status=form_status(form),
    )


def _assignment_for_editing(access, assignment_id):
    return get_object_or_404(
        Assignment.objects.select_related("week"), pk=assignment_id, week__cohort=access.cohort
    )


@cohort_view(ORGANIZER)
def assignment_edit(request, access, assignment_id):
    assignment = _assignment_for_editing(access, assignment_id)
    form = AssignmentForm(request.POST or None, instance=assignment, week=assignment.week)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, f"Saved “{assignment.title}”.")
        return redirect(
            "assignments:prework_editor", slug=access.cohort.slug, number=assignment.week.number
        )
    return render(
        request,
        "assignments/assignment_form.html",
        {
            "access": access,
            "cohort": access.cohort,
            "week": assignment.week,
            "form": form,
            "assignment": assignment,
        },
        status=form_status(form),
    )


@cohort_view(ORGANIZER)
def assignment_delete(request, access, assignment_id):
    assignment = _assignment_for_editing(access, assignment_id)
    submissions = assignment.submissions.count()
    if request.method == "POST":
        assignment.delete()
        messages.success(request, f"Removed the assignment “{assignment.title}”.")
        return redirect(
            "assignments:prework_editor", slug=access.cohort.slug, number=assignment.week.number
        )
    return render(
        request,
        "assignments/assignment_delete.html",
        {
            "access": access,
            "cohort": access.cohort,
            "week": assignment.week,
            "assignment": assignment,
            "submissions": submissions,
        },
    )


# --- Who is ready -----------------------------------------------------------------

FILTERS = {
    "not-started": "Not started the current session",
    "behind": "Behind on earlier sessions",
}


@cohort_view(FACILITATOR)
def progress_overview(request, access):
    report = progress.cohort_report(access.cohort)
    show = request.GET.get("show")
    rows = report.rows
    if show == "not-started":
        rows = [row for row in rows if row.not_started]
    elif show == "behind":
        rows = [row for row in rows if row.behind]
    else:
        show = None
    return render(
        request,
        "assignments/progress.html",
        {
            "access": access,
            "cohort": access.cohort,
            "report": report,
            "rows": rows,
            "table_rows": progress_rows_html(
                rows, reverse("assignments:progress", args=[access.cohort.slug])
            ),
            "show": show,
            "filters": FILTERS,
            "chart": progress.completion_chart(report),
        },
    )


NOT_JOINED_CELL = (
    '<td class="not-joined">—<span class="visually-hidden"> not joined yet</span></td>'
)


def progress_cell_html(status):
    """One cell: percent of required pre-work, and the assignments handed in; a week
    before the person joined is "—"."""
    if status is None:
        return NOT_JOINED_CELL
    css = ' class="done"' if status.finished else "" if status.started else ' class="none"'
    handed_in = ""
    if status.assignments_total:
        count = (
            "✓"
            if status.assignments_done >= status.assignments_total
            else f"{status.assignments_done}/{status.assignments_total}"
        )
        handed_in = f' <small>{count}<span class="visually-hidden"> handed in</span></small>'
    return f"<td{css}>{status.percent}%{handed_in}</td>"


def progress_rows_html(rows, person_base_url):
    """The table's body, built once in Python: 200 people × 12 weeks are 2,400 cells, and
    a template loop with a condition chain per cell costs more than the rest of the page.
    Each name links to the person's page, `person_base_url` + membership id."""
    cells = {}  # WeekStatus -> HTML: most cells repeat a handful of states
    lines = []
    for row in rows:
        badges = ""
        if row.behind:
            badges += ' <span class="badge badge--warning">behind</span>'
        if row.not_started:
            badges += ' <span class="badge">not started</span>'
        html = []
        for status in row.statuses:
            cell = cells.get(status)
            if cell is None:
                cell = cells[status] = progress_cell_html(status)
            html.append(cell)
        name = escape(row.membership.user.display_name)
        link = f'<a href="{person_base_url}{row.membership.pk}/">{name}</a>'
        sessions = f"<td>{row.attended} of {row.held}</td>" if row.held else "<td>—</td>"
        lines.append(f'<tr><th scope="row">{link}{badges}</th>{"".join(html)}{sessions}</tr>')
    return mark_safe("\n".join(lines))  # noqa: S308 — names are escaped, the rest is ours


@cohort_view(FACILITATOR)
def progress_csv(request, access):
    report = progress.cohort_report(access.cohort)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{access.cohort.slug}-progress.csv"'
    # Text is quoted, numbers are not: spreadsheets read every figure as a number (never
    # "1/1" as a date). A week before the person joined is an empty text cell.
    writer = csv.writer(response, quoting=csv.QUOTE_NONNUMERIC)
    header = ["Participant", "Email"]
    for week in report.weeks:
        header += [
            f"{week.label} pre-work %",
            f"{week.label} assignments handed in",
            f"{week.label} assignments due",
        ]
    header += ["Sessions attended", "Sessions held"]
    writer.writerow(header)
    for row in report.rows:
        line = [_csv_safe(row.membership.user.display_name), _csv_safe(row.membership.user.email)]
        for status in row.statuses:
            if status is None:
                line += ["", "", ""]
            else:
                line += [status.percent, status.assignments_done, status.assignments_total]
        line += [row.attended, row.held]
        writer.writerow(line)
    return response


def _csv_safe(text):
    # A name starting with = + - @ (or a tab, CR or space before one) would run as a formula
    # in a spreadsheet.
    return f"'{text}" if text[:1] in ("=", "+", "-", "@", "\t", "\r", " ") else text


@cohort_view(FACILITATOR)
def progress_week(request, access, number):
    week = get_object_or_404(Week, cohort=access.cohort, number=number)
    return render(
        request,
        "assignments/progress_week.html",
        {"access": access, "cohort": access.cohort, "week": week, **progress.week_report(week)},
    )


@cohort_view(FACILITATOR)
def progress_person(request, access, member_id):
    """One participant's weeks: pre-work, hand-ins, attendance, feedback given."""
    membership = get_object_or_404(
        Membership.objects.select_related("user"),
        pk=member_id,
        cohort=access.cohort,
        role=Role.PARTICIPANT,
    )
    membership.cohort = access.cohort
    weeks = progress.person_report(membership)
    return render(
        request,
        "assignments/progress_person.html",
        {
            "access": access,
            "cohort": access.cohort,
            "member": membership,
            "weeks": weeks,
            "attended": sum(w.attendance == "present" for w in weeks),
            "held": sum(bool(w.attendance) for w in weeks),
        },
    )


@cohort_view(FACILITATOR)
def submission_feedback(request, access, submission_id):
    submission = get_object_or_404(
        Submission.objects.select_related("assignment__week", "user"),
        pk=submission_id,
        assignment__week__cohort=access.cohort,
    )
    form = FeedbackForm(request.POST or None, instance=submission)
    if request.method == "POST" and form.is_valid():
        saved = form.save(commit=False)
        saved.feedback_by = request.user
        saved.feedback_at = timezone.now()
        saved.save()
        messages.success(
            request,
            f"Feedback saved; {submission.user.display_name} sees it on the {submission.assignment.week.label} page.",
        )
        return redirect(
            "assignments:progress_week",
            slug=access.cohort.slug,
            number=submission.assignment.week.number,
        )
    return render(
        request,
        "assignments/feedback.html",
        {
            "access": access,
            "cohort": access.cohort,
            "submission": submission,
            "week": submission.assignment.week,
            "form": form,
        },
        status=form_status(form),
    )
