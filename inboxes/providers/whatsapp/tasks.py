"""WhatsApp background jobs: process stored webhook events, send outgoing messages, sync templates, sweep.

All take ids and are safe to run twice: events skip what is already stored (unique provider ids), sends claim
the message first (actions.claim_send) and skip messages already sent, failed, uncertain or held by another
worker, and parts already sent.
"""

import datetime as dt
import json
import logging
import random

from celery import shared_task
from django.db import connection, transaction
from django.utils import timezone

from inboxes.providers.whatsapp import actions, inbound_cloud, inbound_evolution, outbound, queries
from inboxes.providers.whatsapp.cloud import CloudClient, ProviderError
from inboxes.providers.whatsapp.models import ParkedStatus, ReceivedEvent, WhatsappChannel

log = logging.getLogger(__name__)
SEND_BACKOFF = [5, 30, 120, 600, 1800, 3600]  # seconds; then the message is marked failed
EVENT_MAX_ATTEMPTS = 8
Status = ReceivedEvent.Status


def enqueue_outgoing(message_id: int) -> None:
    """conversations.outgoing's sender for WhatsApp inboxes (called after commit)."""
    send_message_task.apply_async((message_id,), retry=False)


def process_event(event_id: int, *, channels: dict | None = None) -> str:
    """Process one stored event unless already done; its writes and its outcome commit together.

    One transaction holds the claim (a row lock; a second worker skips the row), the messages and receipts
    (each item in a savepoint, so one bad item does not undo the others) and the event's new status. Its
    commit may be asynchronous (synchronous_commit off): if a crash loses it, the event is pending again in the
    same instant and the sweeper redoes it from the durably stored raw body, so nothing is lost or doubled.
    An event with media to download first gives its claim back, downloads with no transaction open (a slow
    media server holds no lock), then is claimed again and processed with the files.
    `channels`: channels (with inbox and account) already read by this batch, by id.
    """
    channels = {} if channels is None else channels
    outcome = _process_claimed(event_id, channels, media=None)
    if not isinstance(outcome, _MediaFirst):
        return outcome
    try:
        media = outcome.fetch()
    except inbound_cloud.RetryLater as failure:
        return _record_failure(event_id, str(failure))
    except Exception as failure:  # noqa: BLE001
        log.exception("WhatsApp event %s: media download failed", event_id)
        return _record_failure(event_id, repr(failure), outcome="failed")
    return _process_claimed(event_id, channels, media=media)


class _MediaFirst:
    """The claimed event has media to download before its transaction."""

    def __init__(self, fetch):
        self.fetch = fetch


def _process_claimed(event_id: int, channels: dict, media: dict | None):
    with transaction.atomic():
        _relax_commit_durability()
        event = _claim(event_id)
        if event is None:
            return "skipped"  # done, or another worker holds it
        channel = _channel(event.channel_id, channels)
        outcome, status, error = "processed", Status.PROCESSED, ""
        try:
            with transaction.atomic():
                payload = json.loads(event.body)
                if event.provider == WhatsappChannel.Provider.CLOUD:
                    if media is None and (wanted := inbound_cloud.media_to_fetch(payload, channel)):
                        return _MediaFirst(lambda: inbound_cloud.fetch_media(wanted))
                    errors = inbound_cloud.process(payload, known=channel, media=media)
                else:
                    if media is None and channel and (wanted := inbound_evolution.media_to_fetch(channel, payload)):
                        return _MediaFirst(lambda: inbound_evolution.fetch_media(channel, wanted))
                    errors = inbound_evolution.process(channel, payload, media=media)
                error = "; ".join(errors)
        except inbound_cloud.RetryLater as failure:
            outcome, status, error = "retry", Status.FAILED, str(failure)
        except Exception as failure:  # noqa: BLE001
            log.exception("WhatsApp event %s failed", event.pk)
            outcome, status, error = "failed", Status.FAILED, repr(failure)
        _finish(event, status, error)
    return outcome


def _claim(event_id: int) -> ReceivedEvent | None:
    return (ReceivedEvent.objects.select_for_update(skip_locked=True)
            .filter(pk=event_id, status__in=[Status.PENDING, Status.FAILED])
            .only("id", "channel_id", "provider", "body", "attempts").first())


def _finish(event: ReceivedEvent, status: int, error: str) -> None:
    ReceivedEvent.objects.filter(pk=event.pk).update(status=status, error=error[:2000], attempts=event.attempts + 1,
                                                     processed_at=timezone.now())


def _record_failure(event_id: int, error: str, outcome: str = "retry") -> str:
    """A download failed before the transaction: the event stays failed for the sweeper to retry."""
    with transaction.atomic():
        event = _claim(event_id)
        if event is None:
            return "skipped"
        _finish(event, Status.FAILED, error)
    return outcome


def _channel(channel_id: int | None, cache: dict) -> WhatsappChannel | None:
    if channel_id is not None and channel_id not in cache:
        cache[channel_id] = WhatsappChannel.objects.select_related("inbox__account").filter(pk=channel_id).first()
    return cache.get(channel_id)


