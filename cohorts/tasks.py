from celery import shared_task

from . import delivery


@shared_task(bind=True, max_retries=None)
def send_delivery(self, delivery_id):
    outcome = delivery.send(delivery_id)
    if outcome.retry_in is not None:
        raise self.retry(countdown=outcome.retry_in)
    return outcome.delivery.status


def enqueue_deliveries(deliveries):
    """Queue the send of each claimed delivery once the surrounding transaction commits."""
    from django.db import transaction

    for claimed in deliveries:
        if claimed is not None:
            transaction.on_commit(lambda pk=claimed.pk: send_delivery.delay(pk))
