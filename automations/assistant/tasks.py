"""The assistant's background jobs: answer a conversation (safe to run twice: the wake key), and the beat
sweeper that makes sure no customer is left unanswered when a wake-up is lost or a worker dies."""

import datetime as dt
import logging

from celery import shared_task
from django.utils import timezone

from automations.assistant import actions, engine, queries

log = logging.getLogger(__name__)
RETRY_AFTER = dt.timedelta(seconds=90)  # past the longest debounce (30 s) and a normal queue wait
GIVE_UP_AFTER = actions.STALE_RUN  # the customer has waited long enough: a person takes over


@shared_task(acks_late=True)
def assistant_reply_task(conversation_id: int, trigger_message_id: int | None, wake_key: str) -> str:
    """Answer a pending conversation's unanswered messages (or stay silent if a person took over)."""
    return engine.run(conversation_id, trigger_message_id, wake_key)


@shared_task
def sweep_assistant_runs_task() -> dict:
    """Beat sweeper: a wake-up that never ran is retried once it is RETRY_AFTER late (wake key
    "retry:<message id>", so repeated sweeps run it once); after GIVE_UP_AFTER, or when the run's worker died
    (a run "running" for longer than STALE_RUN), the conversation is handed off to a person."""
    now = timezone.now()
    counts = {"retried": 0, "handed_off": 0}
    for row in queries.unattended_wakeups(now=now, quiet_for=RETRY_AFTER, stale_before=now - actions.STALE_RUN):
        try:
            if row["stuck_run_id"] or row["asked_at"] <= now - GIVE_UP_AFTER:
                reason = "worker_lost" if row["stuck_run_id"] else "unanswered"
                actions.hand_off_unattended(row["conversation_id"], row["message_id"], reason=reason,
                                            stuck_run_id=row["stuck_run_id"])
                counts["handed_off"] += 1
            else:
                assistant_reply_task.delay(row["conversation_id"], row["message_id"], f"retry:{row['message_id']}")
                counts["retried"] += 1
        except Exception:  # one broken conversation must not stop the others' rescue
            log.exception("assistant sweeper: conversation %s", row["conversation_id"])
    return counts


@shared_task(acks_late=True)
def embed_articles_task(config_id: int, article_ids: list[int] | None = None) -> int:
    """Compute the missing or stale article vectors of an assistant with an embeddings model (idempotent)."""
    from automations.assistant.models import AssistantConfig

    config = AssistantConfig.objects.filter(pk=config_id).first()
    if config is None:
        return 0
    try:
        return actions.refresh_article_embeddings(config, article_ids=article_ids)
    except Exception:  # the endpoint is down: searches keep the full-text order; the next search queues again
        log.exception("assistant: embedding articles for config %s failed", config_id)
        return 0
