from .models import Cohort


def navigation(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"nav_cohorts": Cohort.objects.for_user(user).exclude(status=Cohort.Status.FINISHED)}
