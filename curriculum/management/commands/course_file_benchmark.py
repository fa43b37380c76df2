"""How long reading a course file takes on the worst inputs of up to 1 MB (the limit):
prints one line per input with its size, the time and the first problem found."""

import time

from django.core.management.base import BaseCommand

from curriculum.course_file import MAX_FILE_BYTES, parse_course

MB = MAX_FILE_BYTES
HEAD = "homeroom_course: 1\ntitle: T\nweeks:\n  - title: W\n    publish: "
ITEM = (
    "      - title: " + "t" * 150 + "\n        url: https://example.com/" + "a" * 300 + "\n"
    "        kind: video\n        minutes: 5\n"
)
WEEK = "  - title: W\n    publish: session - 2d 18:00\n    prework:\n" + ITEM * 100


def worst_inputs():
    return {
        "spaces in a relative time": HEAD + "session" + " " * (MB - 100) + "x\n",
        "nested flow lists": "[" * (MB - 1),
        "nested flow mappings": "{a: " * (MB // 4 - 1),
        "nested block lists": "- " * (MB // 2 - 1),
        "many aliases": "a: &x y\nb: [" + "*x, " * (MB // 4 - 10) + "]\n",
        "many values": "homeroom_course: 1\ntitle: T\nweeks: [" + "a," * (MB // 2 - 40) + "]\n",
        "many weeks": "homeroom_course: 1\ntitle: T\nweeks:\n"
        + "  - title: W\n    publish: session - 2d 18:00\n" * 20_000,
        "52 full weeks": ("homeroom_course: 1\ntitle: T\nweeks:\n" + WEEK * 52)[:MB],
        "a huge number": "homeroom_course: 1\ntitle: T\nschedule: {minutes: "
        + "9" * (MB - 90)
        + "}\n",
    }


class Command(BaseCommand):
    help = "Time parse_course on worst-case course files of up to 1 MB."

    def handle(self, *args, **options):
        slowest = 0.0
        for name, text in worst_inputs().items():
            started = time.perf_counter()
            course, problems = parse_course(text)
            seconds = time.perf_counter() - started
            slowest = max(slowest, seconds)
            first = str(problems[0])[:70] if problems else "no problem"
            size = len(text.encode()) / MB
            self.stdout.write(f"{name:28} {size:5.2f} MB {seconds:6.2f} s  {first}")
        self.stdout.write(f"slowest: {slowest:.2f} s")
