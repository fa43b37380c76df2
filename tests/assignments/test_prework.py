import re
import threading
import time
from datetime import timedelta

import pytest
from django.conf import settings
from django.db import connection, transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from assignments.forms import parse_pasted_items
from assignments.models import Completion, PreworkItem

pytestmark = pytest.mark.django_db


def editor_url(week):
    return reverse("assignments:prework_editor", args=[week.cohort.slug, week.number])


def toggle_url(item):
    return reverse("assignments:item_completion", args=[item.week.cohort.slug, item.pk])


def test_organizer_adds_an_item_with_markdown_notes(upcoming_week, people, client_for):
    client = client_for(people["organizer"])
    response = client.post(
        editor_url(upcoming_week),
        {
            "action": "add",
            "item-kind": "video",
            "item-title": "Gradient descent",
            "item-url": "https://example.com/gd",
            "item-minutes": "13",
            "item-required": "on",
            "item-notes": "Watch for *why* the step shrinks.",
        },
    )
    assert response.status_code == 302
    item = PreworkItem.objects.get()
    assert (item.title, item.minutes, item.required, item.order) == (
        "Gradient descent",
        13,
        True,
        1,
    )
    page = client_for(people["participant"]).get(upcoming_week.get_absolute_url()).content.decode()
    assert "Gradient descent" in page and "<em>why</em>" in page


def test_pasting_lines_adds_one_item_per_line(upcoming_week, items, people, client_for):
    response = client_for(people["organizer"]).post(
        editor_url(upcoming_week),
        {
            "action": "paste",
            "paste-kind": "reading",
            "paste-required": "on",
            "paste-lines": "https://example.com/papers/feature-crosses.html\n\nWhy L2 | https://example.com/l2 | 12 min\n",
        },
    )
    assert response.status_code == 302
    new = list(
        PreworkItem.objects.filter(week=upcoming_week, kind="reading", required=True).order_by(
            "order"
        )
    )
    assert [(i.title, i.url, i.minutes) for i in new] == [
        (
            "Feature crosses (untitled — add a title)",
            "https://example.com/papers/feature-crosses.html",
            0,
        ),
        ("Why L2", "https://example.com/l2", 12),
    ]
    assert [i.order for i in new] == [5, 6]  # after the four existing items


def test_bad_pasted_lines_are_reported_and_nothing_is_saved(upcoming_week, people, client_for):
    response = client_for(people["organizer"]).post(
        editor_url(upcoming_week),
        {
            "action": "paste",
            "paste-kind": "video",
            "paste-lines": "https://example.com/ok\nnot a url\nTitle | https://example.com/x | lots\na|b|c|d",
        },
    )
    assert response.status_code == 200
    page = response.content.decode()
    for number in (2, 3, 4):
        assert f"Line {number}</strong>" in page
    assert "Line 1</strong>" not in page
    assert PreworkItem.objects.count() == 0
    # The summary points at the list, which the page shows above the form.
    assert page.index("Line 2</strong>") < page.index("fix the lines listed above")


def test_parse_pasted_items_rejects_script_urls():
    items, errors = parse_pasted_items("javascript:alert(1)\nx | ftp://example.com/file | 3")
    assert items == [] and [number for number, _, _ in errors] == [1, 2]


def test_reordering_moves_an_item(upcoming_week, items, people, client_for):
    client = client_for(people["organizer"])
    client.post(
        reverse("assignments:item_move", args=[upcoming_week.cohort.slug, items[2].pk]),
        {"direction": "up"},
    )
    titles = list(upcoming_week.prework_items.values_list("title", flat=True))
    assert titles == [
        "Linear regression",
        "Gradient descent",
        "Training and loss",
        "Optional extra",
    ]


def test_removing_a_completed_item_asks_first_and_leaves_nothing_dangling(
    upcoming_week, items, people, client_for
):
    Completion.objects.create(user=people["participant"], item=items[0])
    client = client_for(people["organizer"])
    url = reverse("assignments:item_delete", args=[upcoming_week.cohort.slug, items[0].pk])
    page = client.get(url).content.decode()
    assert "1 participant has marked it watched" in page
    assert PreworkItem.objects.filter(pk=items[0].pk).exists()
    client.post(url)
    assert not PreworkItem.objects.filter(pk=items[0].pk).exists()
    assert Completion.objects.count() == 0


