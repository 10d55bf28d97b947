"""The assistant's background job: take ids, load, decide, reply. Safe to run twice (the wake key)."""

from celery import shared_task

from automations.assistant import engine


@shared_task(acks_late=True)
def assistant_reply_task(conversation_id: int, trigger_message_id: int | None, wake_key: str) -> str:
    """Answer a pending conversation's unanswered messages (or stay silent if a person took over)."""
    return engine.run(conversation_id, trigger_message_id, wake_key)
