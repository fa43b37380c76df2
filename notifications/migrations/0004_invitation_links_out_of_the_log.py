"""Invitation emails kept their link (the invitation's secret) in the delivery log. Leave the
link out of every stored invitation email and name the invitation instead, so one still
waiting to go out gets its link written in when it is sent (notifications.invitations)."""

import re

from django.db import migrations

LINK_LEFT_OUT = "(the invitation link, written in when the email is sent)"
LINK = re.compile(r"[^\s\"'<>]*/invite/[A-Za-z0-9_-]+/?")
FIRST_SENDING = re.compile(r"invitation:(\d+):\d+")


def first_sending(row, by_pk):
    """A resend's key names the row it copied ("resend:<pk>"); follow it to the first."""
    seen = set()
    while row.dedupe_key.startswith("resend:") and row.pk not in seen:
        seen.add(row.pk)
        original = by_pk.get(row.dedupe_key.removeprefix("resend:"))
        if original is None:
            break
        row = original
    return row


def leave_links_out(apps, schema_editor):
    Delivery = apps.get_model("notifications", "Delivery")
    rows = list(Delivery.objects.filter(kind="invitation"))
    by_pk = {str(row.pk): row for row in rows}
    for row in rows:
        row.body_text = LINK.sub(LINK_LEFT_OUT, row.body_text)
        row.body_html = LINK.sub(LINK_LEFT_OUT, row.body_html)
        match = FIRST_SENDING.fullmatch(first_sending(row, by_pk).dedupe_key)
        if match and not row.payload.get("invitation_id"):
            row.payload = {**row.payload, "invitation_id": int(match.group(1))}
    Delivery.objects.bulk_update(rows, ["body_text", "body_html", "payload"], batch_size=500)


class Migration(migrations.Migration):
    dependencies = [("notifications", "0003_purge_account_email_bodies")]

    operations = [migrations.RunPython(leave_links_out, migrations.RunPython.noop)]
