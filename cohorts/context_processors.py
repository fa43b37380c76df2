import time
from dataclasses import dataclass

from django.urls import reverse
from django.utils.functional import SimpleLazyObject

from .models import Cohort

# The header's cohort list is kept in the session for this long, so a page does not query
# it every time; joining or leaving a cohort shows there within a minute (or at once, see
# forget_navigation).
NAV_SECONDS = 60
NAV_KEY = "nav_cohorts"


@dataclass(frozen=True)
class NavCohort:
    pk: int
    title: str
    slug: str

    def get_absolute_url(self) -> str:
        return reverse("cohorts:detail", kwargs={"slug": self.slug})


def nav_cohorts(request):
    """The signed-in person's current cohorts for the header, from the session when fresh."""
    session = request.session
    cached = session.get(NAV_KEY)
    now = time.time()
    if not cached or cached.get("user") != request.user.pk or now - cached["at"] > NAV_SECONDS:
        items = list(
            Cohort.objects.for_user(request.user)
            .exclude(status=Cohort.Status.FINISHED)
            .order_by("-start_date", "title")
            .values_list("pk", "title", "slug")
        )
        cached = {"user": request.user.pk, "at": now, "items": items}
        session[NAV_KEY] = cached
    return [NavCohort(*item) for item in cached["items"]]


def forget_navigation(request):
    """After joining or leaving a cohort: the next page lists cohorts afresh."""
    request.session.pop(NAV_KEY, None)


def navigation(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or not hasattr(request, "session"):
        return {}
    # Lazy: partial pages (htmx answers) never look at it.
    return {"nav_cohorts": SimpleLazyObject(lambda: nav_cohorts(request))}
