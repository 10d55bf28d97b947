"""Reads for WhatsApp channels: webhook routing, the 24-hour window, templates, settings-page access."""

import datetime as dt

from django.db.models import QuerySet
from django.http import Http404
from django.utils import timezone

from conversations.models import Conversation, Message
from inboxes.providers.whatsapp.formatting import digits
from inboxes.providers.whatsapp.models import MessageTemplate, WhatsappChannel
from inboxes.queries import access_inbox

WINDOW = dt.timedelta(hours=24)


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
