from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("cohorts", "0012_schedule_kinds_units_and_session_lengths"),
    ]

    operations = [
        migrations.AddField(
            model_name="cohort",
            name="show_upcoming_titles",
            field=models.BooleanField(
                default=False,
                help_text="Participants see the titles you have given sessions not published yet (the syllabus ahead); their pre-work stays hidden until it is published.",
                verbose_name="Show upcoming topics",
            ),
        ),
    ]
