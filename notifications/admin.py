from django.contrib import admin

from .models import Announcement, Delivery, MailOptOut

HIDDEN = "(not stored: it held a secret)"


@admin.register(Delivery)
class DeliveryAdmin(admin.ModelAdmin):
    """Read-only. Account emails' bodies are never shown (nor stored since this release);
    webhook URLs and invitation links inside a payload are not shown either."""

    list_display = [
        "kind",
        "channel",
        "recipient",
        "cohort",
        "status",
        "attempts",
        "created_at",
        "sent_at",
    ]
    list_filter = ["status", "channel", "kind"]
    search_fields = ["recipient", "dedupe_key", "subject"]
    exclude = ["body_text", "body_html", "headers", "payload"]
    readonly_fields = [
        *(
            field.name
            for field in Delivery._meta.fields
            if field.name not in {"body_text", "body_html", "headers", "payload"}
        ),
        "body",
    ]

    @admin.display(description="Body")
    def body(self, delivery):
        if delivery.is_account_email:
            return HIDDEN
        return delivery.body_text[:2000]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Announcement)
class AnnouncementAdmin(admin.ModelAdmin):
    list_display = ["subject", "cohort", "audience", "status", "send_at", "author"]
    list_filter = ["status", "audience"]
    search_fields = ["subject", "cohort__title"]
    readonly_fields = ["body_html", "form_key"]
    raw_id_fields = ["cohort", "author"]


@admin.register(MailOptOut)
class MailOptOutAdmin(admin.ModelAdmin):
    list_display = ["membership", "kind", "created_at"]
    list_filter = ["kind"]
    raw_id_fields = ["membership"]
