"""Importing a course file: worst-case files of up to 1 MB are refused quickly, with a
problem listed on the page, on every path (upload, paste, and the create step)."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from cohorts.models import Cohort
from curriculum.relative import Relative

MB = 1024 * 1024
HEAD = "homeroom_course: 1\ntitle: T\nweeks:\n  - title: W\n    publish: "

WORST = {
    "spaces in a relative time": HEAD + "session" + " " * (MB - 100) + "x\n",
    "nested flow lists": "[" * (MB - 1),
    "nested flow mappings": "{a: " * (MB // 4 - 1),
    "nested block lists": "- " * (MB // 2 - 1),
    "many aliases": "a: &x y\nb: [" + "*x, " * (MB // 4 - 10) + "]\n",
    "many values": "homeroom_course: 1\ntitle: T\nweeks: [" + "a," * (MB // 2 - 40) + "]\n",
    "a huge number": "homeroom_course: 1\ntitle: T\nschedule: {minutes: " + "9" * (MB - 90) + "}\n",
    "minutes in superscript": "homeroom_course: 1\ntitle: T\nschedule: {minutes: ²}\n",
}


def test_relative_times_read_in_linear_time(finishes):
    with finishes():
        for spaces in (50_000, MB):
            with pytest.raises(ValueError, match="not a time relative"):
                Relative.parse("session" + " " * spaces + "x")
        assert str(Relative.parse("session" + " " * 50_000 + "- 2d" + " " * 50_000)) == (
            "session - 2d"
        )


@pytest.mark.django_db
@pytest.mark.parametrize("name", WORST)
def test_worst_files_are_refused_on_every_path(name, cohort, people, no_500, finishes):
    text = WORST[name]
    assert len(text.encode()) <= MB
    client = no_500
    client.force_login(people["organizer"])
    url = reverse("course_import")
    with finishes():
        upload = SimpleUploadedFile("c.yaml", text.encode())
        responses = [
            client.post(url, {"step": "upload", "file": upload}),
            client.post(url, {"step": "upload", "text": text}),
            client.post(url, {"step": "run", "course": text, "action": "preview"}),
        ]
    for response in responses:
        assert response.status_code == 200, (name, response.status_code)
        assert "Nothing was created" in response.content.decode(), name
    assert Cohort.objects.count() == 1


@pytest.mark.django_db
def test_deep_nesting_is_a_clear_problem_not_a_recursion_error(cohort, people, no_500):
    no_500.force_login(people["organizer"])
    response = no_500.post(reverse("course_import"), {"step": "upload", "text": "[" * 600})
    assert response.status_code == 200
    assert "more than 20 levels of nesting" in response.content.decode()


@pytest.mark.django_db
def test_the_create_step_checks_the_size_too(cohort, people, no_500):
    no_500.force_login(people["organizer"])
    text = "# " + "x" * MB + "\nhomeroom_course: 1\n"
    response = no_500.post(
        reverse("course_import"), {"step": "run", "course": text, "action": "create"}
    )
    assert response.status_code == 200
    assert "larger than 1 MB" in response.content.decode()
    assert Cohort.objects.count() == 1
