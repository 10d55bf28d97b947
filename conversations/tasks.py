"""Background jobs for conversations: take ids or nothing, load, call the action; safe to run twice."""

import datetime as dt

from celery import shared_task
from django.utils import timezone

from autonomia.models import Account
from conversations import actions
from conversations.models import Conversation


@shared_task
def wake_snoozed_conversations_task() -> int:
    """Reopen conversations whose snooze time has come (those snoozed in the last 3 days, as Chatwoot)."""
    now = timezone.now()
    due = Conversation.objects.filter(status=Conversation.Status.SNOOZED, snoozed_until__lte=now,
                                      snoozed_until__gte=now - dt.timedelta(days=3))
    count = 0
    for conversation in due.select_related("account")[:500]:
        actions.change_status(conversation, actor=None, status=Conversation.Status.OPEN)
        count += 1
    return count


@shared_task
def auto_resolve_conversations_task() -> int:
    """Resolve open conversations idle longer than each account's auto_resolve_after (≤ 100 per account per run)."""
    count = 0
    for account in Account.objects.filter(status=Account.Status.ACTIVE).exclude(settings={}):
        minutes = account.auto_resolve_after
        if not minutes:
            continue
        idle = Conversation.objects.filter(account=account, status=Conversation.Status.OPEN,
                                           last_activity_at__lt=timezone.now() - dt.timedelta(minutes=int(minutes)))
        if account.settings.get("auto_resolve_ignore_waiting"):
            idle = idle.filter(waiting_since__isnull=True)
        for conversation in idle.order_by("last_activity_at")[:100]:
            auto_resolve_conversation(conversation, account)
            count += 1
    return count


def auto_resolve_conversation(conversation: Conversation, account: Account) -> None:
    message = (account.settings.get("auto_resolve_message") or "").strip()
    if message:
        actions.send_reply(conversation, actor=None, content=message, message_type=actions.MessageType.TEMPLATE)
    label = account.settings.get("auto_resolve_label")
    if label:
        actions.add_labels(conversation, actor=None, titles=[label])
    actions.change_status(conversation, actor=None, status=Conversation.Status.RESOLVED)
