"""Print buttons open the print dialog once, and only buttons do."""

from datetime import date, time

import pytest

from cohorts.models import Cohort, Role
from tests.e2e.people import person, sign_in

pytestmark = pytest.mark.e2e

# Counts calls instead of opening a dialog a headless browser cannot close; the count lives
# in sessionStorage, so it survives following a link within the tab.
COUNT_PRINTS = """
window.print = function () {
  sessionStorage.setItem("prints", String(Number(sessionStorage.getItem("prints") || 0) + 1));
};
"""
PRINTS = "Number(sessionStorage.getItem('prints') || 0)"


@pytest.mark.django_db(transaction=True)
def test_print_the_guide_prints_once_and_its_session_links_do_not_print(page):
    cohort = Cohort.objects.create(
        title="Printing course",
        slug="printing",
        time_zone="Europe/Berlin",
        start_date=date(2026, 9, 7),
        session_weekday=0,
        session_time=time(18, 0),
    )
    cohort.create_weeks(2)
    person("fran@example.com", "Fran Facilitator", Role.FACILITATOR, cohort)
    sign_in(page, "fran@example.com")
    page.add_init_script(COUNT_PRINTS)

    page.goto(f"/c/{cohort.slug}/guide/")
    page.get_by_role("button", name="Print the guide").click()
    assert page.evaluate(PRINTS) == 1

    page.get_by_role("link", name="Session page").first.click()
    page.wait_for_url(f"**/c/{cohort.slug}/weeks/1/session/")
    assert page.evaluate(PRINTS) == 1  # following the link printed nothing more
