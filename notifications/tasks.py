from celery import shared_task
from django.db import transaction

from . import dispatch, outbox


@shared_task(bind=True, max_retries=None)
def send_delivery(self, delivery_id):
    outcome = outbox.send(delivery_id, queued=True)
    enqueue_deliveries(outcome.follow_ups)
    if outcome.retry_in is not None:
        raise self.retry(countdown=outcome.retry_in)
    return outcome.delivery.status


# Sends queued before this app moved out of `cohorts` carry the old task name; it stays
# routable for one release so that none of them is lost.
@shared_task(name="cohorts.tasks.send_delivery")
def send_delivery_under_old_name(delivery_id):
    send_delivery.delay(delivery_id)


@shared_task
def dispatch_due():
    """Celery beat's periodic job: claim what is due in every active cohort, then send it."""
    with transaction.atomic():
        result = dispatch.run()
        enqueue_deliveries(result.to_send)
    return result.summary()


def enqueue_deliveries(deliveries):
    """Queue the send of each claimed delivery (or delivery id) once the surrounding
    transaction commits."""
    for claimed in deliveries:
        if claimed is not None:
            pk = getattr(claimed, "pk", claimed)
            transaction.on_commit(lambda pk=pk: send_delivery.delay(pk))
