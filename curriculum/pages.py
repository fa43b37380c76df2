"""What curriculum adds to the cohort's pages (see cohorts.pages): "Run it again" on the
cohort page for organizers, and "create from a course file" on My cohorts."""

from django.template.loader import render_to_string
from django.urls import reverse

from cohorts import pages
from cohorts.permissions import can_import_courses


def run_again_section(request, access):
    if not access.can_manage:
        return None
    return render_to_string(
        "curriculum/_run_again.html", {"cohort": access.cohort, "access": access}, request=request
    )


def home_actions(request):
    if not can_import_courses(request.user):
        return []
    return [("Create one from a course file", reverse("course_import"))]


pages.cohort_sections.register(run_again_section)
pages.home_actions.register(home_actions)
