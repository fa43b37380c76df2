"""The week page's pre-work list (items and assignments) is cached per week
(assignments/checklist.py): every write that changes it shows on the next page, and each
person's ticks and hand-ins stay their own."""

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from django.test import Client
from django.urls import reverse

from assignments.models import Assignment, Completion, PreworkItem, Submission
from cohorts.models import Membership, Role
from cohorts.signals import session_moved

pytestmark = pytest.mark.django_db


def signed_in(user):
    client = Client()
    client.force_login(user)
    return client


def page(client, week):
    response = client.get(week.get_absolute_url())
    assert response.status_code == 200
    return response.content.decode()


@pytest.fixture
def seen(upcoming_week, items, people, make_user):
    """The week with its items and an assignment; both participants' pages seen once."""
    Assignment.objects.create(
        week=upcoming_week, title="Notebook", due_at=upcoming_week.session_start
    )
    second = make_user("second@example.com", "Second Person")
    Membership.objects.create(user=second, cohort=upcoming_week.cohort, role=Role.PARTICIPANT)
    clients = {
        "participant": signed_in(people["participant"]),
        "second": signed_in(second),
        "organizer": signed_in(people["organizer"]),
    }
    for client in clients.values():
        page(client, upcoming_week)
    return {"week": upcoming_week, "items": items, "clients": clients, "second": second}


def editor(week):
    return reverse("assignments:prework_editor", args=[week.cohort.slug, week.number])


def test_an_added_item_shows_on_the_next_page(seen):
    week, clients = seen["week"], seen["clients"]
    clients["organizer"].post(
        editor(week),
        {
            "action": "add",
            "item-kind": "video",
            "item-title": "Feature crosses",
            "item-minutes": "9",
            "item-required": "on",
        },
    )
    assert "Feature crosses" in page(clients["participant"], week)


def test_pasted_items_show_on_the_next_page(seen):
    week, clients = seen["week"], seen["clients"]
    clients["organizer"].post(
        editor(week),
        {
            "action": "paste",
            "paste-kind": "reading",
            "paste-required": "on",
            "paste-lines": "Why L2 | https://example.com/l2 | 12",
        },
    )
    assert "Why L2" in page(clients["participant"], week)


def test_edited_moved_and_deleted_items_show_on_the_next_page(seen):
    week, items, clients = seen["week"], seen["items"], seen["clients"]
    organizer = clients["organizer"]
    organizer.post(
        reverse("assignments:item_edit", args=[week.cohort.slug, items[1].pk]),
        {"kind": "video", "title": "Training, renamed", "minutes": "11", "required": "on"},
    )
    html = page(clients["participant"], week)
    assert "Training, renamed" in html and "Training and loss" not in html

    organizer.post(
        reverse("assignments:item_move", args=[week.cohort.slug, items[1].pk]), {"direction": "up"}
    )
    html = page(clients["participant"], week)
    assert html.index("Training, renamed") < html.index("Linear regression")

    organizer.post(reverse("assignments:item_delete", args=[week.cohort.slug, items[1].pk]))
    assert "Training, renamed" not in page(clients["participant"], week)


def test_assignment_changes_show_on_the_next_page(seen):
    week, clients = seen["week"], seen["clients"]
    assignment = Assignment.objects.get(week=week)
    assignment.title = "Notebook, part two"
    assignment.save()
    assert "Assignment: Notebook, part two" in page(clients["participant"], week)
    assignment.delete()
    assert "Assignment:" not in page(clients["participant"], week)


def test_a_moved_session_moves_the_due_time_on_the_next_page(seen):
    week, clients = seen["week"], seen["clients"]
    old = week.session_start
    week.session_start = old + timedelta(days=1)
    week.save()
    session_moved.send(sender=type(week), week=week, old_start=old, new_start=week.session_start)
    due = Assignment.objects.get(week=week).due_at
    assert due == week.session_start
    html = page(clients["participant"], week)
    berlin = ZoneInfo(week.cohort.time_zone)  # the page speaks the cohort's clock
    assert f'datetime="{due.astimezone(berlin).isoformat()}"' in html
    assert f'datetime="{old.astimezone(berlin).isoformat()}"' not in html


def test_items_written_in_bulk_show_on_the_next_page(seen):
    week, items, clients = seen["week"], seen["items"], seen["clients"]
    PreworkItem.objects.bulk_create([PreworkItem(week=week, title="Bulk item", order=9)])
    assert "Bulk item" in page(clients["participant"], week)
    items[0].title = "Bulk renamed"
    PreworkItem.objects.bulk_update([items[0]], ["title"])
    assert "Bulk renamed" in page(clients["participant"], week)
    PreworkItem.objects.filter(pk=items[0].pk).update(minutes=77)
    assert "77 min" in page(clients["participant"], week)


def test_ticks_and_hand_ins_are_each_persons_own(seen, people):
    week, items, clients, second = seen["week"], seen["items"], seen["clients"], seen["second"]
    clients["participant"].post(
        reverse("assignments:item_completion", args=[week.cohort.slug, items[0].pk]), {"done": "1"}
    )
    assert Completion.objects.filter(user=people["participant"], item=items[0]).exists()
    Submission.objects.create(
        assignment=Assignment.objects.get(week=week), user=second, link="https://n.example/x"
    )
    mine = page(clients["participant"], week)
    theirs = page(clients["second"], week)
    assert f'id="toggle-{items[0].pk}" class="check check--on" aria-pressed="true"' in mine
    assert f'id="toggle-{items[0].pk}" class="check" aria-pressed="false"' in theirs
    assert "1 of 3 required done" in mine and "0 of 3 required done" in theirs
    assert "Handed in" in theirs and "Handed in" not in mine
    assert "https://n.example/x" in theirs and "https://n.example/x" not in mine
