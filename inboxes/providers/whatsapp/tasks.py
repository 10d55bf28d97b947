"""WhatsApp background jobs: process stored webhook events, send outgoing messages, sync templates, sweep.

All take ids and are safe to run twice: events skip what is already stored (unique provider ids), sends skip
messages that already have a provider id or parts already sent.
"""

import datetime as dt
import json
import logging
import random

from celery import shared_task
from django.db import connection, transaction
from django.utils import timezone

from inboxes.providers.whatsapp import actions, inbound_cloud, inbound_evolution, outbound
from inboxes.providers.whatsapp.cloud import CloudClient, ProviderError
from inboxes.providers.whatsapp.models import ParkedStatus, ReceivedEvent, WhatsappChannel

log = logging.getLogger(__name__)
SEND_BACKOFF = [5, 30, 120, 600, 1800, 3600]  # seconds; then the message is marked failed
EVENT_MAX_ATTEMPTS = 8
Status = ReceivedEvent.Status


def enqueue_outgoing(message_id: int) -> None:
    """conversations.outgoing's sender for WhatsApp inboxes (called after commit)."""
    send_message_task.apply_async((message_id,), retry=False)


def process_event(event_id: int) -> str:
    """Process one stored event unless already done; its writes and its outcome commit together.

    One transaction holds the claim (a row lock; a second worker skips the row), the messages and receipts
    (each item in a savepoint, so one bad item does not undo the others) and the event's new status. Its
    commit may be asynchronous (synchronous_commit off): if a crash loses it, the event is pending again in the
    same instant and the sweeper redoes it from the durably stored raw body, so nothing is lost or doubled.
    """
    with transaction.atomic():
        _relax_commit_durability()
        event = (ReceivedEvent.objects.select_for_update(skip_locked=True, of=("self",))
                 .select_related("channel__inbox__account")
                 .filter(pk=event_id, status__in=[Status.PENDING, Status.FAILED]).first())
        if event is None:
            return "skipped"  # done, or another worker holds it
        outcome, status, error = "processed", Status.PROCESSED, ""
        try:
            with transaction.atomic():
                payload = json.loads(event.body)
                if event.provider == WhatsappChannel.Provider.CLOUD:
                    errors = inbound_cloud.process(payload)
                else:
                    errors = inbound_evolution.process(event.channel, payload)
                error = "; ".join(errors)
        except inbound_cloud.RetryLater as failure:
            outcome, status, error = "retry", Status.FAILED, str(failure)
        except Exception as failure:  # noqa: BLE001
            log.exception("WhatsApp event %s failed", event.pk)
            outcome, status, error = "failed", Status.FAILED, repr(failure)
        ReceivedEvent.objects.filter(pk=event.pk).update(status=status, error=error[:2000],
                                                         attempts=event.attempts + 1, processed_at=timezone.now())
    return outcome


def _relax_commit_durability() -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL synchronous_commit TO OFF")


@shared_task(acks_late=True)
def process_event_task(event_id: int) -> str:
    """Turn a stored webhook event into messages, receipts and state."""
    return process_event(event_id)


@shared_task(bind=True, acks_late=True)
def send_message_task(self, message_id: int, attempt: int = 0) -> str:
    """Send one outgoing message; retry with backoff on rate limits, 5xx and network errors, never on a 4xx
    that cannot succeed, and mark it failed with the provider's explanation when giving up."""
    try:
        return outbound.send_message(message_id)
    except ProviderError as error:
        if not error.retryable or attempt >= len(SEND_BACKOFF):
            outbound.fail(message_id, error)
            return "failed"
        if self.request.is_eager:  # tests and the embedded default: no worker to wake later, retry now
            return send_message_task.apply(args=(message_id, attempt + 1)).get()
        wait = SEND_BACKOFF[attempt] * random.uniform(0.8, 1.2)
        log.info("WhatsApp send of message %s retried in %.0fs: %s", message_id, wait, error)
        send_message_task.apply_async((message_id, attempt + 1), countdown=wait)
        return "retrying"


@shared_task
def sync_templates_task(channel_id: int) -> int:
    """Fetch the business account's templates (every page) and store them."""
    channel = WhatsappChannel.objects.filter(pk=channel_id, provider=WhatsappChannel.Provider.CLOUD).first()
    if channel is None:
        return 0
    try:
        items = list(CloudClient(channel).templates())
    except ProviderError as error:
        log.warning("template sync of channel %s failed: %s", channel_id, error)
        if error.code == 190 or error.http_status == 401:
            actions.mark_reauthorization_required(channel)
        return 0
    return actions.replace_templates(channel, items)


@shared_task
def sweep_whatsapp_events_task() -> int:
    """Beat: process events whose task never ran (Redis was down) or failed for a temporary reason, and
    drop old processed events and receipts parked for messages that never appeared."""
    now = timezone.now()
    due = ReceivedEvent.objects.filter(status__in=[Status.PENDING, Status.FAILED], attempts__lt=EVENT_MAX_ATTEMPTS,
                                       received_at__lte=now - dt.timedelta(seconds=20)).order_by("id")
    ids = list(due.values_list("pk", flat=True)[:500])
    for event_id in ids:
        process_event(event_id)
    old = ReceivedEvent.objects.filter(status=Status.PROCESSED, received_at__lt=now - dt.timedelta(days=7))
    ReceivedEvent.objects.filter(pk__in=list(old.values_list("pk", flat=True)[:5000])).delete()
    ParkedStatus.objects.filter(created_at__lt=now - dt.timedelta(days=1)).delete()
    return len(ids)
