from django.db import migrations


def purge(apps, schema_editor):
    """Sign-in codes, reset links and verification codes were stored in account emails'
    bodies; keep the kind, recipient, status and error, drop the secret."""
    Delivery = apps.get_model("notifications", "Delivery")
    Delivery.objects.filter(kind__startswith="account:").update(
        body_text="", body_html="", payload={}, headers={}
    )


class Migration(migrations.Migration):
    dependencies = [("notifications", "0002_outbox_sending_and_unknown")]

    operations = [migrations.RunPython(purge, migrations.RunPython.noop)]
