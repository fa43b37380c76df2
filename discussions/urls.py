from django.urls import path

from . import views

app_name = "discussions"

week = "weeks/<int:number>/"

urlpatterns = [
    # The facilitator's session page and what it posts to.
    path(f"{week}session/", views.session, name="session"),
    path(
        f"{week}session/attendance/<int:user_id>/",
        views.attendance_mark,
        name="attendance_mark",
    ),
    path(f"{week}session/check-in/", views.check_in, name="check_in"),
    path(f"{week}session/self-check-in/", views.self_check_in_setting, name="self_check_in"),
    path(
        f"{week}session/attendance/everyone/",
        views.attendance_everyone,
        name="attendance_everyone",
    ),
    path(f"{week}session/notes/", views.facilitator_notes, name="facilitator_notes"),
    path(f"{week}pairs/generate/", views.pairs_generate, name="pairs_generate"),
    path(f"{week}pairs/swap/", views.pairs_swap, name="pairs_swap"),
    path(f"{week}pairs/lock/", views.pairs_lock, name="pairs_lock"),
    path(f"{week}pairs/print/", views.pairs_print, name="pairs_print"),
    path(f"{week}pairs.pdf", views.pairs_pdf, name="pairs_pdf"),
    path(f"{week}timer/", views.timer, name="timer"),
    path(f"{week}timer/control/", views.timer_control, name="timer_control"),
    # Discussion points and pair prompts.
    path(f"{week}points/new/", views.point_add, name="point_add"),
    path(f"{week}points/visibility/", views.points_visibility, name="points_visibility"),
    path(f"{week}points/<int:point_id>/edit/", views.point_edit, name="point_edit"),
    path(f"{week}points/<int:point_id>/move/", views.point_move, name="point_move"),
    path(f"{week}points/<int:point_id>/delete/", views.point_delete, name="point_delete"),
    path(f"{week}prompts/new/", views.prompt_add, name="prompt_add"),
    path(f"{week}prompts/<int:prompt_id>/edit/", views.prompt_edit, name="prompt_edit"),
    path(f"{week}prompts/<int:prompt_id>/move/", views.prompt_move, name="prompt_move"),
    path(f"{week}prompts/<int:prompt_id>/delete/", views.prompt_delete, name="prompt_delete"),
    # What participants add during the week.
    path(f"{week}muddiest/new/", views.muddiest_add, name="muddiest_add"),
    path(f"{week}muddiest/<int:muddiest_id>/vote/", views.muddiest_vote, name="muddiest_vote"),
    path(
        f"{week}muddiest/<int:muddiest_id>/promote/",
        views.muddiest_promote,
        name="muddiest_promote",
    ),
    path(
        f"{week}muddiest/<int:muddiest_id>/delete/",
        views.muddiest_delete,
        name="muddiest_delete",
    ),
    path(f"{week}resources/new/", views.resource_add, name="resource_add"),
    path(
        f"{week}resources/<int:resource_id>/upvote/",
        views.resource_upvote,
        name="resource_upvote",
    ),
    path(f"{week}resources/<int:resource_id>/pin/", views.resource_pin, name="resource_pin"),
    path(
        f"{week}resources/<int:resource_id>/remove/",
        views.resource_remove,
        name="resource_remove",
    ),
    path(f"{week}feedback/", views.feedback, name="feedback"),
    path("feedback/", views.feedback_results, name="feedback_results"),
    path("feedback.csv", views.feedback_csv, name="feedback_csv"),
    path("feedback/settings/", views.survey_settings, name="survey_settings"),
    path("guide/", views.guide, name="guide"),
    path("attendance.csv", views.attendance_csv, name="attendance_csv"),
    path("rooms/", views.rooms, name="rooms"),
    path("rooms/<int:room_id>/edit/", views.room_edit, name="room_edit"),
    path("rooms/<int:room_id>/delete/", views.room_delete, name="room_delete"),
    path("rooms/place/", views.room_place, name="room_place"),
    path("rooms/split/", views.rooms_split, name="rooms_split"),
]
