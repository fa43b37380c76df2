from django.contrib import admin
from django.urls import include, path

from cohorts import views as cohort_views
from config import views as config_views
from curriculum import views as curriculum_views
from discussions import views as discussion_views
from notifications import views as notification_views

urlpatterns = [
    # First: "Mark watched", the busiest request, is then found soonest (no other pattern
    # starts with "c/").
    path("c/<slug:slug>/", include("assignments.urls")),
    path("", cohort_views.home, name="home"),
    path("cohorts/new/", cohort_views.cohort_create, name="cohort_create"),
    path("cohorts/import/", curriculum_views.course_import, name="course_import"),
    path("invite/<str:token>/", cohort_views.invitation, name="invitation"),
    path("join/<str:code>/", cohort_views.join, name="join"),
    path("unsubscribe/<str:token>/", notification_views.unsubscribe, name="unsubscribe"),
    path("survey/<str:token>/", discussion_views.survey_link, name="survey"),
    path("healthz", config_views.healthz, name="healthz"),
    # The live session's poll: a signed address, no session (discussions.live).
    path("live/<str:token>", discussion_views.live_poll, name="live_poll"),
    path("live/<str:token>/events", discussion_views.live_events, name="live_events"),
    path("accounts/name/", cohort_views.account_name, name="account_name"),
    path("accounts/", include("allauth.urls")),
    path("admin/", admin.site.urls),
    path("c/<slug:slug>/", include("cohorts.urls")),
    path("c/<slug:slug>/", include("notifications.urls")),
    path("c/<slug:slug>/", include("curriculum.urls")),
    path("c/<slug:slug>/", include("discussions.urls")),
]
