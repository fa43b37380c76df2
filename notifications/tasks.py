"""Celery tasks, thin: the work is in outbox.py and dispatch.py.

Queues (CELERY_TASK_ROUTES in config/settings.py): emails go to the email queue, Slack
messages to the Slack queue, and dispatch stays on the default queue, so a hanging mail
server never delays a digest and a long dispatch never delays a send.
"""

from celery import shared_task
from django.db import transaction

from . import dispatch, outbox
from .models import Delivery

# Emails per task: they share one SMTP connection.
EMAIL_BATCH = 50
# When the mail server stopped answering mid-batch, the rest waits this long.
BATCH_RETRY_SECONDS = 30


def _send_one(task, delivery_id):
    outcome = outbox.send(delivery_id, queued=True)
    enqueue_deliveries(outcome.follow_ups)
    if outcome.retry_in is not None:
        raise task.retry(countdown=outcome.retry_in)
    return outcome.delivery.status


@shared_task(bind=True, max_retries=None)
def send_delivery(self, delivery_id):
    """One email (a retry, say) on the email queue."""
    return _send_one(self, delivery_id)


@shared_task(bind=True, max_retries=None)
def send_slack(self, delivery_id):
    """One Slack message on the Slack queue."""
    return _send_one(self, delivery_id)


@shared_task
def send_emails(delivery_ids):
    """A batch of emails over one SMTP connection; retries are queued one by one."""
    outcomes, not_tried = outbox.send_batch(delivery_ids)
    for outcome in outcomes:
        enqueue_deliveries(outcome.follow_ups)
        if outcome.retry_in is not None:
            send_delivery.apply_async(args=[outcome.delivery.pk], countdown=outcome.retry_in)
    if not_tried:
        send_emails.apply_async(args=[not_tried], countdown=BATCH_RETRY_SECONDS)
    return [outcome.delivery.status for outcome in outcomes]


# Sends queued before this app moved out of `cohorts` carry the old task name; it stays
# routable for one release so that none of them is lost.
@shared_task(name="cohorts.tasks.send_delivery")
def send_delivery_under_old_name(delivery_id):
    enqueue_deliveries([delivery_id])


@shared_task
def dispatch_due():
    """Celery beat's periodic job: claim what is due in every active cohort, then send it."""
    with transaction.atomic():
        result = dispatch.run()
        enqueue_deliveries(result.to_send)
    return result.summary()


def enqueue_deliveries(deliveries):
    """Queue the sends of claimed deliveries (or delivery ids) once the surrounding
    transaction commits: emails in batches on the email queue, Slack messages one by one on
    the Slack queue."""
    ids = [getattr(claimed, "pk", claimed) for claimed in deliveries if claimed is not None]
    if not ids:
        return
    channels = dict(Delivery.objects.filter(pk__in=ids).values_list("pk", "channel"))
    emails = [pk for pk in ids if channels.get(pk) == Delivery.Channel.EMAIL]
    slacks = [pk for pk in ids if channels.get(pk) == Delivery.Channel.SLACK]
    for start in range(0, len(emails), EMAIL_BATCH):
        batch = emails[start : start + EMAIL_BATCH]
        transaction.on_commit(lambda batch=batch: send_emails.delay(batch))
    for pk in slacks:
        transaction.on_commit(lambda pk=pk: send_slack.delay(pk))
