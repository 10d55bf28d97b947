"""Chatwoot's JSON shapes for conversations, messages, senders and attachments (chatwoot-compat §8).

Shared by the REST API and webhooks: every function takes already-loaded objects and runs no query of its
own when the caller prepared them with `conversations.queries.api_conversations` / `prepare_api_conversations`
(senders set by `attach_senders`, attachments prefetched, assignee memberships attached).
"""

import datetime as dt

from django.conf import settings
from django.core import signing
from django.urls import reverse

from autonomia.api import epoch
from contacts.serializers import contact_json, file_url
from conversations.models import Attachment, Conversation, Message
from inboxes.models import Inbox

REPLY_WINDOWS = {  # hours the business may answer after the customer's last message (chatwoot-compat §3)
    Inbox.ChannelType.WHATSAPP: 24, Inbox.ChannelType.FACEBOOK: 24, Inbox.ChannelType.INSTAGRAM: 24,
}
ATTACHMENT_SALT = "conversations.attachment"


def epoch_float(value: dt.datetime | None):
    return value.timestamp() if value else None


# --- Senders ------------------------------------------------------------------------------

def user_sender_json(user) -> dict:
    return {"id": user.pk, "name": user.name, "available_name": user.available_name,
            "avatar_url": file_url(user.avatar), "availability_status": "offline",
            "thumbnail": file_url(user.avatar), "type": "user"}


def bot_sender_json(bot) -> dict:
    return {"id": bot.pk, "name": bot.name, "avatar_url": file_url(bot.avatar), "thumbnail": file_url(bot.avatar),
            "type": "agent_bot"}


def contact_sender_json(contact) -> dict:
    return {"id": contact.pk, "name": contact.name, "email": contact.email, "phone_number": contact.phone_number,
            "identifier": contact.identifier, "thumbnail": file_url(contact.avatar),
            "additional_attributes": contact.additional_attributes, "custom_attributes": contact.custom_attributes,
            "blocked": contact.blocked, "type": "contact"}


def sender_json(sender) -> dict | None:
    """Contact, user or agent-bot sender (None for system messages)."""
    kind = type(sender).__name__
    if kind == "Contact":
        return contact_sender_json(sender)
    if kind == "User":
        return user_sender_json(sender)
    if kind == "AgentBot":
        return bot_sender_json(sender)
    return None


def agent_json(user, account_user=None) -> dict:
    """The Agent shape (meta.assignee); `account_user` gives role and availability when loaded."""
    return {"id": user.pk, "account_id": getattr(account_user, "account_id", None),
            "availability_status": account_user.availability_status if account_user else "offline",
            "auto_offline": account_user.auto_offline if account_user else True, "confirmed": True,
            "email": user.email, "provider": "email", "available_name": user.available_name,
            "custom_attributes": {}, "name": user.name,
            "role": ("administrator" if account_user.is_administrator else "agent") if account_user else "agent",
            "thumbnail": file_url(user.avatar), "custom_role_id": None}


# --- Attachments --------------------------------------------------------------------------

def attachment_token(attachment: Attachment, *, thumb: bool = False) -> str:
    return signing.dumps([attachment.pk, int(thumb)], salt=ATTACHMENT_SALT, compress=True)


def attachment_url(attachment: Attachment, *, thumb: bool = False) -> str:
    """A signed download URL that works without a session (Evolution and webhooks fetch it)."""
    if not attachment.file or (thumb and not attachment.thumbnail):
        return attachment.external_url or ""
    path = reverse("api-attachment-file", kwargs={"account_id": attachment.account_id,
                                                  "token": attachment_token(attachment, thumb=thumb),
                                                  "name": attachment.file_name or "file"})
    return settings.FRONTEND_URL + path


def attachment_json(attachment: Attachment) -> dict:
    data = {"id": attachment.pk, "message_id": attachment.message_id, "file_type": attachment.file_type_name,
            "account_id": attachment.account_id, "extension": attachment.extension or None,
            "data_url": attachment_url(attachment), "thumb_url": attachment_url(attachment, thumb=True),
            "file_size": attachment.file_size, "width": attachment.width, "height": attachment.height}
    if attachment.file_type == Attachment.FileType.LOCATION:
        data.update(coordinates_lat=attachment.coordinates_lat, coordinates_long=attachment.coordinates_long,
                    fallback_title=attachment.fallback_title)
    if attachment.meta.get("transcribed_text"):
        data["transcribed_text"] = attachment.meta["transcribed_text"]
    return data


# --- Messages -----------------------------------------------------------------------------

