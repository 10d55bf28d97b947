"""Background jobs for conversations: take ids or nothing, load, call the action; safe to run twice."""

import datetime as dt
import logging

from celery import shared_task
from django.utils import timezone

from autonomia.actions import DomainError
from autonomia.models import Account, AccountUser
from conversations import actions
from conversations.bulk_actions import apply_bulk_changes
from conversations.models import Conversation
from conversations.queries import visible_conversations
from conversations.transcript import send_transcript

log = logging.getLogger(__name__)


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


@shared_task
def bulk_update_conversations_task(account_user_id: int, display_ids: list[int], changes: dict) -> int:
    """Apply a bulk change (conversations.bulk_actions) to those of `display_ids` the member may still see;
    each conversation in its own transaction, refused ones skipped. Safe to run twice: the actions skip
    changes already made."""
    membership = AccountUser.objects.select_related("user", "account").filter(pk=account_user_id).first()
    if membership is None or not membership.user.is_active:
        return 0
    done = 0
    for conversation in visible_conversations(membership).filter(display_id__in=display_ids).order_by("display_id"):
        try:
            apply_bulk_changes(conversation, actor=membership.user, changes=changes)
            done += 1
        except DomainError as error:
            log.info("bulk change skipped conversation %s: %s", conversation.pk, error.message)
    return done


@shared_task
def send_transcript_task(conversation_id: int, email: str) -> bool:
    """Email the transcript of a conversation (requested by conversations.actions.request_transcript)."""
    conversation = Conversation.objects.select_related("account", "inbox").filter(pk=conversation_id).first()
    if conversation is None:  # deleted since the request
        return False
    send_transcript(conversation, email)
    return True
