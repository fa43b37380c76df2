from django.contrib import admin

from .models import (
    Attendance,
    CohortSessionOptions,
    DiscussionPoint,
    Feedback,
    MuddiestPoint,
    PairGroup,
    Pairing,
    PairPrompt,
    Room,
    SessionSettings,
    SharedResource,
    SurveySettings,
)


class PairGroupInline(admin.TabularInline):
    model = PairGroup
    extra = 0
    raw_id_fields = ["person_a", "person_b", "person_c"]


@admin.register(Pairing)
class PairingAdmin(admin.ModelAdmin):
    list_display = ["week", "seed", "locked", "generated_at"]
    list_filter = ["locked", "week__cohort"]
    inlines = [PairGroupInline]


@admin.register(DiscussionPoint)
class DiscussionPointAdmin(admin.ModelAdmin):
    list_display = ["__str__", "week", "order"]
    list_filter = ["week__cohort"]


@admin.register(PairPrompt)
class PairPromptAdmin(admin.ModelAdmin):
    list_display = ["__str__", "week", "minutes", "order"]
    list_filter = ["week__cohort"]


@admin.register(MuddiestPoint)
class MuddiestPointAdmin(admin.ModelAdmin):
    list_display = ["__str__", "week", "author", "created_at"]
    list_filter = ["week__cohort"]
    raw_id_fields = ["author"]


@admin.register(SharedResource)
class SharedResourceAdmin(admin.ModelAdmin):
    list_display = ["title", "week", "shared_by", "pinned", "created_at"]
    list_filter = ["pinned", "week__cohort"]
    raw_id_fields = ["shared_by"]


@admin.register(Feedback)
class FeedbackAdmin(admin.ModelAdmin):
    list_display = ["week", "user", "logistics", "content_quality", "content_relevance", "overall"]
    list_filter = ["week__cohort"]
    raw_id_fields = ["user"]


@admin.register(Attendance)
class AttendanceAdmin(admin.ModelAdmin):
    list_display = ["week", "user", "status", "marked_at"]
    list_filter = ["status", "week__cohort"]
    raw_id_fields = ["user", "marked_by"]


admin.site.register(SessionSettings)


@admin.register(SurveySettings)
class SurveySettingsAdmin(admin.ModelAdmin):
    list_display = ["cohort", "prompts", "nudge", "previous_run"]
    raw_id_fields = ["cohort", "previous_run"]


@admin.register(Room)
class RoomAdmin(admin.ModelAdmin):
    list_display = ["name", "cohort", "facilitator", "capacity"]
    list_filter = ["cohort"]
    raw_id_fields = ["facilitator"]


@admin.register(CohortSessionOptions)
class CohortSessionOptionsAdmin(admin.ModelAdmin):
    list_display = ["cohort", "self_check_in"]
