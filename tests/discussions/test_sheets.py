"""Pair-discussion sheets: the print page and the PDF carry every name and prompt as text."""

import io
from datetime import timedelta

import pytest
from django.urls import reverse
from pypdf import PdfReader

from discussions import pairing, sheets
from discussions.models import Attendance, DiscussionPoint, Pairing, PairPrompt

pytestmark = pytest.mark.django_db

PROMPTS = [
    ("Explain why y = w₁x₁ + w₂x₂ + w₃x₃² is still a linear model.", 5),
    ("Explain what the learning rate does.", 4),
    ("Explain overfitting without jargon.", 6),
]


def url(name, week, query=""):
    return reverse(f"discussions:{name}", args=[week.cohort.slug, week.number]) + query


@pytest.fixture
def prepared_week(week_in_session, participants):
    for text, minutes in PROMPTS:
        PairPrompt.objects.create(week=week_in_session, prompt=text, minutes=minutes)
    DiscussionPoint.objects.create(
        week=week_in_session, text="Linear in the *weights*, not the inputs."
    )
    pairing.generate(week_in_session, seed=42)
    return week_in_session


def pdf_text(content):
    reader = PdfReader(io.BytesIO(content))
    return reader, "\n".join(page.extract_text() for page in reader.pages)


def flat(text):
    return " ".join(text.split())


def test_pdf_contains_every_name_and_prompt(prepared_week, participants, people, client_for):
    response = client_for(people["facilitator"]).get(url("pairs_pdf", prepared_week))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment;")
    reader, text = pdf_text(response.content)
    text = flat(text)
    for user in participants:
        assert user.display_name in text
    for prompt, _ in PROMPTS:
        assert flat(prompt) in text, prompt
    assert "Linear in the weights, not the inputs." in text
    assert "Facilitator overview" in text
    groups = Pairing.objects.get(week=prepared_week).groups.count()
    assert len(reader.pages) >= 1 + groups  # the overview, then a page per pair or trio
    assert "explains to" in text


def test_pdf_paper_sizes(prepared_week, people, client_for):
    client = client_for(people["facilitator"])
    a4 = PdfReader(io.BytesIO(client.get(url("pairs_pdf", prepared_week)).content))
    box = a4.pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == (595, 842)
    letter = PdfReader(
        io.BytesIO(client.get(url("pairs_pdf", prepared_week, "?paper=letter")).content)
    )
    box = letter.pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == (612, 792)
    # One sheet per group on both papers: nothing spills over.
    assert (
        len(a4.pages)
        == len(letter.pages)
        == 1 + Pairing.objects.get(week=prepared_week).groups.count()
    )


def test_default_paper_is_letter_in_the_americas(cohort, other_cohort):
    assert sheets.paper_for(cohort, None) == "a4"
    assert sheets.paper_for(other_cohort, None) == "letter"
    assert sheets.paper_for(other_cohort, "a4") == "a4"
    assert sheets.paper_for(cohort, "tabloid") == "a4"


def test_pdf_never_fetches_urls_from_user_markdown(prepared_week, people, client_for, monkeypatch):
    DiscussionPoint.objects.create(
        week=prepared_week, text="![x](http://169.254.169.254/latest/meta-data/) and text"
    )
    import urllib.request

    fetched = []
    real_open = urllib.request.OpenerDirector.open

    def record(self, request, *args, **kwargs):
        # WeasyPrint swallows fetch errors, so remember the attempt rather than only raising.
        fetched.append(getattr(request, "full_url", request))
        if str(fetched[-1]).startswith("data:"):
            return real_open(self, request, *args, **kwargs)
        raise OSError("no network in tests")

    monkeypatch.setattr(urllib.request.OpenerDirector, "open", record)
    response = client_for(people["facilitator"]).get(url("pairs_pdf", prepared_week))
    assert response.status_code == 200
    assert "and text" in pdf_text(response.content)[1]
    # Only the stylesheet's own data: picture (the ruled lines) is ever read.
    assert [url for url in fetched if not str(url).startswith("data:")] == []


