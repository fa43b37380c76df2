from celery import shared_task
from django.db import transaction

from . import delivery, dispatch


@shared_task(bind=True, max_retries=None)
def send_delivery(self, delivery_id):
    outcome = delivery.send(delivery_id, queued=True)
    enqueue_deliveries(outcome.follow_ups)
    if outcome.retry_in is not None:
        raise self.retry(countdown=outcome.retry_in)
    return outcome.delivery.status


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
