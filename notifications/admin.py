from django.contrib import admin

from .models import Delivery


@admin.register(Delivery)
class DeliveryAdmin(admin.ModelAdmin):
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
    readonly_fields = [field.name for field in Delivery._meta.fields]
