"""Reads for the assistant: its settings per inbox, what it must answer, its usage and its report."""

import datetime as dt
import statistics

from django.db.models import Count, Exists, F, OuterRef, Q, Subquery, Sum
from django.db.models.functions import Greatest
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


def assistant_bot_conflict(inbox, agent_bot) -> str:
    """Why `agent_bot` (None: no bot) may not be set on the inbox by the agent-bot settings, or ""."""
    from django.utils.translation import gettext as _

    own = AssistantConfig.objects.filter(inbox=inbox, enabled=True).values_list("agent_bot_id", flat=True).first()
    if own is not None and getattr(agent_bot, "pk", None) != own:
        return _("The assistant is on in this inbox. Turn it off in the inbox settings first.")
    if agent_bot is not None and agent_bot.pk != own and AssistantConfig.objects.filter(agent_bot=agent_bot).exists():
        return _("This bot is the built-in assistant of another inbox.")
    return ""


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


def unattended_wakeups(*, now: dt.datetime, quiet_for: dt.timedelta, stale_before: dt.datetime,
                       window: dt.timedelta = dt.timedelta(days=1), limit: int = 200) -> list[dict]:
    """Pending conversations of inboxes where the assistant is on whose customer's latest message is unanswered
    and has no run, or only a run still "running" since before `stale_before` (its worker died).

    `asked_at` is when the assistant was last asked to answer: the message, or a later write to the conversation
    (marking it pending wakes the assistant for an older message). Only rows asked more than `quiet_for` ago
    (past the debounce) and active within `window` are returned. Rows: conversation_id, message_id, asked_at,
    stuck_run_id."""
    inbox_ids = AssistantConfig.objects.filter(enabled=True, agent_bot__isnull=False).values("inbox_id")
    latest = Message.objects.filter(conversation=OuterRef("pk"), message_type=MessageType.INCOMING,
                                    private=False).order_by("-id")
    spoken = Message.objects.filter(conversation=OuterRef("pk"), message_type__in=SPOKEN, private=False,
                                    id__gt=OuterRef("message_id"))
    runs = AssistantRun.objects.filter(conversation=OuterRef("pk"), trigger_message_id=OuterRef("message_id"))
    live = runs.exclude(outcome=AssistantRun.Outcome.RUNNING, created_at__lt=stale_before)
    stuck = runs.filter(outcome=AssistantRun.Outcome.RUNNING, created_at__lt=stale_before).order_by("-id")
    rows = (Conversation.objects
            .filter(Q(last_activity_at__gte=now - window) | Q(updated_at__gte=now - window),
                    inbox_id__in=inbox_ids, status=Conversation.Status.PENDING)
            .annotate(message_id=Subquery(latest.values("id")[:1]),
                      asked_at=Greatest(Subquery(latest.values("created_at")[:1]), "updated_at"))
            .filter(message_id__isnull=False, asked_at__lte=now - quiet_for)
            .exclude(Exists(spoken)).exclude(Exists(live))
            .annotate(stuck_run_id=Subquery(stuck.values("id")[:1]))
            .order_by("asked_at").values("message_id", "asked_at", "stuck_run_id", conversation_id=F("pk")))
    return list(rows[:limit])
