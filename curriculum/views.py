from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import redirect, render

from cohorts.models import Cohort
from cohorts.permissions import ORGANIZER, can_import_courses, cohort_view
from cohorts.schedule import ScheduleError

from .course import CopyOptions, Course
from .course_file import MAX_FILE_BYTES, parse_course
from .forms import CohortCopyForm, CourseRunForm, CourseUploadForm

# --- Run it again: copy a cohort, course files ----------------------------------------------

# How long a used preview key is remembered (a double click comes within seconds).
CLAIM_SECONDS = 24 * 3600


def _new_run_page(request, template, context, form, course, create_message):
    """The shared second half of copying and importing: preview, then create.

    The preview button posts `action=preview`; the page then shows every new date and a
    create button carrying the form's preview key. Creating with changed fields shows the
    new preview first instead.
    """
    context.update(form=form, preview=None, preview_key="")
    if form.is_bound and form.is_valid():
        new = form.save(commit=False)
        try:
            course.sessions(new)
        except ScheduleError as error:
            form.add_error("session_time", str(error))
            return render(request, template, context)
        wants_create = request.POST.get("action") == "create"
        key = request.POST.get("preview_key", "")
        if wants_create and form.previewed(key):
            # A preview's key creates one cohort: "Create" clicked four times makes one.
            claim = f"homeroom:new-run:{request.user.pk}:{key}"
            if cache.add(claim, "", timeout=CLAIM_SECONDS):
                try:
                    cohort = course.create(new, request.user)
                except BaseException:
                    cache.delete(claim)
                    raise
                cache.set(claim, cohort.slug, timeout=CLAIM_SECONDS)
                messages.success(request, create_message(cohort))
                return redirect(cohort)
            slug = cache.get(claim)
            if slug:
                messages.info(request, "This preview already made its cohort; here it is.")
                return redirect("cohorts:detail", slug=slug)
            messages.warning(request, "The cohort is being created; check your cohorts first.")
        elif wants_create:
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
        schedule_kind=source.schedule_kind,
        weekdays_only=source.weekdays_only,
        unit_name=source.unit_name,
        reminder_lead=source.reminder_lead,
        reminder_evening_time=source.reminder_evening_time,
        digest_cadence=source.digest_cadence,
        reminder_lead_hours=source.reminder_lead_hours,
        digest_weekday=source.digest_weekday,
        digest_time=source.digest_time,
        show_upcoming_titles=source.show_upcoming_titles,
    )
    form = CohortCopyForm(request.POST or None, instance=new)
    promote = form.is_bound and form.is_valid() and form.cleaned_data["promote_pinned"]
    course = Course.from_cohort(source, CopyOptions(promote_pinned=promote))
    return _new_run_page(
        request,
        "curriculum/copy.html",
        {"access": access, "cohort": source, "week_count": len(course.weeks)},
        form,
        course,
        lambda cohort: (
            f"“{cohort.title}” is ready with {len(course.weeks)} "
            f"{cohort.unit_plural.lower()} copied "
            f"from “{source.title}”. Invite the new group from Invitations."
        ),
    )


@cohort_view(ORGANIZER)
def course_file(request, access):
    """The curriculum as a YAML course file, to keep in git or create cohorts from."""
    cohort = access.cohort
    text = Course.from_cohort(cohort).to_yaml()
    response = HttpResponse(text, content_type="application/yaml; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{cohort.slug}.course.yaml"'
    return response


@login_required
def course_import(request):
    """Create a cohort from a course file: upload, fix every listed problem, preview, create.

    Site staff and organizers of any cohort may (see permissions.can_import_courses)."""
    if not can_import_courses(request.user):
        raise PermissionDenied("Only organizers and site staff create cohorts from course files.")
    context = {"problems": [], "upload_form": None}
    step = request.POST.get("step") if request.method == "POST" else None
    if step not in ("upload", "run"):
        context["upload_form"] = CourseUploadForm()
        return render(request, "curriculum/course_file_import.html", context)
    if step == "upload":
        upload_form = CourseUploadForm(request.POST, request.FILES)
        if not upload_form.is_valid():
            context["upload_form"] = upload_form
            return render(request, "curriculum/course_file_import.html", context)
        text = upload_form.cleaned_data["course"]
    else:
        text = request.POST.get("course", "")
    course, problems = parse_course(text)
    if problems:
        # Pasted text comes back to be fixed in place; a file is fixed in the editor.
        pasted = {} if request.FILES or len(text) > MAX_FILE_BYTES else {"text": text}
        context.update(problems=problems, upload_form=CourseUploadForm(initial=pasted))
        return render(request, "curriculum/course_file_import.html", context)
    data = request.POST if step == "run" else None
    form = CourseRunForm(data, instance=course.new_run(), initial={"course": text})
    context.update(course=course)
    return _new_run_page(
        request,
        "curriculum/course_file_import.html",
        context,
        form,
        course,
        lambda cohort: (
            f"“{cohort.title}” is ready with {len(course.weeks)} "
            f"{cohort.unit_plural.lower()} from the "
            "course file. Invite people from Invitations."
        ),
    )
