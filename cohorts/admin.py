from datetime import date

from django import forms
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.core.exceptions import ValidationError

from .forms import check_year
from .models import Cohort, Invitation, Membership, User, Week


class BoundedDates(forms.ModelForm):
    """Dates typed into the admin lie in 2000–2100 too, like everywhere in the app."""

    def clean(self):
        cleaned = super().clean()
        for name, value in list(cleaned.items()):
            if isinstance(value, date):
                try:
                    check_year(value)
                except ValidationError as error:
                    self.add_error(name, error)
        return cleaned


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    ordering = ["email"]
    list_display = ["email", "name", "is_staff", "is_active", "date_joined"]
    search_fields = ["email", "name"]
    fieldsets = [
        (None, {"fields": ["email", "password"]}),
        ("Profile", {"fields": ["name"]}),
        (
            "Permissions",
            {"fields": ["is_active", "is_staff", "is_superuser", "groups", "user_permissions"]},
        ),
        ("Dates", {"fields": ["last_login", "date_joined"]}),
    ]
    add_fieldsets = [
        (None, {"classes": ["wide"], "fields": ["email", "name", "password1", "password2"]}),
    ]


class WeekInline(admin.TabularInline):
    model = Week
    form = BoundedDates
    extra = 0
    fields = ["number", "title", "session_start", "session_minutes", "publish_at"]


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["user"]
    fields = ["user", "role", "experience", "reminders_opt_out", "joined_at", "left_at"]
    ordering = ["role", "user__name"]


def masked(secret):
    """Secrets are never shown in full, here as in the app: the last four characters."""
    return f"…{secret[-4:]}" if secret else "—"


@admin.register(Cohort)
class CohortAdmin(admin.ModelAdmin):
    form = BoundedDates
    list_display = ["title", "slug", "status", "schedule_kind", "start_date", "time_zone"]
    list_filter = ["status"]
    search_fields = ["title", "slug"]
    prepopulated_fields = {"slug": ["title"]}
    # The Slack webhook URL is a secret: organizers paste it in the app; here only its end.
    exclude = ["slack_webhook_sealed"]
    readonly_fields = ["slack_webhook"]
    inlines = [WeekInline, MembershipInline]

    @admin.display(description="Slack webhook URL")
    def slack_webhook(self, cohort):
        return masked(cohort.slack_webhook_url)


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "cohort", "role", "experience", "reminders_opt_out", "left_at"]
    list_filter = ["role", "cohort"]
    search_fields = ["user__email", "user__name", "cohort__title"]
    autocomplete_fields = ["user", "cohort"]
    ordering = ["cohort", "role", "user__name"]


@admin.register(Invitation)
class InvitationAdmin(admin.ModelAdmin):
    list_display = [
        "email",
        "cohort",
        "role",
        "created_at",
        "expires_at",
        "accepted_at",
        "revoked_at",
    ]
    list_filter = ["role", "cohort"]
    search_fields = ["email"]
    # The token is the invitation link's secret: never shown in full.
    readonly_fields = ["link_token"]
    autocomplete_fields = ["cohort", "invited_by", "accepted_by"]

    @admin.display(description="Link token")
    def link_token(self, invitation):
        return masked(invitation.token)


@admin.register(Week)
class WeekAdmin(admin.ModelAdmin):
    form = BoundedDates
    list_display = ["cohort", "number", "title", "session_start", "publish_at"]
    list_filter = ["cohort"]
    search_fields = ["title"]
