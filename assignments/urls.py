from django.urls import path

from . import views

app_name = "assignments"

urlpatterns = [
    path("items/<int:item_id>/done/", views.item_completion, name="item_completion"),
    path("assignments/<int:assignment_id>/", views.submit_assignment, name="submit"),
    path("manage/weeks/<int:number>/prework/", views.prework_editor, name="prework_editor"),
    path("manage/items/<int:item_id>/", views.item_edit, name="item_edit"),
    path("manage/items/<int:item_id>/delete/", views.item_delete, name="item_delete"),
    path("manage/items/<int:item_id>/move/", views.item_move, name="item_move"),
    path(
        "manage/weeks/<int:number>/assignments/new/",
        views.assignment_create,
        name="assignment_create",
    ),
    path("manage/assignments/<int:assignment_id>/", views.assignment_edit, name="assignment_edit"),
    path(
        "manage/assignments/<int:assignment_id>/delete/",
        views.assignment_delete,
        name="assignment_delete",
    ),
    path("progress/", views.progress_overview, name="progress"),
    path("progress.csv", views.progress_csv, name="progress_csv"),
    path("progress/weeks/<int:number>/", views.progress_week, name="progress_week"),
    path("progress/<int:member_id>/", views.progress_person, name="progress_person"),
    path("submissions/<int:submission_id>/feedback/", views.submission_feedback, name="feedback"),
]
