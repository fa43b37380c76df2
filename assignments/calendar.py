"""Assignment due dates in the members' calendar feeds (see cohorts.calendar).

Participants get the due dates of published weeks only, as on the week pages; facilitators
and organizers, who see every week, get them all.
"""

from django.urls import reverse

from cohorts.calendar import absolute, event, uid

from .models import Assignment


def events(access, weeks, stamp):
    cohort = access.cohort
    visible = {week.pk: week for week in weeks if access.can_see_week(week)}
    assignments = Assignment.objects.filter(week_id__in=visible).order_by("due_at", "pk")
    items = []
    for assignment in assignments:
        week = visible[assignment.week_id]
        url = absolute(
            reverse(
                "assignments:submit", kwargs={"slug": cohort.slug, "assignment_id": assignment.pk}
            )
        )
        items.append(
            event(
                cohort,
                uid=uid("assignment", assignment.pk),
                summary=f"Due: {assignment.title} ({cohort.title}, {week.label})",
                start=assignment.due_at,
                stamp=stamp,
                description=f"Hand it in: {url}",
                url=url,
            )
        )
    return items
