"""A participant signs in through the real form and lands in their cohort."""

import re

import pytest
from playwright.sync_api import expect

from cohorts import demo

pytestmark = pytest.mark.e2e


def test_a_participant_signs_in_and_reaches_the_demo_cohort(page):
    demo.seed()

    page.goto("/accounts/login/")
    form = page.locator("form", has=page.locator('input[name="login"]'))
    form.locator('input[name="login"]').fill("participant01@example.com")
    form.locator('input[name="password"]').fill(demo.PASSWORD)
    form.locator('[type="submit"]').first.click()

    expect(page).to_have_url(re.compile(r"/c/machine-learning/"))
    expect(page.get_by_text("Machine Learning, autumn cohort").first).to_be_visible()
