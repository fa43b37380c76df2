from django.urls import path

from . import views

app_name = "cohorts"

urlpatterns = [
    path("", views.cohort_detail, name="detail"),
    path("weeks/<int:number>/", views.week_detail, name="week"),
    path("preferences/", views.preferences, name="preferences"),
    path("preferences/calendar/reset/", views.calendar_reset, name="calendar_reset"),
    # Token-authenticated (calendar apps have no session): the one URL outside cohort_view.
    path("calendar.ics", views.calendar_feed, name="calendar"),
    path("manage/", views.manage_settings, name="manage_settings"),
    path("manage/weeks/", views.manage_weeks, name="manage_weeks"),
    path("manage/weeks/<int:number>/", views.manage_week, name="manage_week"),
    path("manage/members/", views.manage_members, name="manage_members"),
    path(
        "manage/members/<int:member_id>/", views.manage_member_update, name="manage_member_update"
    ),
    path(
        "manage/members/<int:member_id>/remove/",
        views.manage_member_remove,
        name="manage_member_remove",
    ),
    path("manage/invitations/", views.manage_invitations, name="manage_invitations"),
    path("manage/join-link/", views.manage_join_link, name="manage_join_link"),
    path(
        "manage/invitations/<int:invitation_id>/resend/",
        views.manage_invitation_resend,
        name="manage_invitation_resend",
    ),
    path(
        "manage/invitations/<int:invitation_id>/revoke/",
        views.manage_invitation_revoke,
        name="manage_invitation_revoke",
    ),
]
