"""Secrets at rest: invitation tokens, join codes, calendar tokens and Slack webhook URLs are
sealed (encrypted under a key derived from SECRET_KEY) and looked up by their SHA-256 digest;
the clear columns go. Links already sent keep working: the secrets themselves do not change."""

from django.db import migrations, models

import cohorts.secrets

SECRETS = [
    # model, old clear field, new prefix, unique lookup
    ("cohort", "slack_webhook_url", "slack_webhook", False),
    ("invitation", "token", "token", True),
    ("joinlink", "code", "code", True),
    ("membership", "calendar_token", "calendar_token", True),
]


def seal_existing(apps, schema_editor):
    for model_name, old, prefix, _ in SECRETS:
        model = apps.get_model("cohorts", model_name)
        rows = list(model.objects.exclude(**{old: ""}).only("pk", old))
        for row in rows:
            clear = getattr(row, old)
            setattr(row, f"{prefix}_sealed", cohorts.secrets.seal(clear))
            setattr(row, f"{prefix}_digest", cohorts.secrets.digest(clear))
        model.objects.bulk_update(rows, [f"{prefix}_sealed", f"{prefix}_digest"], batch_size=500)


def add_fields():
    for model_name, _, prefix, _ in SECRETS:
        yield migrations.AddField(
            model_name=model_name,
            name=f"{prefix}_sealed",
            field=models.TextField(blank=True, default="", editable=False),
        )
        yield migrations.AddField(
            model_name=model_name,
            name=f"{prefix}_digest",
            field=cohorts.secrets.DigestField(of=f"{prefix}_sealed"),
        )


def finish_fields():
    for model_name, old, prefix, unique in SECRETS:
        yield migrations.RemoveField(model_name=model_name, name=old)
        if unique:
            yield migrations.AlterField(
                model_name=model_name,
                name=f"{prefix}_sealed",
                field=models.TextField(default=cohorts.secrets.new_sealed_token, editable=False),
            )
            yield migrations.AlterField(
                model_name=model_name,
                name=f"{prefix}_digest",
                field=cohorts.secrets.DigestField(of=f"{prefix}_sealed", unique=True),
            )


class Migration(migrations.Migration):
    dependencies = [("cohorts", "0010_join_link_and_how_members_joined")]

    operations = [
        *add_fields(),
        migrations.RunPython(seal_existing, migrations.RunPython.noop),
        *finish_fields(),
    ]
