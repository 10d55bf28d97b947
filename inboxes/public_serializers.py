"""The Client API's JSON shapes (Chatwoot's `public/api/v1/models/*.json.jbuilder`; chatwoot-compat.md §6).

Only what the customer may see: no private notes or activity lines (the queries drop them), no agent emails,
no inbox secrets. Times are epoch seconds.
"""

from autonomia.api import epoch
from contacts.serializers import contact_json
from conversations.serializers import attachment_json, sender_json
from inboxes.serializers import working_hour_json


def public_inbox_json(channel) -> dict:
    inbox = channel.inbox
    return {"identifier": channel.identifier, "name": inbox.name, "timezone": inbox.timezone,
            "working_hours": [working_hour_json(row) for row in inbox.working_hours.all()],
            "working_hours_enabled": inbox.working_hours_enabled,
            "csat_survey_enabled": inbox.csat_survey_enabled, "greeting_enabled": inbox.greeting_enabled,
            "identity_validation_enabled": channel.hmac_mandatory}


def public_contact_json(contact_inbox) -> dict:
    contact = contact_inbox.contact
    return {"id": contact.pk, "source_id": contact_inbox.source_id,
            "pubsub_token": contact_inbox.pubsub_token, "name": contact.name, "email": contact.email,
            "phone_number": contact.phone_number}


def public_message_json(message) -> dict:
    """`conversation_id` is the display id; the message's conversation must be cached on it."""
    data = {"id": message.pk, "content": message.content, "message_type": message.message_type,
            "content_type": message.get_content_type_display(),
            "content_attributes": message.content_attributes,
            "created_at": epoch(message.created_at), "conversation_id": message.conversation.display_id}
    if getattr(message, "echo_id", None):
        data["echo_id"] = message.echo_id
    attachments = list(message.attachments.all())
    if attachments:
        data["attachments"] = [attachment_json(a) for a in attachments]
    sender = sender_json(getattr(message, "sender", None))
    if sender is not None:
        data["sender"] = sender
    return data


def public_conversation_json(conversation, messages: list) -> dict:
    return {"id": conversation.display_id, "uuid": str(conversation.uuid), "inbox_id": conversation.inbox_id,
            "contact_last_seen_at": epoch(conversation.contact_last_seen_at, 0),
            "status": conversation.status_name,
            "agent_last_seen_at": epoch(conversation.agent_last_seen_at, 0),
            "messages": [public_message_json(m) for m in messages],
            "contact": contact_json(conversation.contact)}
