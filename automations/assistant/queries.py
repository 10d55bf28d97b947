"""Reads for the assistant: its settings per inbox, what it must answer, its usage and its report."""

import datetime as dt
import statistics

from django.db.models import Count, Q, Sum
from django.utils import timezone

from automations.assistant.models import AssistantConfig, AssistantConversation, AssistantRun
from conversations.models import Conversation, Message

MessageType = Message.MessageType
SPOKEN = (MessageType.OUTGOING, MessageType.TEMPLATE)


def config_for_inbox(inbox) -> AssistantConfig:
    """The inbox's assistant settings (unsaved defaults when it has none yet)."""
    return (AssistantConfig.objects.filter(inbox=inbox).select_related("agent_bot").first()
            or AssistantConfig(inbox=inbox, account_id=inbox.account_id))


def access_assistant_config(account_user, inbox_id: int) -> AssistantConfig:
    """The assistant settings of an inbox of the member's account, or 404."""
    from inboxes.queries import access_inbox

    return config_for_inbox(access_inbox(account_user, inbox_id))


def enabled_config(inbox_id: int) -> AssistantConfig | None:
    """The inbox's assistant when it is on."""
    return AssistantConfig.objects.filter(inbox_id=inbox_id, enabled=True).select_related(
        "agent_bot", "inbox", "account").first()


def latest_incoming_id(conversation: Conversation) -> int | None:
    """The customer's newest public message in the conversation."""
    return conversation.messages.filter(message_type=MessageType.INCOMING, private=False).order_by(
        "-id").values_list("id", flat=True).first()


def is_answered(conversation: Conversation, message_id: int) -> bool:
    """Whether anyone (a person, the assistant, an auto-reply) spoke publicly after that message."""
    return conversation.messages.filter(message_type__in=SPOKEN, private=False, id__gt=message_id).exists()


def why_not_answer(conversation: Conversation, config: AssistantConfig | None, trigger_id: int | None) -> str:
    """Empty when the assistant must answer `trigger_id` now; else the reason it must stay silent."""
    if config is None or not config.enabled or config.agent_bot_id is None:
        return "disabled"
    if conversation.status != Conversation.Status.PENDING:
        return "not_pending"
    latest = latest_incoming_id(conversation)
    if latest is None:
        return "nothing_to_answer"
    if trigger_id is not None and latest != trigger_id:
        return "superseded"  # a newer message of the burst has its own wake-up
    if is_answered(conversation, latest):
        return "answered"
    return ""


def unanswered_messages(conversation: Conversation) -> list[Message]:
    """The customer's messages since anyone last spoke publicly, oldest first (a burst is answered as one)."""
    last_spoken = conversation.messages.filter(message_type__in=SPOKEN, private=False).order_by(
        "-id").values_list("id", flat=True).first() or 0
    return list(conversation.messages.filter(message_type=MessageType.INCOMING, private=False,
                                             id__gt=last_spoken).order_by("id"))


def history(conversation: Conversation, limit: int = 20) -> list[Message]:
    """The conversation's recent public messages, oldest first (what the model may read; never notes)."""
    rows = conversation.messages.filter(private=False, message_type__in=(MessageType.INCOMING, *SPOKEN)).order_by(
        "-id")[:limit]
    return list(reversed(rows))


def state_of(conversation: Conversation) -> AssistantConversation | None:
    """The assistant's saved state for the conversation."""
    return AssistantConversation.objects.filter(conversation=conversation).first()


def month_tokens(account_id: int, now: dt.datetime | None = None) -> int:
    """Tokens the account's assistants used this calendar month."""
    now = now or timezone.now()
    start = now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    totals = AssistantRun.objects.filter(account_id=account_id, created_at__gte=start).aggregate(
        p=Sum("prompt_tokens"), c=Sum("completion_tokens"))
    return (totals["p"] or 0) + (totals["c"] or 0)


def assistant_report(account_id: int, *, since: dt.datetime, until: dt.datetime | None = None,
                     inbox_id: int | None = None) -> dict:
    """Conversations handled, resolved without a person, handed off (by reason), median time to handoff, usage."""
    until = until or timezone.now()
    states = AssistantConversation.objects.filter(account_id=account_id, started_at__gte=since,
                                                  started_at__lt=until)
    runs = AssistantRun.objects.filter(account_id=account_id, created_at__gte=since, created_at__lt=until)
    if inbox_id:
        states, runs = states.filter(inbox_id=inbox_id), runs.filter(inbox_id=inbox_id)
    handled = states.count()
    handed = states.exclude(handoff_reason="")
    by_reason = dict(handed.values_list("handoff_reason").annotate(n=Count("id")).order_by("-n"))
    resolved_alone = states.filter(handoff_reason="", conversation__status=Conversation.Status.RESOLVED).exclude(
        conversation__messages__sender_type="User", conversation__messages__private=False).count()
    durations = [(h - s).total_seconds() for s, h in handed.values_list("started_at", "handed_off_at") if h]
    usage = runs.aggregate(p=Sum("prompt_tokens"), c=Sum("completion_tokens"), n=Count("id"),
                           replied=Count("id", filter=Q(outcome=AssistantRun.Outcome.REPLIED)),
                           discarded=Count("id", filter=Q(outcome=AssistantRun.Outcome.DISCARDED)))
    latencies = sorted(runs.filter(latency_ms__gt=0).values_list("latency_ms", flat=True))
    return {
        "handled": handled, "resolved_without_person": resolved_alone, "handed_off": handed.count(),
        "handoffs_by_reason": by_reason,
        "median_seconds_to_handoff": statistics.median(durations) if durations else None,
        "runs": usage["n"], "replied_runs": usage["replied"], "discarded_runs": usage["discarded"],
        "prompt_tokens": usage["p"] or 0, "completion_tokens": usage["c"] or 0,
        "median_latency_ms": statistics.median(latencies) if latencies else None,
    }


def recent_runs(account_id: int, limit: int = 50) -> list[AssistantRun]:
    """The account's latest assistant runs with their conversation, newest first."""
    return list(AssistantRun.objects.filter(account_id=account_id).select_related("conversation", "inbox").order_by(
        "-id")[:limit])
