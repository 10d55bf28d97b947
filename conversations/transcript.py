"""The conversation transcript emailed on request (POST …/conversations/{id}/transcript): the public messages
(customer, agents, bots and automatic replies; no private notes or activity lines) as plain text."""

import zoneinfo

from django.conf import settings
from django.core.mail import send_mail
from django.utils.translation import gettext as _
from django.utils.translation import override

from conversations.models import Conversation, Message
from conversations.queries import attach_senders


def transcript_messages(conversation: Conversation) -> list[Message]:
    """The messages a customer could see, oldest first, with senders and attachments loaded."""
    messages = list(conversation.messages.exclude(message_type=Message.MessageType.ACTIVITY)
                    .filter(private=False).prefetch_related("attachments").order_by("created_at", "id"))
    attach_senders(messages)
    return [m for m in messages if not m.is_deleted]


def _sender_name(message: Message, conversation: Conversation) -> str:
    sender = getattr(message, "sender", None)
    name = getattr(sender, "available_name", None) or getattr(sender, "name", "")
    if name:
        return name
    return _("Customer") if message.is_incoming else conversation.inbox.name


def transcript_text(conversation: Conversation) -> str:
    """One block per message: time in the account's time zone, sender, text and attachment names."""
    try:
        zone = zoneinfo.ZoneInfo(conversation.account.timezone or settings.TIME_ZONE)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        zone = zoneinfo.ZoneInfo(settings.TIME_ZONE)
    blocks = []
    for message in transcript_messages(conversation):
        when = message.created_at.astimezone(zone).strftime("%d/%m/%Y %H:%M")
        lines = [f"[{when}] {_sender_name(message, conversation)}:"]
        if message.content.strip():
            lines.append(message.content.strip())
        lines += [_("Attachment: %(name)s") % {"name": a.file_name or a.file_type_name}
                  for a in message.attachments.all()]
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks) or _("This conversation has no messages yet.")


def send_transcript(conversation: Conversation, email: str) -> None:
    """Send the transcript to `email`, in the account's language."""
    with override(conversation.account.locale or settings.LANGUAGE_CODE):
        title = _("Conversation Transcript")
        subject = f"[#{conversation.display_id}] {title}"
        intro = _("Transcript of conversation #%(id)s (%(inbox)s)") % {"id": conversation.display_id,
                                                                        "inbox": conversation.inbox.name}
        body = f"{intro}\n\n{transcript_text(conversation)}\n"
    send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [email])
