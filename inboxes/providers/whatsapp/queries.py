"""Reads for WhatsApp channels: webhook routing, the 24-hour window, templates, settings-page access."""

import datetime as dt

from django.conf import settings
from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils import timezone

from conversations.models import Conversation, Message
from inboxes.models import Inbox
from inboxes.providers.whatsapp.formatting import digits
from inboxes.providers.whatsapp.models import MessageTemplate, OutgoingSend, WhatsappChannel
from inboxes.queries import access_inbox

WINDOW = dt.timedelta(hours=24)
UNSENT_AFTER = dt.timedelta(minutes=1)  # a send task normally runs within seconds of the message
UNSENT_HORIZON = dt.timedelta(days=1)  # older unsent messages are not sent any more (they are failed)


def cloud_channel_for_path(phone_number: str) -> WhatsappChannel | None:
    """The Cloud API channel of a webhook URL (/webhooks/whatsapp/<phone digits>), or None."""
    number = digits(phone_number)
    if not number:
        return None
    return (WhatsappChannel.objects.select_related("inbox")
            .filter(provider=WhatsappChannel.Provider.CLOUD, phone_number="+" + number).first())


def cloud_channels_by_phone_number_id(ids) -> dict[str, WhatsappChannel]:
    """Cloud channels keyed by phone_number_id (how a batched delivery is routed, change by change)."""
    rows = WhatsappChannel.objects.select_related("inbox__account").filter(
        provider=WhatsappChannel.Provider.CLOUD, phone_number_id__in=[str(i) for i in ids if i])
    return {row.phone_number_id: row for row in rows}


def evolution_channel(channel_id) -> WhatsappChannel | None:
    try:
        return WhatsappChannel.objects.select_related("inbox__account").get(
            pk=int(channel_id), provider=WhatsappChannel.Provider.EVOLUTION)
    except (WhatsappChannel.DoesNotExist, ValueError, TypeError):
        return None


def last_incoming_at(conversation: Conversation):
    """When the customer last wrote in this conversation (None if never)."""
    return (conversation.messages.filter(message_type=Message.MessageType.INCOMING)
            .order_by("-created_at").values_list("created_at", flat=True).first())


def window_open(conversation: Conversation, now: dt.datetime | None = None) -> bool:
    """Whether free-form messages may be sent: the customer wrote in the last 24 hours (Cloud API rule)."""
    last = last_incoming_at(conversation)
    return last is not None and last > (now or timezone.now()) - WINDOW


def window_closes_at(conversation: Conversation):
    last = last_incoming_at(conversation)
    return last + WINDOW if last else None


def channel_of(conversation: Conversation) -> WhatsappChannel | None:
    """The conversation's WhatsApp channel, or None for other inboxes."""
    return WhatsappChannel.objects.filter(inbox_id=conversation.inbox_id).first()


def approved_templates(channel: WhatsappChannel) -> QuerySet[MessageTemplate]:
    """Templates an agent may send (Meta approved them)."""
    return channel.templates.filter(status__iexact="APPROVED").order_by("name", "language")


def access_template(channel: WhatsappChannel, template_id) -> MessageTemplate:
    """An approved template of the channel, or 404."""
    try:
        return approved_templates(channel).get(pk=int(template_id))
    except (MessageTemplate.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def access_whatsapp_channel(account_user, inbox_id) -> WhatsappChannel:
    """The WhatsApp channel of an inbox of the member's account, or 404."""
    inbox = access_inbox(account_user, inbox_id)
    try:
        return WhatsappChannel.objects.select_related("inbox").get(inbox=inbox)
    except WhatsappChannel.DoesNotExist:
        raise Http404 from None


def send_claim_stale_after() -> dt.timedelta:
    """How long a send claim is trusted: a part is an upload and a send, each bounded by the HTTP timeout."""
    return dt.timedelta(seconds=4 * settings.WHATSAPP_HTTP_TIMEOUT + 60)


def _unsent_outgoing(since, until) -> QuerySet[Message]:
    """Public outgoing WhatsApp messages created in [since, until] with no provider id that did not fail. Filtered
    by account first, so the (account, created_at, message_type) index bounds the scan."""
    account_ids = list(WhatsappChannel.objects.values_list("inbox__account_id", flat=True).distinct())
    return (Message.objects.filter(account_id__in=account_ids, created_at__gte=since, created_at__lte=until,
                                   message_type__in=[Message.MessageType.OUTGOING, Message.MessageType.TEMPLATE],
                                   private=False, source_id__isnull=True,
                                   inbox__channel_type=Inbox.ChannelType.WHATSAPP)
            .exclude(status=Message.Status.FAILED))


def unsent_message_ids(now: dt.datetime, *, limit: int = 200) -> list[int]:
    """Messages whose send task was never queued or was lost (no claim, or queued over a minute ago), and
    messages whose claim went stale (the worker died): the sweeper queues them again."""
    State = OutgoingSend.State
    lost = _unsent_outgoing(now - UNSENT_HORIZON, now - UNSENT_AFTER).filter(
        Q(whatsapp_send__isnull=True) | Q(whatsapp_send__state=State.QUEUED, whatsapp_send__due_at__lte=now - UNSENT_AFTER))
    ids = list(lost.order_by("id").values_list("pk", flat=True)[:limit])
    stale = OutgoingSend.objects.filter(state=State.SENDING, claimed_at__lt=now - send_claim_stale_after())
    return ids + list(stale.order_by("pk").values_list("pk", flat=True)[:limit])


def expired_unsent_message_ids(now: dt.datetime, *, limit: int = 200) -> list[int]:
    """Unsent messages that passed the horizon (the day before it, so the scan stays bounded): failed, not sent."""
    return list(_unsent_outgoing(now - 2 * UNSENT_HORIZON, now - UNSENT_HORIZON)
                .exclude(whatsapp_send__state=OutgoingSend.State.UNCERTAIN)
                .order_by("id").values_list("pk", flat=True)[:limit])
