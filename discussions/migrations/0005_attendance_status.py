"""Attendance as a record: present, absent or excused; per-cohort self check-in."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


def statuses_from_flags(apps, schema_editor):
    """Attendance was a flag: present=False is "absent", present=True "present"."""
    Attendance = apps.get_model("discussions", "Attendance")
    Attendance.objects.filter(present=False).update(status="absent")
    Attendance.objects.filter(present=True).update(status="present")


def flags_from_statuses(apps, schema_editor):
    Attendance = apps.get_model("discussions", "Attendance")
    Attendance.objects.exclude(status="present").update(present=False)
    Attendance.objects.filter(status="present").update(present=True)


class Migration(migrations.Migration):
    dependencies = [
        ("cohorts", "0010_join_link_and_how_members_joined"),
        ("discussions", "0004_survey_settings"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="CohortSessionOptions",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "self_check_in",
                    models.BooleanField(
                        default=False,
                        help_text='During the session, participants see an "I\'m here" button on their phone.',
                        verbose_name="participants may check themselves in",
                    ),
                ),
            ],
            options={
                "verbose_name_plural": "cohort session options",
            },
        ),
        migrations.AddField(
            model_name="attendance",
            name="status",
            field=models.CharField(
                choices=[("present", "Present"), ("absent", "Absent"), ("excused", "Excused")],
                default="present",
                max_length=8,
            ),
        ),
        migrations.RunPython(statuses_from_flags, flags_from_statuses),
        migrations.RemoveField(
            model_name="attendance",
            name="present",
        ),
        migrations.AddConstraint(
            model_name="attendance",
            constraint=models.CheckConstraint(
                condition=models.Q(("status__in", ["present", "absent", "excused"])),
                name="attendance_status_known",
            ),
        ),
        migrations.AddField(
            model_name="cohortsessionoptions",
            name="cohort",
            field=models.OneToOneField(
                on_delete=django.db.models.deletion.CASCADE,
                related_name="session_options",
                to="cohorts.cohort",
            ),
        ),
    ]
