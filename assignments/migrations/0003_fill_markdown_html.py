"""Render the Markdown of rows saved before its HTML was stored beside it."""

from django.db import migrations

from cohorts.markdown import fill_stored_html

MARKDOWN = [
    ("PreworkItem", ("notes",)),
    ("Assignment", ("instructions",)),
    ("Submission", ("feedback",)),
]


def fill(apps, schema_editor):
    for model_name, names in MARKDOWN:
        fill_stored_html(apps.get_model("assignments", model_name), names)


class Migration(migrations.Migration):
    dependencies = [("assignments", "0002_markdown_html_beside_source")]

    operations = [migrations.RunPython(fill, migrations.RunPython.noop)]