def test_publish_now_schedule_and_back_to_draft(cohort, people, client_for):
    week = cohort.weeks.get(number=2)
    organizer, participant = client_for(people["organizer"]), None
    organizer.post(
        editor_url(week),
        {"action": "publish", "publish-when": "schedule", "publish-publish_at": "2026-09-01T08:00"},
    )
    week.refresh_from_db()
    assert cohort.local(week.publish_at).strftime("%Y-%m-%d %H:%M %Z") == "2026-09-01 08:00 CEST"
    organizer.post(editor_url(week), {"action": "publish", "publish-when": "draft"})
    week.refresh_from_db()
    assert week.publish_at is None
    response = organizer.post(editor_url(week), {"action": "publish", "publish-when": "schedule"})
    assert "Choose the date and time to publish." in response.content.decode()
    organizer.post(editor_url(week), {"action": "publish", "publish-when": "now"})
    week.refresh_from_db()
    assert week.is_published()
    participant = client_for(people["participant"])
    assert participant.get(week.get_absolute_url()).status_code == 200


def test_participants_never_see_unpublished_weeks_or_their_items(
    cohort, people, client_for, time_machine
):
    week = cohort.weeks.get(number=3)
    item = PreworkItem.objects.create(week=week, title="Secret video", url="https://example.com/s")
    week.publish_at = timezone.now() + timedelta(hours=3)
    week.save()
    participant = client_for(people["participant"])
    assert participant.get(week.get_absolute_url()).status_code == 404
    assert participant.post(toggle_url(item), {"done": "1"}).status_code == 404
    assert "Secret video" not in participant.get(cohort.get_absolute_url()).content.decode()
    assert not Completion.objects.exists()
    # A mark from before the week went back to draft is not undone through it either.
    Completion.objects.create(user=people["participant"], item=item)
    headers = {"HTTP_HX_REQUEST": "true"}
    assert participant.post(toggle_url(item), {"done": "0"}, **headers).status_code == 404
    assert Completion.objects.filter(user=people["participant"], item=item).exists()
    Completion.objects.all().delete()
    # At the publish time it simply becomes visible — nothing has to run.
    time_machine.move_to(week.publish_at + timedelta(seconds=1))
    page = participant.get(week.get_absolute_url())
    assert page.status_code == 200 and "Secret video" in page.content.decode()


def test_week_page_shows_checklist_and_what_is_left(upcoming_week, items, people, client_for):
    Completion.objects.create(user=people["participant"], item=items[0])
    page = client_for(people["participant"]).get(upcoming_week.get_absolute_url()).content.decode()
    assert "2 videos, 24 min left" in page
    assert '<progress max="3" value="1"' in page
    assert "Videos</h3>" in page and "Readings</h3>" in page
    assert "optional" in page


