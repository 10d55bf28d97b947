"""Conversation events: recipients are computed here, from the database, when the event is sent."""

from autonomia import realtime
from conversations.models import Conversation, Message
from conversations.queries import viewer_ids
from inboxes.models import Inbox


def conversation_changed(conversation: Conversation, *, kind: str = "updated") -> None:
    """Tell every agent who may see the conversation that its row (and open header) changed."""
    realtime.broadcast_on_commit(
        (realtime.user_group(uid) for uid in viewer_ids(conversation)),
        {"type": "conversation.changed", "kind": kind, "account_id": conversation.account_id,
         "conversation_id": conversation.pk, "display_id": conversation.display_id},
    )
    _to_contact(conversation, {"type": "widget.conversation", "conversation_id": conversation.pk,
                               "status": conversation.status_name})


def _to_contact(conversation: Conversation, event: dict) -> None:
    """The customer's own sockets (website widget): only what a contact may see; the consumer re-checks."""
    if conversation.contact_inbox_id and _may_have_widget(conversation):
        realtime.broadcast_on_commit([realtime.contact_inbox_group(conversation.contact_inbox_id)], event)


def _may_have_widget(conversation: Conversation) -> bool:
    """Only website inboxes have customer sockets: skip the send (two Redis round trips) for the others when the
    inbox is already loaded (it is not read just for this)."""
    inbox = conversation._state.fields_cache.get("inbox")
    return inbox is None or inbox.channel_type == Inbox.ChannelType.WEB_WIDGET


def _message_to_contact(message: Message, kind: str) -> None:
    if not message.private and message.message_type != Message.MessageType.ACTIVITY:
        _to_contact(message.conversation, {"type": "widget.message", "event": kind,
                                           "conversation_id": message.conversation_id, "message_id": message.pk})


def message_created(message: Message) -> None:
    """Push the new message to the agents who have its conversation open, and refresh list rows."""
    realtime.broadcast_on_commit(
        [realtime.conversation_group(message.conversation_id)],
        {"type": "message.created", "account_id": message.account_id,
         "conversation_id": message.conversation_id, "message_id": message.pk},
    )
    _message_to_contact(message, "message.created")


def message_updated(message: Message) -> None:
    """A message's status or content changed (delivery ticks, deletion)."""
    realtime.broadcast_on_commit(
        [realtime.conversation_group(message.conversation_id)],
        {"type": "message.updated", "account_id": message.account_id,
         "conversation_id": message.conversation_id, "message_id": message.pk},
    )
    _message_to_contact(message, "message.updated")


def typing_changed(conversation: Conversation, *, user_id: int, name: str, on: bool, is_private: bool) -> None:
    """Someone started or stopped typing in the conversation."""
    realtime.broadcast_on_commit(
        [realtime.conversation_group(conversation.pk)],
        {"type": "conversation.typing", "account_id": conversation.account_id, "conversation_id": conversation.pk,
         "user_id": user_id, "name": name, "on": on, "is_private": is_private},
    )
    if user_id and not is_private:  # an agent's public typing (the contact's own, user id 0, is not echoed)
        _to_contact(conversation, {"type": "widget.typing", "conversation_id": conversation.pk, "on": on})


def notification_created(account_id: int, user_id: int, notification_id: int) -> None:
    realtime.broadcast_on_commit(
        [realtime.user_group(user_id)],
        {"type": "notification.created", "account_id": account_id, "notification_id": notification_id},
    )