def test_print_page_has_one_sheet_per_group_with_turns(
    prepared_week, participants, people, client_for
):
    Attendance.mark(prepared_week, participants[-1], "absent", by=None)
    pairing.generate(prepared_week, seed=43)  # five people: two in a pair, three in a trio
    response = client_for(people["facilitator"]).get(url("pairs_print", prepared_week))
    page = response.content.decode()
    groups = list(Pairing.objects.get(week=prepared_week).groups.all())
    assert page.count('class="sheet ') + page.count('class="sheet"') == 1 + len(groups)
    for user in participants[:-1]:
        assert user.display_name in page
    trio = next(group for group in groups if group.person_c_id)
    # In the trio everybody explains once: A to B, B to C, C to A.
    a, b, c = (user.display_name for _, user in trio.members)
    assert f"<strong>{c}</strong> (C) explains to <strong>{a}</strong> (A)" in page
    assert 'href="/static/css/discussions.css"' in page
    assert "<style" not in page and " style=" not in page


def test_print_page_without_pairs_says_what_to_do(week_in_session, people, client_for):
    response = client_for(people["facilitator"]).get(url("pairs_print", week_in_session))
    assert response.status_code == 200
    assert b"No pairs yet" in response.content
    assert (
        client_for(people["facilitator"]).get(url("pairs_pdf", week_in_session)).status_code == 200
    )


def test_timing_plan_fits_the_session(prepared_week):
    prompts = list(prepared_week.pair_prompts.all())
    plan, overrun = sheets.timing_plan(prepared_week, prompts)
    assert overrun == 0
    assert sum(row.minutes for row in plan) == prepared_week.cohort.session_minutes
    assert plan[1].what == "Pair prompt 1: A explains to B"
    assert plan[2].what == "Pair prompt 2: B explains to A"
    assert plan[1].starts_at - plan[0].starts_at == timedelta(minutes=sheets.OPENING_MINUTES)


def test_timing_plan_reports_an_overrun(week_in_session):
    prompts = [
        PairPrompt.objects.create(week=week_in_session, prompt=f"P{i}", minutes=30)
        for i in range(3)
    ]
    _, overrun = sheets.timing_plan(week_in_session, prompts)
    assert overrun > 0


def test_pairs_can_be_generated_straight_from_the_print_page(
    week_in_session, participants, people, client_for
):
    client = client_for(people["facilitator"])
    assert b"Generate pairs now" in client.get(url("pairs_print", week_in_session)).content
    response = client.post(url("pairs_generate", week_in_session), {"next": "print"})
    assert response.status_code == 302 and response["Location"] == url(
        "pairs_print", week_in_session
    )
    page = client.get(url("pairs_print", week_in_session)).content.decode()
    assert "Generate pairs now" not in page
    assert all(user.display_name in page for user in participants)


def test_pdf_reprint_is_cached_and_an_edit_shows_at_once(prepared_week, people, client_for):
    client = client_for(people["facilitator"])
    first = client.get(url("pairs_pdf", prepared_week)).content
    assert client.get(url("pairs_pdf", prepared_week)).content == first
    prompt = prepared_week.pair_prompts.get(minutes=4)
    prompt.prompt = "Explain what momentum adds to gradient descent."
    prompt.save()
    text = flat(pdf_text(client.get(url("pairs_pdf", prepared_week)).content)[1])
    assert "Explain what momentum adds to gradient descent." in text
    assert "Explain what the learning rate does." not in text
    # A swap of two people shows at once too.
    group = Pairing.objects.get(week=prepared_week).groups.order_by("number").first()
    before = flat(pdf_text(client.get(url("pairs_pdf", prepared_week)).content)[1])
    group.person_a, group.person_b = group.person_b, group.person_a
    group.save()
    after = flat(pdf_text(client.get(url("pairs_pdf", prepared_week)).content)[1])
    assert after != before
    first_name = group.person_a.display_name
    assert f"{first_name} (A) explains to" in after
