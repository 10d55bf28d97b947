"""The one entry point from conversations/actions.py: wake the assistant after commit when a pending
conversation of an inbox where it is on needs an answer."""

import uuid

from django.db import transaction

from conversations.models import Conversation


def wake_assistant_on_commit(conversation: Conversation, message=None) -> None:
    """Schedule an answer (after `debounce_seconds`, so a burst gets one) if the assistant works this inbox."""
    from automations.assistant import queries
    from automations.assistant.models import AssistantConfig
    from automations.assistant.tasks import assistant_reply_task

    if conversation.status != Conversation.Status.PENDING:
        return
    debounce = AssistantConfig.objects.filter(inbox_id=conversation.inbox_id, enabled=True).values_list(
        "debounce_seconds", flat=True).first()
    if debounce is None:
        return
    message_id = message.pk if message is not None else queries.latest_incoming_id(conversation)
    if message_id is None:
        return
    args = (conversation.pk, message_id, uuid.uuid4().hex)
    transaction.on_commit(lambda: assistant_reply_task.apply_async(args, countdown=debounce), robust=True)
