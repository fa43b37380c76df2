"""Numbers in URLs beyond what the database stores (≥ 2^63) answer 404, never 500."""

import re

import pytest
from django.urls import reverse

from tests.cohorts.test_access import cohort_patterns

HUGE = 2**63


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("route", "name"),
    [(route, name) for route, name, _ in cohort_patterns() if "<int:" in route],
)
def test_huge_ids_are_not_found(route, name, cohort, people, no_500):
    no_500.force_login(people["organizer"])
    needed = re.findall(r"<(?:(\w+):)?(\w+)>", route)
    kwargs = {arg: (HUGE if kind == "int" else cohort.slug) for kind, arg in needed}
    if "number" in kwargs and len([kind for kind, _ in needed if kind == "int"]) > 1:
        kwargs["number"] = 1  # a real week, so that the other number is looked up
    url = reverse(name, kwargs=kwargs)
    for response in (no_500.get(url), no_500.post(url)):
        assert response.status_code in (404, 405), (url, response.status_code)
