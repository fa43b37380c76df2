from django.contrib import admin

from .models import Assignment, Completion, PreworkItem, Submission


@admin.register(PreworkItem)
class PreworkItemAdmin(admin.ModelAdmin):
    list_display = ["title", "week", "kind", "minutes", "required", "order"]
    list_filter = ["kind", "required", "week__cohort"]
    search_fields = ["title", "url"]


@admin.register(Completion)
class CompletionAdmin(admin.ModelAdmin):
    list_display = ["user", "item", "at"]
    list_filter = ["item__week__cohort"]
    search_fields = ["user__email", "item__title"]


@admin.register(Assignment)
class AssignmentAdmin(admin.ModelAdmin):
    list_display = ["title", "week", "due_at", "submission_kind"]
    list_filter = ["week__cohort"]
    search_fields = ["title"]


@admin.register(Submission)
class SubmissionAdmin(admin.ModelAdmin):
    list_display = ["assignment", "user", "submitted_at", "updated_at", "feedback_at"]
    list_filter = ["assignment__week__cohort"]
    search_fields = ["user__email", "assignment__title"]