def test_marking_watched_with_htmx_returns_the_row_and_the_summary(
    upcoming_week, items, people, client_for
):
    client = client_for(people["participant"])
    response = client.post(toggle_url(items[0]), {"done": "1"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    html = response.content.decode()
    assert html.lstrip().startswith(
        f'<li class="checklist__item checklist__item--done" id="item-{items[0].pk}"'
    )
    assert 'id="prework-left" hx-swap-oob="innerHTML"><strong>2 videos, 24 min left' in html
    assert '<progress max="3" value="1"' in html
    assert '<section id="prework"' not in html
    assert Completion.objects.filter(user=people["participant"], item=items[0]).exists()


def test_without_javascript_the_mark_is_a_form_post_that_redirects_back(
    upcoming_week, items, people, client_for
):
    response = client_for(people["participant"]).post(toggle_url(items[1]), {"done": "1"})
    assert response.status_code == 302
    assert response["Location"] == f"{upcoming_week.get_absolute_url()}#item-{items[1].pk}"


def test_double_posts_and_undo_never_duplicate_or_lose_marks(
    upcoming_week, items, people, client_for
):
    client = client_for(people["participant"])
    for _ in range(3):
        client.post(toggle_url(items[0]), {"done": "1"}, HTTP_HX_REQUEST="true")
    assert Completion.objects.filter(item=items[0]).count() == 1
    client.post(toggle_url(items[0]), {"done": "0"})
    client.post(toggle_url(items[0]), {"done": "0"})
    assert Completion.objects.filter(item=items[0]).count() == 0
    client.post(toggle_url(items[0]), {"done": "1"})
    assert Completion.objects.filter(item=items[0]).count() == 1


def test_marking_is_get_proof(upcoming_week, items, people, client_for):
    assert client_for(people["participant"]).get(toggle_url(items[0])).status_code == 405
    assert not Completion.objects.exists()


def test_cannot_mark_items_of_another_cohort(
    upcoming_week, items, other_cohort, people, client_for, make_user
):
    from cohorts.models import Membership

    Membership.objects.create(user=people["outsider"], cohort=other_cohort)
    client = client_for(people["outsider"])
    url = reverse("assignments:item_completion", args=[other_cohort.slug, items[0].pk])
    assert client.post(url, {"done": "1"}).status_code == 404
    assert not Completion.objects.exists()


def test_landing_after_sign_in_is_the_current_week(upcoming_week, items, people, client_for):
    response = client_for(people["participant"]).get(reverse("home"))
    assert response["Location"] == upcoming_week.get_absolute_url()


def test_cohort_page_shows_each_weeks_own_progress(upcoming_week, items, people, client_for):
    Completion.objects.create(user=people["participant"], item=items[0])
    page = (
        client_for(people["participant"])
        .get(upcoming_week.cohort.get_absolute_url())
        .content.decode()
    )
    assert "33% done" in page
    page = (
        client_for(people["facilitator"])
        .get(upcoming_week.cohort.get_absolute_url())
        .content.decode()
    )
    assert "0 of 1 ready" in page


def test_schedule_does_not_reveal_unpublished_week_titles(cohort, people, client_for):
    cohort.weeks.filter(number=2).update(title="Secret topic", publish_at=None)
    page = client_for(people["participant"]).get(cohort.get_absolute_url()).content.decode()
    assert "Secret topic" not in page and "Topic not published yet" in page
    page = client_for(people["facilitator"]).get(cohort.get_absolute_url()).content.decode()
    assert "Secret topic" in page


@pytest.mark.parametrize(
    ("url", "title"),
    [
        ("https://www.youtube.com/watch?v=dQw4w9WgXcQ", "YouTube video dQw4w9WgXcQ"),
        ("https://youtu.be/aircAruvnKk", "YouTube video aircAruvnKk"),
        ("https://vimeo.com/76979871", "Vimeo video 76979871"),
        ("https://example.com/papers/feature-crosses.html", "Feature crosses"),
        ("https://example.com/", "example.com"),
    ],
)
def test_a_bare_url_gets_a_readable_title_marked_untitled(url, title):
    [item], errors = parse_pasted_items(url)
    assert errors == []
    assert item.title == f"{title} (untitled — add a title)"


def test_publishing_asks_first_while_items_lack_a_title_or_minutes(cohort, people, client_for):
    week = cohort.weeks.get(number=1)
    organizer = client_for(people["organizer"])
    organizer.post(
        editor_url(week),
        {
            "action": "paste",
            "paste-kind": "video",
            "paste-lines": "https://www.youtube.com/watch?v=one\nhttps://www.youtube.com/watch?v=two",
        },
    )
    editor = organizer.get(editor_url(week)).content.decode()
    assert editor.count("Needs a title and minutes") == 2
    assert [item.title for item in week.prework_items.all()] == [
        "YouTube video one (untitled — add a title)",
        "YouTube video two (untitled — add a title)",
    ]

    response = organizer.post(editor_url(week), {"action": "publish", "publish-when": "now"})
    assert response.status_code == 200
    assert "2 items still need a title or minutes" in response.content.decode()
    week.refresh_from_db()
    assert not week.is_published()

    organizer.post(
        editor_url(week),
        {"action": "publish", "publish-when": "now", "publish-publish_anyway": "on"},
    )
    week.refresh_from_db()
    assert week.is_published()


def test_marking_an_item_id_beyond_any_database_integer_is_not_found(
    upcoming_week, items, people, client_for
):
    url = reverse("assignments:item_completion", args=[upcoming_week.cohort.slug, 2**70])
    response = client_for(people["participant"]).post(url, {"done": "1"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 404
    assert not Completion.objects.exists()


def test_the_row_htmx_answers_with_is_the_row_the_week_page_shows_after_reload(
    upcoming_week, items, people, client_for
):
    client = client_for(people["participant"])

    def unmasked(html):  # each answer masks the CSRF token anew
        return re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "", html)

    for item, done in ((items[0], "1"), (items[2], "1"), (items[0], "0")):
        answer = client.post(toggle_url(item), {"done": done}, HTTP_HX_REQUEST="true")
        row = unmasked(answer.content.decode().split("</li>")[0] + "</li>")
        page = unmasked(client.get(upcoming_week.get_absolute_url()).content.decode())
        assert row in page
        assert ("check--on" in row) is (done == "1")
        # The summary and bar sent out of band are what the reloaded page shows too.
        left = answer.content.decode().split('hx-swap-oob="innerHTML">')[1].split("</p>")[0]
        assert f'id="prework-left" role="status">{left}</p>' in page
        bar = answer.content.decode().split('id="prework-progress" hx-swap-oob="innerHTML">')[1]
        assert f'<div class="prework__progress" id="prework-progress">{bar}' in page


ON_POSTGRESQL = settings.DATABASES["default"]["ENGINE"].endswith("postgresql")


@pytest.mark.skipif(ON_POSTGRESQL, reason="SQLite's two statements (PostgreSQL: the next test)")
@pytest.mark.parametrize("htmx", [True, False])
def test_an_item_deleted_while_it_is_being_marked_is_not_found_not_a_server_error(
    upcoming_week, items, people, client_for, monkeypatch, htmx
):
    """A facilitator deletes the item in the instant between Mark watched reading the week
    and writing the mark: the participant gets "not found", and no mark is left behind."""
    from assignments import marks

    read = marks._week_with_marks

    def read_then_the_item_is_deleted(*args):
        found = read(*args)
        PreworkItem.objects.filter(pk=items[0].pk).delete()
        return found

    monkeypatch.setattr(marks, "_week_with_marks", read_then_the_item_is_deleted)
    headers = {"HTTP_HX_REQUEST": "true"} if htmx else {}
    response = client_for(people["participant"]).post(
        toggle_url(items[0]), {"done": "1"}, **headers
    )
    assert response.status_code == 404
    assert not Completion.objects.exists()


@pytest.mark.skipif(not ON_POSTGRESQL, reason="PostgreSQL's one statement, racing a delete")
@pytest.mark.django_db(transaction=True)
def test_an_item_deleted_while_its_mark_is_written_is_not_found_not_a_server_error(
    upcoming_week, items, people
):
    """The facilitator's delete holds the item while Mark watched's statement, having found
    it, writes the mark; the delete commits: "not found", and no mark is left behind."""
    deleting, deleted = threading.Event(), threading.Event()

    def delete_and_hold():
        with transaction.atomic():
            PreworkItem.objects.filter(pk=items[0].pk).delete()
            deleting.set()
            deleted.wait(10)
        connection.close()

    answers = []

    def tick():
        client = Client()
        client.force_login(people["participant"])
        answers.append(client.post(toggle_url(items[0]), {"done": "1"}, HTTP_HX_REQUEST="true"))
        connection.close()

    holder = threading.Thread(target=delete_and_hold)
    holder.start()
    assert deleting.wait(10)
    ticker = threading.Thread(target=tick)
    ticker.start()
    # The tick's statement waits for the deleting transaction's lock on the item.
    for _ in range(200):
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                "AND datname = current_database()"
            )
            if cursor.fetchone()[0]:
                break
        time.sleep(0.02)
    else:
        pytest.fail("the tick never waited for the delete")
    deleted.set()
    holder.join(10)
    ticker.join(10)
    assert [answer.status_code for answer in answers] == [404]
    assert not Completion.objects.exists()


def test_marking_an_item_twice_keeps_one_mark_and_answers_both_times(
    upcoming_week, items, people, client_for
):
    client = client_for(people["participant"])
    for _ in range(2):
        answer = client.post(toggle_url(items[0]), {"done": "1"}, HTTP_HX_REQUEST="true")
        assert answer.status_code == 200
        assert "checklist__item--done" in answer.content.decode()
    assert Completion.objects.filter(item=items[0]).count() == 1


def test_each_tick_posts_the_token_the_answer_gave_it_with_csrf_enforced(
    upcoming_week, items, people
):
    """As a browser does it: the week page's form, then the row each answer sends back."""
    client = Client(enforce_csrf_checks=True)
    client.force_login(people["participant"])
    page = client.get(upcoming_week.get_absolute_url()).content.decode()
    token_of = re.compile(
        rf'id="item-{items[0].pk}".*?name="csrfmiddlewaretoken" value="([^"]+)"', re.S
    )
    token = token_of.search(page).group(1)
    for done in ("1", "0", "1"):
        answer = client.post(
            toggle_url(items[0]),
            {"csrfmiddlewaretoken": token, "done": done},
            HTTP_HX_REQUEST="true",
        )
        assert answer.status_code == 200
        assert settings.CSRF_COOKIE_NAME not in answer.cookies  # the cookie is not reset
        token = token_of.search(answer.content.decode()).group(1)
    assert Completion.objects.filter(user=people["participant"], item=items[0]).exists()
    # A token the site did not make is still refused.
    forged = client.post(
        toggle_url(items[0]), {"csrfmiddlewaretoken": "x" * 64, "done": "0"}, HTTP_HX_REQUEST="true"
    )
    assert forged.status_code == 403
