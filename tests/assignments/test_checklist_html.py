"""The week page writes its checklist rows in Python (assignments/checklist.py); the htmx
answer to "Mark watched" still renders `_checklist_item.html`. Both give the same row, in
every state a row can be in, so a ticked item looks the same however it got on the page."""

import itertools
import re

import pytest
from django.template.loader import render_to_string
from django.test import RequestFactory

from assignments import checklist
from assignments.models import PreworkItem

pytestmark = pytest.mark.django_db


def same_shape(html):
    # The two write a different (equally valid) masked CSRF token and indent differently.
    html = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "csrf", html)
    return re.sub(r"\s+", " ", html).strip()


@pytest.mark.parametrize(
    "kind, url, minutes, required, notes",
    list(
        itertools.product(
            ["video", "reading", "exercise"],
            ["", "https://example.com/watch?v=1&t=<2>"],
            [0, 12],
            [True, False],
            ["", "Watch *closely* <script>x</script>"],
        )
    ),
)
def test_python_rows_are_the_template_rows(upcoming_week, kind, url, minutes, required, notes):
    item = PreworkItem.objects.create(
        week=upcoming_week,
        kind=kind,
        title='Bias & "variance" <b>',
        url=url,
        minutes=minutes,
        required=required,
        notes=notes,
    )
    item.refresh_from_db()  # notes_html read back as stored
    request = RequestFactory().get("/")
    cohort = upcoming_week.cohort
    for done, readiness in itertools.product([False, True], [False, True]):
        item.is_done = done
        template = render_to_string(
            "assignments/_checklist_item.html",
            {"item": item, "cohort": cohort, "readiness": readiness},
            request=request,
        )
        python = checklist.items_html(
            [item],
            readiness,
            checklist.csrf_input(request),
            checklist.completion_url_parts(cohort),
        )
        assert same_shape(python) == same_shape(template), (done, readiness)
        assert "<b>" not in python and "<script>" not in python
