"""The database cache's table (settings.CACHES on the embedded default: sign-in rate
limits shared by every process). `createcachetable` skips tables that exist and caches
that are not in the database (Redis), so this is safe everywhere."""

from django.core.management import call_command
from django.db import migrations


def create_cache_table(apps, schema_editor):
    call_command("createcachetable", database=schema_editor.connection.alias, verbosity=0)


class Migration(migrations.Migration):
    dependencies = [("cohorts", "0008_invitation_last_sent_at")]

    operations = [migrations.RunPython(create_cache_table, migrations.RunPython.noop)]
