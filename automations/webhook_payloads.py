"""Webhook bodies exactly as Chatwoot sends them (chatwoot-compat §9, §10, §11).

Every builder takes ids or loaded rows, loads what it needs, and returns a JSON-safe dict. The shapes
shared with the REST API (message, sender, attachment) come from `conversations.serializers`, so
webhooks, REST and realtime agree byte for byte.
"""

import datetime as dt

from autonomia.api import epoch
from contacts.models import Contact, ContactInbox
from contacts.serializers import file_url
from conversations.models import Conversation, Message
from conversations.queries import attach_senders
from conversations.serializers import (attachment_json, bot_sender_json, can_reply, contact_sender_json,
                                       epoch_float, message_json, user_sender_json)

MessageType = Message.MessageType


def iso_ms(value: dt.datetime | None) -> str | None:
    """Rails' JSON time format: UTC with milliseconds ("2026-01-14T20:13:15.123Z")."""
    if value is None:
        return None
    return value.astimezone(dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def account_data(account) -> dict:
    return {"id": account.pk, "name": account.name}


def inbox_data(inbox) -> dict:
    return {"id": inbox.pk, "name": inbox.name}


# --- Contacts and senders -------------------------------------------------------------------

def contact_data(contact: Contact) -> dict:
    """Contact#webhook_data: contact_created / contact_updated bodies and message senders."""
    return {
        "account": account_data(contact.account), "additional_attributes": contact.additional_attributes,
        "avatar": file_url(contact.avatar), "custom_attributes": contact.custom_attributes,
        "email": contact.email, "id": contact.pk, "identifier": contact.identifier, "name": contact.name,
        "phone_number": contact.phone_number, "thumbnail": file_url(contact.avatar), "blocked": contact.blocked,
    }


def user_data(user) -> dict:
    return {"id": user.pk, "name": user.name, "email": user.email, "type": "user"}


def bot_data(bot) -> dict:
    return {"id": bot.pk, "name": bot.name, "type": "agent_bot"}


def sender_data(sender) -> dict | None:
    """The message sender in webhooks: contact webhook_data (+ type), or the short user / bot shapes."""
    kind = type(sender).__name__
    if kind == "Contact":
        return {**contact_data(sender), "type": "contact"}
    if kind == "User":
        return user_data(sender)
    if kind == "AgentBot":
        return bot_data(sender)
    return None


# --- Conversations --------------------------------------------------------------------------

def load_conversation(conversation_id: int) -> Conversation:
    return Conversation.objects.select_related(
        "account", "inbox", "contact", "contact_inbox", "assignee", "team", "assignee_agent_bot").get(
        pk=conversation_id)


def _contact_inbox_row(contact_inbox: ContactInbox | None) -> dict | None:
    if contact_inbox is None:
        return None
    # The raw row, as Chatwoot serialises it, minus pubsub_token (a widget credential).
    return {"id": contact_inbox.pk, "contact_id": contact_inbox.contact_id, "inbox_id": contact_inbox.inbox_id,
            "source_id": contact_inbox.source_id, "created_at": iso_ms(contact_inbox.created_at),
            "updated_at": iso_ms(contact_inbox.created_at), "hmac_verified": contact_inbox.hmac_verified}


def _push_message(message: Message, conversation: Conversation, unread: int) -> dict:
    """Message#push_event_data: integer message_type, its source_id, and the short conversation block."""
    message.conversation = conversation
    if not hasattr(message, "sender"):
        attach_senders([message])
    conversation.unread_count = unread
    return message_json(message, push=True)


def _meta(conversation: Conversation) -> dict:
    meta = {"sender": contact_sender_json(conversation.contact), "assignee": None, "team": None,
            "hmac_verified": conversation.contact_inbox.hmac_verified if conversation.contact_inbox else False}
    if conversation.assignee_agent_bot_id and conversation.assignee_agent_bot:
        meta.update(assignee=bot_sender_json(conversation.assignee_agent_bot), assignee_type="AgentBot")
    elif conversation.assignee_id and conversation.assignee:
        meta.update(assignee=user_sender_json(conversation.assignee), assignee_type="User")
    if conversation.team_id and conversation.team:
        meta["team"] = {"id": conversation.team.pk, "name": conversation.team.name}
    meta["channel"] = conversation.inbox.channel_type
    return meta


def conversation_data(conversation: Conversation, *, current_message: Message | None = None) -> dict:
    """Conversation#webhook_data. `messages` holds the last chat message, or `current_message` when given
    (message events: Evolution's loop guard needs messages[0] to be the event's own message)."""
    unread_qs = conversation.messages.filter(message_type=MessageType.INCOMING)
    if conversation.agent_last_seen_at:
        unread_qs = unread_qs.filter(created_at__gt=conversation.agent_last_seen_at)
    unread = unread_qs.count()
    conversation.last_incoming_at = (conversation.messages.filter(message_type=MessageType.INCOMING)
                                     .order_by("-created_at").values_list("created_at", flat=True).first())
    message = current_message
    if message is None:
        message = (conversation.messages.exclude(message_type=MessageType.ACTIVITY).filter(private=False)
                   .prefetch_related("attachments").order_by("-id").first())
    return {
        "additional_attributes": conversation.additional_attributes,
        "can_reply": can_reply(conversation),
        "channel": conversation.inbox.channel_type,
        "contact_inbox": _contact_inbox_row(conversation.contact_inbox),
        "id": conversation.display_id,
        "inbox_id": conversation.inbox_id,
        "messages": [_push_message(message, conversation, unread)] if message is not None else [],
        "labels": sorted(conversation.label_rows.values_list("title", flat=True)),
        "meta": _meta(conversation),
        "status": conversation.status_name,
        "custom_attributes": conversation.custom_attributes,
        "snoozed_until": iso_ms(conversation.snoozed_until),
        "unread_count": unread,
        "first_reply_created_at": iso_ms(conversation.first_reply_created_at),
        "priority": conversation.priority_name,
        "waiting_since": epoch(conversation.waiting_since, 0),
        "agent_last_seen_at": epoch(conversation.agent_last_seen_at, 0),
        "contact_last_seen_at": epoch(conversation.contact_last_seen_at, 0),
        "last_activity_at": epoch(conversation.last_activity_at, 0),
        "timestamp": epoch(conversation.last_activity_at, 0),
        "created_at": epoch(conversation.created_at, 0),
        "updated_at": epoch_float(conversation.updated_at),
    }


def changed_list(changes: dict | None) -> list[dict]:
    """{attr: (previous, current)} → [{attr: {previous_value, current_value}}] (Chatwoot's shape)."""
    return [{key: {"previous_value": before, "current_value": after}} for key, (before, after) in
            (changes or {}).items()]


def conversation_event(event: str, conversation: Conversation, changes: dict | None = None) -> dict:
    """conversation_created / _updated / _status_changed / _opened / _resolved bodies."""
    data = {**conversation_data(conversation), "event": event}
    if event in ("conversation_updated", "conversation_status_changed"):
        data["changed_attributes"] = changed_list(changes)
    return data


# --- Messages -------------------------------------------------------------------------------

def load_message(message_id: int) -> Message:
    message = Message.objects.select_related("account", "inbox").prefetch_related("attachments").get(pk=message_id)
    attach_senders([message])
    return message


def message_event(event: str, message: Message, conversation: Conversation) -> dict:
    """message_created / message_updated: message_type is a string here and an integer in messages[0]."""
    data = {
        "account": account_data(message.account),
        "additional_attributes": message.additional_attributes,
        "content_attributes": message.content_attributes,
        "content_type": Message.ContentType(message.content_type).label,
        "content": message.content,
        "conversation": conversation_data(conversation, current_message=message),
        "created_at": iso_ms(message.created_at),
        "id": message.pk,
        "inbox": inbox_data(message.inbox),
        "message_type": message.message_type_name,
        "private": message.private,
        "sender": sender_data(getattr(message, "sender", None)),
        "source_id": message.source_id,
        "event": event,
    }
    attachments = list(message.attachments.all())
    if attachments:
        data["attachments"] = [attachment_json(a) for a in attachments]
    return data


# --- Contacts, typing, widget -----------------------------------------------------------------

def contact_event(event: str, contact: Contact, changes: dict | None = None) -> dict:
    data = {**contact_data(contact), "event": event}
    if event == "contact_updated":
        data["changed_attributes"] = changed_list(changes)
    return data


def typing_event(event: str, conversation: Conversation, user, *, is_private: bool = False) -> dict:
    return {"event": event, "user": user_sender_json(user) if user is not None else None,
            "conversation": conversation_data(conversation), "is_private": is_private}


def load_inbox(inbox_id: int):
    from inboxes.models import Inbox

    return Inbox.objects.select_related("account").prefetch_related("working_hours").get(pk=inbox_id)


def inbox_event(event: str, inbox, changes: dict | None = None) -> dict:
    """inbox_created / inbox_updated: the inbox's REST JSON as agents see it (no hmac_token: webhook receivers
    get no credentials) with Chatwoot's push_data times, + changed_attributes on update."""
    from inboxes.serializers import inbox_json

    data = {**inbox_json(inbox, administrator=False), "created_at": iso_ms(inbox.created_at),
            "updated_at": iso_ms(inbox.updated_at), "event": event}
    if event == "inbox_updated":
        data["changed_attributes"] = changed_list(changes)
    return data


def webwidget_event(contact_inbox: ContactInbox, event_info: dict | None = None) -> dict:
    """ContactInbox#webhook_data + event_info (widget_language, browser_language, browser, referer, ...)."""
    conversation = (Conversation.objects.filter(contact_inbox=contact_inbox).order_by("-id")
                    .values_list("pk", flat=True).first())
    return {
        "event": "webwidget_triggered", "id": contact_inbox.pk,
        "contact": contact_data(contact_inbox.contact), "inbox": inbox_data(contact_inbox.inbox),
        "account": account_data(contact_inbox.inbox.account),
        "current_conversation": conversation_data(load_conversation(conversation)) if conversation else None,
        "source_id": contact_inbox.source_id, "event_info": event_info or {},
    }
