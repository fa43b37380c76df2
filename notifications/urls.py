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
]
