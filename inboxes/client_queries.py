"""Reads and access checks of the customer's side of an inbox (the public Client API; the widget reuses them).

The caller is anonymous: the inbox identifier selects the inbox, the contact inbox's `source_id` is the
customer's credential, and conversations are found by display_id among that identity's own conversations
(plus, for an HMAC-verified identity, the conversations of the contact's other verified identities in the
same inbox, as Chatwoot does). Anything else raises Http404, never a hint about which part was wrong.
"""

from django.db.models import Q, QuerySet
from django.http import Http404

from contacts.models import ContactInbox
from conversations.models import Conversation, Message
from conversations.queries import attach_senders
from inboxes.models import ApiChannel, Inbox

MESSAGE_PAGE = 20
CONVERSATION_MESSAGES = 100


def access_client_channel(inbox_identifier: str) -> ApiChannel:
    """The API channel (with its inbox and account) whose identifier this is, or 404."""
    channel = (ApiChannel.objects.select_related("inbox__account").filter(identifier=inbox_identifier)
               .first() if inbox_identifier and len(inbox_identifier) <= 64 else None)
    if channel is None or channel.inbox.channel_type != Inbox.ChannelType.API:
        raise Http404
    return channel


def access_client_contact_inbox(inbox: Inbox, source_id: str) -> ContactInbox:
    """The customer's identity in the inbox, by source_id, or 404."""
    contact_inbox = (ContactInbox.objects.select_related("contact", "inbox")
                     .filter(inbox=inbox, source_id=source_id).first()
                     if source_id and len(source_id) <= 255 else None)
    if contact_inbox is None:
        raise Http404
    return contact_inbox


def client_conversations(contact_inbox: ContactInbox) -> QuerySet[Conversation]:
    """The conversations this identity may see, newest first."""
    visible = Q(contact_inbox=contact_inbox)
    if contact_inbox.hmac_verified:
        visible |= Q(contact_id=contact_inbox.contact_id, contact_inbox__hmac_verified=True)
    return (Conversation.objects.filter(visible, inbox_id=contact_inbox.inbox_id)
            .select_related("contact", "inbox").order_by("-id"))


def access_client_conversation(contact_inbox: ContactInbox, display_id: int) -> Conversation:
    """One of the identity's conversations by display_id, or 404."""
    try:
        return client_conversations(contact_inbox).get(display_id=display_id)
    except (Conversation.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def _chat(conversation: Conversation) -> QuerySet[Message]:
    """What the customer may see: no private notes, no activity lines (Chatwoot's `messages.chat`)."""
    return (conversation.messages.filter(private=False).exclude(message_type=Message.MessageType.ACTIVITY)
            .prefetch_related("attachments"))


def _prepared(messages: list[Message], conversation: Conversation) -> list[Message]:
    for message in messages:
        message._state.fields_cache["conversation"] = conversation
    attach_senders(messages)
    return messages


def client_messages(conversation: Conversation, *, before: int | None = None,
                    limit: int = MESSAGE_PAGE) -> list[Message]:
    """The latest `limit` public messages (older than `before`), oldest first, senders attached."""
    qs = _chat(conversation).order_by("-id")
    if before is not None:
        qs = qs.filter(id__lt=before)
    return _prepared(list(qs[:limit])[::-1], conversation)


def client_conversation_messages(conversations: list[Conversation]) -> dict[int, list[Message]]:
    """The latest CONVERSATION_MESSAGES public messages of each conversation (for the conversation JSON)."""
    return {c.pk: client_messages(c, limit=CONVERSATION_MESSAGES) for c in conversations}


def access_client_message(conversation: Conversation, message_id: int) -> Message:
    """A public message of the conversation, or 404."""
    try:
        message = _chat(conversation).get(pk=message_id)
    except (Message.DoesNotExist, ValueError, TypeError):
        raise Http404 from None
    return _prepared([message], conversation)[0]
