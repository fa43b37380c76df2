from django.urls import path

from . import views

app_name = "notifications"

urlpatterns = [
    path("manage/notifications/", views.manage_notifications, name="manage_notifications"),
    path(
        "manage/notifications/test/",
        views.manage_notifications_test,
        name="manage_notifications_test",
    ),
    path("manage/deliveries/", views.manage_deliveries, name="manage_deliveries"),
    path(
        "manage/deliveries/<int:delivery_id>/resend/",
        views.resend_delivery,
        name="resend_delivery",
    ),
    path("manage/dispatch/", views.manage_dispatch, name="manage_dispatch"),
    path("announcements/", views.announcement_list, name="announcements"),
    path("announcements/new/", views.announcement_new, name="announcement_new"),
    path("announcements/<int:announcement_id>/", views.announcement_detail, name="announcement"),
    path(
        "announcements/<int:announcement_id>/edit/",
        views.announcement_edit,
        name="announcement_edit",
    ),
    path(
        "announcements/<int:announcement_id>/send/",
        views.announcement_send,
        name="announcement_send",
    ),
    path(
        "announcements/<int:announcement_id>/cancel/",
        views.announcement_cancel,
        name="announcement_cancel",
    ),
]