def process_events(event_ids: list[int]) -> dict[str, int]:
    """Process a batch of stored events in order, each in its own transaction (see process_event)."""
    channels, outcomes = {}, {}
    for event_id in event_ids:
        outcome = process_event(event_id, channels=channels)
        outcomes[outcome] = outcomes.get(outcome, 0) + 1
    return outcomes


def _relax_commit_durability() -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL synchronous_commit TO OFF")


@shared_task(acks_late=True)
def process_event_task(event_id: int) -> str:
    """Turn a stored webhook event into messages, receipts and state."""
    return process_event(event_id)


@shared_task(acks_late=True)
def process_events_task(event_ids: list[int]) -> dict[str, int]:
    """Turn stored webhook events into messages, receipts and state: the events one web process stored within
    queueing.BATCH_LINGER of each other, woken together so they pay a task's overhead once."""
    return process_events(event_ids)


@shared_task
def fetch_group_name_task(channel_id: int, contact_id: int) -> str:
    """Name an Evolution group's contact after the group's subject (GET /group/findGroupInfos), once."""
    from contacts.models import Contact

    from inboxes.providers.whatsapp.evolution import EvolutionClient

    channel = WhatsappChannel.objects.select_related("inbox").filter(
        pk=channel_id, provider=WhatsappChannel.Provider.EVOLUTION).first()
    contact = channel and Contact.objects.filter(pk=contact_id, account_id=channel.inbox.account_id,
                                                 identifier__endswith="@g.us").first()
    if not contact or actions.GROUP_SUBJECT in contact.additional_attributes:
        return "skipped"
    try:
        info = EvolutionClient(channel).group_info(contact.identifier)
    except ProviderError as error:
        if error.retryable:  # a later message of the group asks again
            log.info("group %s name not fetched: %s", contact.identifier, error)
            return "retry"
        info = {}  # not in the group any more, or refused: remember that there is no name to fetch
    actions.record_group_subject(contact, str(info.get("subject") or "") if isinstance(info, dict) else "")
    return "named"


@shared_task(bind=True, acks_late=True)
def send_message_task(self, message_id: int, attempt: int = 0) -> str:
    """Send one outgoing message; retry with backoff on rate limits, 5xx and connections that never reached the
    provider, never on a 4xx that cannot succeed (failed, with the provider's explanation) nor after a call that
    may have delivered it (uncertain: the agent decides). Duplicate runs are harmless (outbound claims first)."""
    try:
        return outbound.send_message(message_id)
    except ProviderError as error:
        if error.uncertain or not error.retryable or attempt >= len(SEND_BACKOFF):
            outbound.fail(message_id, error)
            return "uncertain" if error.uncertain else "failed"
        wait = 0 if self.request.is_eager else SEND_BACKOFF[attempt] * random.uniform(0.8, 1.2)
        # The sweeper re-queues it if this retry is lost (a broker restart drops countdown tasks).
        actions.schedule_send_retry(message_id, timezone.now() + dt.timedelta(seconds=wait))
        if self.request.is_eager:  # tests and the embedded default: no worker to wake later, retry now
            return send_message_task.apply(args=(message_id, attempt + 1)).get()
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
def sweep_whatsapp_outgoing_task() -> int:
    """Beat: queue again outgoing messages whose send task was never queued or was lost (the broker was down)
    or whose worker died (the claim decides: resend if no provider call was in flight, else uncertain), and
    fail those that stayed unsent for a day. Safe to overlap with running sends: every send claims first."""
    now = timezone.now()
    ids = queries.unsent_message_ids(now)
    for message_id in ids:
        actions.queue_unsent_message(message_id)
        try:
            enqueue_outgoing(message_id)
        except Exception:  # the broker is still down: the next sweep tries again
            log.exception("could not queue outgoing message %s", message_id)
            break
    for message_id in queries.expired_unsent_message_ids(now):
        actions.expire_unsent_message(message_id)
    return len(ids)


@shared_task
def sweep_whatsapp_events_task() -> int:
    """Beat: process events whose task never ran (Redis was down) or failed for a temporary reason, and
    drop old processed events and receipts parked for messages that never appeared."""
    now = timezone.now()
    due = ReceivedEvent.objects.filter(status__in=[Status.PENDING, Status.FAILED], attempts__lt=EVENT_MAX_ATTEMPTS,
                                       received_at__lte=now - dt.timedelta(seconds=20)).order_by("id")
    ids = list(due.values_list("pk", flat=True)[:500])
    process_events(ids)
    old = ReceivedEvent.objects.filter(status=Status.PROCESSED, received_at__lt=now - dt.timedelta(days=7))
    ReceivedEvent.objects.filter(pk__in=list(old.values_list("pk", flat=True)[:5000])).delete()
    ParkedStatus.objects.filter(created_at__lt=now - dt.timedelta(days=1)).delete()
    return len(ids)
