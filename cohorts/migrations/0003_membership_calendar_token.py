"""A calendar token per membership: added empty, filled one by one, then made unique.

A callable default on AddField is evaluated once for all existing rows, which would give
every member the same token; so the column starts nullable and each row gets its own.
"""

from django.db import migrations, models

import cohorts.models


def fill_tokens(apps, schema_editor):
    Membership = apps.get_model("cohorts", "Membership")
    for membership in Membership.objects.filter(calendar_token__isnull=True).only("pk"):
        membership.calendar_token = cohorts.models.new_token()
        membership.save(update_fields=["calendar_token"])


class Migration(migrations.Migration):
    dependencies = [
        ("cohorts", "0002_slack_webhook_state_and_delivery_timing"),
    ]

    operations = [
        migrations.AddField(
            model_name="membership",
            name="calendar_token",
            field=models.CharField(editable=False, max_length=64, null=True),
        ),
        migrations.RunPython(fill_tokens, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="membership",
            name="calendar_token",
            field=models.CharField(
                default=cohorts.models.new_token, editable=False, max_length=64, unique=True
            ),
        ),
    ]