def message_json(message: Message, *, push: bool = False) -> dict:
    """The REST message (integer message_type, epoch created_at, conversation_id = display id); `push` adds
    Chatwoot's push_event_data conversation{assignee_id, unread_count, last_activity_at, contact_inbox}."""
    conversation = message.conversation  # cached by the caller (related manager or explicit assignment)
    data = {
        "id": message.pk, "content": message.content, "inbox_id": message.inbox_id,
        "conversation_id": conversation.display_id,
        "message_type": message.message_type, "content_type": Message.ContentType(message.content_type).label,
        "status": message.status_name, "content_attributes": message.content_attributes,
        "created_at": epoch(message.created_at), "private": message.private, "source_id": message.source_id,
        "sender": sender_json(getattr(message, "sender", None)),
        "additional_attributes": message.additional_attributes,
        "sender_type": message.sender_type or None, "sender_id": message.sender_id,
        "external_source_ids": message.external_source_ids,
        "processed_message_content": message.content,
        "updated_at": epoch(message.updated_at),
    }
    if getattr(message, "echo_id", None):
        data["echo_id"] = message.echo_id
    attachments = list(message.attachments.all())
    if attachments:
        data["attachments"] = [attachment_json(a) for a in attachments]
    if push:
        data["conversation"] = {
            "assignee_id": conversation.assignee_id,
            "unread_count": min(getattr(conversation, "unread_count", 0) or 0, 10),
            "last_activity_at": epoch(conversation.last_activity_at),
            "contact_inbox": {"source_id": conversation.contact_inbox.source_id
                              if conversation.contact_inbox else None},
        }
    return data


# --- Conversations ------------------------------------------------------------------------

def can_reply(conversation: Conversation, now: dt.datetime | None = None) -> bool:
    """Whether the channel's reply window (from the customer's last message) is still open."""
    hours = REPLY_WINDOWS.get(conversation.inbox.channel_type)
    if conversation.inbox.channel_type == Inbox.ChannelType.API:
        channel = getattr(conversation.inbox, "api_channel", None)
        hours = (channel.additional_attributes or {}).get("agent_reply_time_window") if channel else None
    if not hours:
        return True
    last_incoming = getattr(conversation, "last_incoming_at", None)
    if last_incoming is None:
        return False
    return (now or dt.datetime.now(dt.UTC)) - last_incoming < dt.timedelta(hours=float(hours))


def conversation_meta_json(conversation: Conversation) -> dict:
    meta = {"sender": contact_json(conversation.contact), "channel": conversation.inbox.channel_type,
            "hmac_verified": conversation.contact_inbox.hmac_verified if conversation.contact_inbox else False}
    if conversation.assignee_agent_bot_id and conversation.assignee_agent_bot:
        meta.update(assignee=bot_sender_json(conversation.assignee_agent_bot), assignee_type="AgentBot")
    elif conversation.assignee_id and conversation.assignee:
        meta.update(assignee=agent_json(conversation.assignee, getattr(conversation, "assignee_membership", None)),
                    assignee_type="User")
    if conversation.team_id and conversation.team:
        meta["team"] = {"id": conversation.team.pk, "name": conversation.team.name}
    return meta


def conversation_json(conversation: Conversation) -> dict:
    """The §8 conversation; `prepare_api_conversations` must have loaded the messages and annotations."""
    last_chat = getattr(conversation, "api_last_chat_message", None)
    last_non_activity = getattr(conversation, "api_last_non_activity_message", None)
    return {
        "meta": conversation_meta_json(conversation),
        "id": conversation.display_id,
        "messages": [message_json(last_chat, push=True)] if last_chat else [],
        "account_id": conversation.account_id,
        "uuid": str(conversation.uuid),
        "additional_attributes": conversation.additional_attributes,
        "agent_last_seen_at": epoch(conversation.agent_last_seen_at, 0),
        "assignee_last_seen_at": epoch(conversation.assignee_last_seen_at, 0),
        "contact_last_seen_at": epoch(conversation.contact_last_seen_at, 0),
        "can_reply": can_reply(conversation),
        "custom_attributes": conversation.custom_attributes,
        "inbox_id": conversation.inbox_id,
        "labels": [row.title for row in conversation.label_rows.all()],
        "muted": conversation.contact.blocked,
        "snoozed_until": (conversation.snoozed_until.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")
                          if conversation.snoozed_until else None),
        "status": conversation.status_name,
        "created_at": epoch(conversation.created_at),
        "updated_at": epoch_float(conversation.updated_at),
        "timestamp": epoch(conversation.last_activity_at),
        "first_reply_created_at": epoch(conversation.first_reply_created_at, 0),
        "unread_count": min(getattr(conversation, "unread_count", 0) or 0, 10),
        "last_non_activity_message": (message_json(last_non_activity, push=True)
                                      if last_non_activity else None),
        "last_activity_at": epoch(conversation.last_activity_at),
        "priority": conversation.priority_name,
        "waiting_since": epoch(conversation.waiting_since, 0),
        "sla_policy_id": None,
    }
