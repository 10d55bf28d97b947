"""Writes on conversations and messages: every change goes through here (UI, API, tasks, channels, bots).

Each action is atomic, audit-logged where it changes state, and emits after commit:
conversation.changed (user groups of viewers), message.created / message.updated (conversation group),
conversation.typing, notification.created.
"""

import datetime as dt
import re
from collections.abc import Iterable

from django.db import IntegrityError, transaction
from django.db.models import F, Max, Subquery
from django.db.models.functions import Coalesce, Greatest
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import override

from autonomia.actions import DomainError, audit
from autonomia.models import Account, AccountUser, Team, TeamMember, User
from automations import webhooks
from contacts.models import Contact, ContactInbox
from conversations import outgoing, realtime
from conversations.models import (Attachment, Conversation, ConversationLabel, ConversationParticipant, Label,
                                  Mention, Message, Notification)
from conversations.queries import viewer_ids
from inboxes.models import Inbox

Status = Conversation.Status
MessageType = Message.MessageType
MENTION_RE = re.compile(r"\[@[^\]]*\]\(mention://user/(\d+)/[^)]*\)")


class ConversationError(DomainError):
    """A conversation rule refused the change."""


def inbox_has_active_bot(inbox: Inbox) -> bool:
    """Whether a bot answers this inbox first (conversations start pending and reopen to pending)."""
    from inboxes.models import AgentBotInbox

    return AgentBotInbox.objects.filter(inbox=inbox, status=AgentBotInbox.Status.ACTIVE).exists()


def _next_display_id(account_id: int) -> int:
    # The UPDATE row-locks the account until commit, so concurrent creations get distinct numbers;
    # Greatest() keeps the counter ahead of existing rows even if it was ever written back stale.
    highest = Conversation.objects.filter(account_id=account_id).order_by().values("account_id").annotate(
        m=Max("display_id")).values("m")
    Account.objects.filter(pk=account_id).update(last_conversation_display_id=Greatest(
        F("last_conversation_display_id"), Coalesce(Subquery(highest), 0)) + 1)
    return Account.objects.filter(pk=account_id).values_list("last_conversation_display_id", flat=True).get()


def _is_human(actor) -> bool:
    return isinstance(actor, User)


def _actor_name(actor) -> str:
    return getattr(actor, "available_name", None) or getattr(actor, "name", "") or ""


def _activity(conversation: Conversation, text: str) -> Message:
    """Record a change as an activity line in the thread."""
    now = timezone.now()
    message = Message.objects.create(
        account_id=conversation.account_id, inbox_id=conversation.inbox_id, conversation=conversation,
        message_type=MessageType.ACTIVITY, content=text, created_at=now,
    )
    realtime.message_created(message)
    return message


def _in_account_language(conversation: Conversation):
    return override(conversation.account.locale or "pt-br")


# --- Creation -------------------------------------------------------------------

@transaction.atomic
def create_conversation(inbox: Inbox, *, contact: Contact, actor=None, contact_inbox: ContactInbox | None = None,
                        status: int | None = None, assignee: User | None = None, team: Team | None = None,
                        additional_attributes: dict | None = None,
                        custom_attributes: dict | None = None) -> Conversation:
    """Start a conversation; it starts resolved for a blocked contact, pending when a bot answers, else open."""
    if contact.account_id != inbox.account_id:
        raise ConversationError(_("The contact belongs to another account."))
    if contact_inbox is None:
        contact_inbox = ContactInbox.objects.filter(contact=contact, inbox=inbox).first()
    if status is None:
        status = Status.RESOLVED if contact.blocked else (
            Status.PENDING if inbox_has_active_bot(inbox) else Status.OPEN)
    now = timezone.now()
    conversation = Conversation.objects.create(
        account_id=inbox.account_id, inbox=inbox, contact=contact, contact_inbox=contact_inbox,
        display_id=_next_display_id(inbox.account_id), status=status, assignee=assignee, team=team,
        additional_attributes=additional_attributes or {}, custom_attributes=custom_attributes or {},
        last_activity_at=now, created_at=now,
    )
    audit(inbox.account_id, actor, "create", conversation, {"status": status})
    realtime.conversation_changed(conversation, kind="created")
    webhooks.emit("conversation_created", conversation_id=conversation.pk, conversation=conversation)
    _notify_viewers_of_new_conversation(conversation)
    if conversation.is_open:
        _auto_assign_on_commit(conversation)
    return conversation


def _notify_viewers_of_new_conversation(conversation: Conversation) -> None:
    for user_id in _users_wanting(conversation, "conversation_creation"):
        _notify(conversation, user_id, Notification.Type.CONVERSATION_CREATION)


# --- Messages -------------------------------------------------------------------

@transaction.atomic
def receive_message(conversation: Conversation, *, sender: Contact, content: str = "",
                    source_id: str | None = None, attachments: Iterable[dict] = (),
                    content_type: int = Message.ContentType.TEXT, content_attributes: dict | None = None,
                    created_at=None, locked: bool = False) -> Message:
    """Store a customer's message (once per source_id) and reopen the conversation per the lifecycle rules.

    `locked=True`: the caller holds the conversation's row lock in this transaction, loaded it (with inbox and
    account) after taking it, and has already looked for a message with this source_id (a channel's inbound
    flow), so neither is read again; a duplicate that raced in is still caught by the unique constraint.
    """
    if not locked:
        if source_id:
            existing = Message.objects.filter(inbox_id=conversation.inbox_id, source_id=source_id).first()
            if existing:
                return existing
        conversation = Conversation.objects.select_for_update(of=("self",)).select_related("inbox", "account").get(
            pk=conversation.pk)
    try:
        with transaction.atomic():
            message = _store_message(conversation, MessageType.INCOMING, sender, content, source_id=source_id,
                                     content_type=content_type, content_attributes=content_attributes,
                                     created_at=created_at)
    except IntegrityError:  # the same provider message raced in through another worker
        return Message.objects.get(inbox_id=conversation.inbox_id, source_id=source_id)
    _store_attachments(message, attachments)
    now = message.created_at
    fields = {"last_activity_at": now, "last_message": message}
    if conversation.waiting_since is None:
        fields["waiting_since"] = now
    _update(conversation, **fields)
    Contact.objects.filter(pk=sender.pk).update(last_activity_at=now)
    if not sender.blocked and conversation.status in (Status.RESOLVED, Status.SNOOZED):
        _reopen_for_customer(conversation)
    realtime.message_created(message)
    webhooks.emit("message_created", message_id=message.pk, conversation=conversation)
    realtime.conversation_changed(conversation)
    if not sender.blocked:  # a muted (blocked) contact's messages are kept quietly: no bell, no auto-reply
        _notify_new_message(conversation, message)
        _send_auto_replies(conversation, message)
        _wake_assistant(conversation, message)
    return message


def _wake_assistant(conversation: Conversation, message: Message | None = None) -> None:
    """A pending conversation of an inbox where Alú is on gets its answer after commit (automations/assistant)."""
    if conversation.status == Status.PENDING:
        from automations.assistant.triggers import wake_assistant_on_commit

        wake_assistant_on_commit(conversation, message)


def _send_auto_replies(conversation: Conversation, message: Message) -> None:
    """The inbox's greeting (first message) and out-of-office reply (once a day), as Chatwoot's templates do.

    A bot answering the inbox speaks for itself, so neither is sent while it is on the conversation.
    """
    inbox = conversation.inbox
    if conversation.status == Status.PENDING and inbox_has_active_bot(inbox):
        return
    replies = []
    incoming = conversation.messages.filter(message_type=MessageType.INCOMING)
    if inbox.greeting_enabled and inbox.greeting_message.strip() and not incoming.exclude(pk=message.pk).exists():
        replies.append(inbox.greeting_message)
    local_today = inbox.local_now(message.created_at).replace(hour=0, minute=0, second=0, microsecond=0)
    if (inbox.out_of_office_message.strip() and not inbox.is_open_at(message.created_at)
            and not conversation.messages.filter(message_type=MessageType.TEMPLATE,
                                                 content=inbox.out_of_office_message,
                                                 created_at__gte=local_today).exists()):
        replies.append(inbox.out_of_office_message)
    for content in replies:
        reply = _store_message(conversation, MessageType.TEMPLATE, None, content)
        _update(conversation, last_activity_at=reply.created_at, last_message=reply)
        realtime.message_created(reply)
        webhooks.emit("message_created", message_id=reply.pk)
        outgoing.deliver_outgoing_message(reply)


def _reopen_for_customer(conversation: Conversation) -> None:
    """Snoozed → open; resolved → pending when a bot answers the inbox, else open (Chatwoot's rule)."""
    if conversation.is_resolved and inbox_has_active_bot(conversation.inbox):
        new_status = Status.PENDING
    else:
        new_status = Status.OPEN
    _update(conversation, status=new_status, snoozed_until=None)
    with _in_account_language(conversation):
        _activity(conversation, _("System reopened the conversation due to a new incoming message."))
    if new_status == Status.OPEN:
        _auto_assign_on_commit(conversation)


@transaction.atomic
def send_reply(conversation: Conversation, *, actor, content: str = "", private: bool = False,
               attachments: Iterable[dict] = (), content_type: int = Message.ContentType.TEXT,
               content_attributes: dict | None = None, echo_id: str | None = None,
               source_id: str | None = None, message_type: int = MessageType.OUTGOING) -> Message:
    """Post an agent's (or bot's) reply or private note; notes notify the agents they @mention."""
    attachments = list(attachments)
    if not (content or "").strip() and not attachments:
        raise ConversationError(_("Write a message or attach a file."), field="content")
    if len(content) > 150_000:
        raise ConversationError(_("The message is too long."), field="content")
    conversation = Conversation.objects.select_for_update(of=("self",)).select_related("inbox", "account").get(
        pk=conversation.pk)
    attrs = dict(content_attributes or {})
    message = _store_message(conversation, message_type, actor, content, private=private, source_id=source_id,
                             content_type=content_type, content_attributes=attrs)
    message.echo_id = echo_id
    _store_attachments(message, attachments)
    fields = {"last_activity_at": message.created_at, "last_message": message}
    if not private:
        if _is_human(actor):
            if conversation.first_reply_created_at is None:
                fields["first_reply_created_at"] = message.created_at
            fields["waiting_since"] = None
        elif conversation.waiting_since is not None:
            fields["waiting_since"] = None  # bot replies clear it silently
    _update(conversation, **fields)
    if _is_human(actor):
        ConversationParticipant.objects.get_or_create(conversation=conversation, user=actor)
    if private and _is_human(actor):
        _record_mentions(conversation, message, actor)
    realtime.message_created(message)
    webhooks.emit("message_created", message_id=message.pk)
    outgoing.deliver_outgoing_message(message)  # the channel's provider (WhatsApp...) sends it after commit
    realtime.conversation_changed(conversation)
    if not private:
        _notify_new_message(conversation, message, exclude={getattr(actor, "pk", None)})
    return message


def _store_message(conversation, message_type, sender, content, *, private=False, source_id=None,
                   content_type=Message.ContentType.TEXT, content_attributes=None, created_at=None) -> Message:
    return Message.objects.create(
        account_id=conversation.account_id, inbox_id=conversation.inbox_id, conversation=conversation,
        message_type=message_type, content=content or "", private=private, source_id=source_id or None,
        content_type=content_type, content_attributes=content_attributes or {},
        sender_type=type(sender).__name__ if sender is not None else "",
        sender_id=getattr(sender, "pk", None), created_at=created_at or timezone.now(),
    )


def _store_attachments(message: Message, attachments: Iterable[dict]) -> None:
    """Attachments arrive as dicts of Attachment fields (file, file_type, file_name, ...), already validated."""
    for data in attachments:
        Attachment.objects.create(message=message, account_id=message.account_id, **data)


def _record_mentions(conversation: Conversation, message: Message, actor: User) -> None:
    mentioned = {int(uid) for uid in MENTION_RE.findall(message.content)} - {actor.pk}
    allowed = mentioned & viewer_ids(conversation)
    for user_id in allowed:
        Mention.objects.update_or_create(conversation=conversation, user_id=user_id,
                                         defaults={"mentioned_at": message.created_at})
        _notify(conversation, user_id, Notification.Type.CONVERSATION_MENTION, actor=actor,
                meta={"message_id": message.pk})


@transaction.atomic
def update_message_status(message: Message, *, status: int, external_error: str = "") -> Message:
    """Apply a delivery status; it never goes backwards (sent < delivered < read) and failed is terminal."""
    rank = {Message.Status.SENT: 0, Message.Status.DELIVERED: 1, Message.Status.READ: 2}
    message = Message.objects.select_for_update().get(pk=message.pk)
    if message.status == Message.Status.FAILED:
        return message
    if status != Message.Status.FAILED and rank[status] <= rank[message.status]:
        return message
    message.status = status
    if external_error:
        message.content_attributes = {**message.content_attributes, "external_error": external_error}
    message.save(update_fields=["status", "content_attributes", "updated_at"])
    realtime.message_updated(message)
    webhooks.emit("message_updated", message_id=message.pk)
    return message


@transaction.atomic
def delete_message(message: Message, *, actor) -> Message:
    """Soft-delete: the content is replaced, the attachments removed, the row kept."""
    with _in_account_language(message.conversation):
        message.content = _("This message was deleted")
    message.content_attributes = {**message.content_attributes, "deleted": True}
    message.save(update_fields=["content", "content_attributes", "updated_at"])
    for attachment in message.attachments.all():
        attachment.file.delete(save=False)
        attachment.delete()
    audit(message.account_id, actor, "destroy", message)
    realtime.message_updated(message)
    webhooks.emit("message_updated", message_id=message.pk)
    return message


# --- Status ---------------------------------------------------------------------

STATUS_TEXT = {
    Status.RESOLVED: lambda n: _("Conversation was marked resolved by %(name)s") % {"name": n},
    Status.OPEN: lambda n: _("Conversation was reopened by %(name)s") % {"name": n},
    Status.PENDING: lambda n: _("Conversation was marked as pending by %(name)s") % {"name": n},
    Status.SNOOZED: lambda n: _("Conversation was snoozed by %(name)s") % {"name": n},
}


@transaction.atomic
def change_status(conversation: Conversation, *, actor, status: int, snoozed_until=None) -> Conversation:
    """Open, resolve, mark pending or snooze (until a time, or until the next reply when snoozed_until is None)."""
    if status not in Status.values:
        raise ConversationError(_("Unknown status."), field="status")
    conversation = Conversation.objects.select_for_update(of=("self",)).select_related("inbox", "account").get(
        pk=conversation.pk)
    if status == Status.SNOOZED and snoozed_until is not None and snoozed_until <= timezone.now():
        raise ConversationError(_("Choose a time in the future."), field="snoozed_until")
    if conversation.status == status and conversation.snoozed_until == snoozed_until:
        return conversation
    previous = conversation.status
    fields = {"status": status, "snoozed_until": snoozed_until if status == Status.SNOOZED else None}
    if status == Status.RESOLVED:
        fields["waiting_since"] = None
    if status == Status.OPEN and conversation.assignee_id is None and _is_agent(actor, conversation):
        fields["assignee"] = actor  # an agent who takes a conversation owns it
    _update(conversation, **fields)
    with _in_account_language(conversation):
        name = _actor_name(actor) or _("the system")
        _activity(conversation, STATUS_TEXT[status](name))
        if "assignee" in fields:
            _activity(conversation, _("%(actor)s self-assigned this conversation") % {"actor": name})
    audit(conversation.account_id, actor, "status_changed", conversation, {"status": [previous, status]})
    realtime.conversation_changed(conversation)
    if status == Status.OPEN and conversation.assignee_id is None:
        _auto_assign_on_commit(conversation)
    _wake_assistant(conversation)  # "Marcar como pendente": Alú answers the latest unanswered message
    return conversation


def toggle_status(conversation: Conversation, *, actor, status: int | None = None, snoozed_until=None):
    """Chatwoot's toggle: without a status, open ↔ resolved and pending/snoozed → open."""
    if status is None:
        status = Status.RESOLVED if conversation.is_open else Status.OPEN
    return change_status(conversation, actor=actor, status=status, snoozed_until=snoozed_until)


def _is_agent(actor, conversation: Conversation) -> bool:
    return _is_human(actor) and AccountUser.objects.filter(
        account_id=conversation.account_id, user=actor, role=AccountUser.Role.AGENT).exists()


# --- Assignment, team, labels, priority -------------------------------------------

def eligible_assignee_ids(conversation: Conversation) -> set[int]:
    """Who may be assigned: inbox members and the account's administrators."""
    return viewer_ids(conversation)


@transaction.atomic
def assign_agent(conversation: Conversation, *, actor, assignee: User | None) -> Conversation:
    """Assign the conversation to an agent (or unassign); the new assignee is notified."""
    conversation = Conversation.objects.select_for_update(of=("self",)).select_related("inbox", "account", "team").get(
        pk=conversation.pk)
    if assignee is not None and assignee.pk not in eligible_assignee_ids(conversation):
        raise ConversationError(_("This agent cannot work on this inbox."), field="assignee")
    if conversation.assignee_id == getattr(assignee, "pk", None):
        return conversation
    previous = conversation.assignee_id
    _update(conversation, assignee=assignee, assignee_agent_bot=None)
    with _in_account_language(conversation):
        name = _actor_name(actor) or _("the system")
        if assignee is None:
            _activity(conversation, _("Conversation unassigned by %(actor)s") % {"actor": name})
        elif actor is None:
            _activity(conversation, _("Assigned to %(agent)s via automatic assignment") %
                      {"agent": assignee.available_name})
        else:
            _activity(conversation, _("Assigned to %(agent)s by %(actor)s") %
                      {"agent": assignee.available_name, "actor": name})
    audit(conversation.account_id, actor, "assigned", conversation,
          {"assignee_id": [previous, conversation.assignee_id]})
    if assignee is not None and assignee.pk != getattr(actor, "pk", None):
        _notify(conversation, assignee.pk, Notification.Type.CONVERSATION_ASSIGNMENT, actor=actor)
    realtime.conversation_changed(conversation)
    return conversation


@transaction.atomic
def assign_team(conversation: Conversation, *, actor, team: Team | None) -> Conversation:
    """Route to a team; an assignee outside the team is dropped and, if allowed, a team member is picked."""
    conversation = Conversation.objects.select_for_update(of=("self",)).select_related("inbox", "account").get(
        pk=conversation.pk)
    if team is not None and team.account_id != conversation.account_id:
        raise ConversationError(_("Unknown team."), field="team")
    if conversation.team_id == getattr(team, "pk", None):
        return conversation
    fields = {"team": team}
    if team is not None and conversation.assignee_id and not TeamMember.objects.filter(
            team=team, user_id=conversation.assignee_id).exists():
        fields["assignee"] = None
    _update(conversation, **fields)
    with _in_account_language(conversation):
        name = _actor_name(actor) or _("the system")
        if team is None:
            _activity(conversation, _("Unassigned from team by %(actor)s") % {"actor": name})
        else:
            _activity(conversation, _("Assigned to team %(team)s by %(actor)s") % {"team": team.name, "actor": name})
    audit(conversation.account_id, actor, "team_changed", conversation, {"team_id": getattr(team, "pk", None)})
    realtime.conversation_changed(conversation)
    if conversation.is_open and conversation.assignee_id is None:
        _auto_assign_on_commit(conversation)
    return conversation


@transaction.atomic
def set_labels(conversation: Conversation, *, actor, titles: Iterable[str]) -> Conversation:
    """Replace the conversation's labels (unknown titles are created as labels of the account)."""
    wanted = {t.strip().lower() for t in titles if t and t.strip()}
    for title in wanted:
        if not re.fullmatch(r"[\w-]+", title):
            raise ConversationError(_("Labels may only contain letters, digits, - and _."), field="labels")
    current = set(ConversationLabel.objects.filter(conversation=conversation).values_list("title", flat=True))
    added, removed = sorted(wanted - current), sorted(current - wanted)
    if not added and not removed:
        return conversation
    for title in added:
        Label.objects.get_or_create(account_id=conversation.account_id, title=title)
    ConversationLabel.objects.bulk_create([ConversationLabel(conversation=conversation, title=t) for t in added])
    ConversationLabel.objects.filter(conversation=conversation, title__in=removed).delete()
    _update(conversation)
    with _in_account_language(conversation):
        name = _actor_name(actor) or _("the system")
        if added:
            _activity(conversation, _("%(actor)s added %(labels)s") % {"actor": name, "labels": ", ".join(added)})
        if removed:
            _activity(conversation, _("%(actor)s removed %(labels)s") % {"actor": name, "labels": ", ".join(removed)})
    audit(conversation.account_id, actor, "labels_changed", conversation, {"added": added, "removed": removed})
    webhooks.conversation_written(conversation, webhooks.tracked_state(conversation),
                                  {"label_list": (sorted(current), sorted(wanted))})
    realtime.conversation_changed(conversation)
    return conversation


def add_labels(conversation: Conversation, *, actor, titles: Iterable[str]) -> Conversation:
    """Add labels, keeping the existing ones."""
    current = ConversationLabel.objects.filter(conversation=conversation).values_list("title", flat=True)
    return set_labels(conversation, actor=actor, titles=[*current, *titles])


def remove_labels(conversation: Conversation, *, actor, titles: Iterable[str]) -> Conversation:
    """Remove labels, keeping the others."""
    unwanted = {t.strip().lower() for t in titles if t}
    current = ConversationLabel.objects.filter(conversation=conversation).values_list("title", flat=True)
    return set_labels(conversation, actor=actor, titles=[t for t in current if t not in unwanted])


@transaction.atomic
def change_priority(conversation: Conversation, *, actor, priority: int | None) -> Conversation:
    """Set the priority (None clears it)."""
    if priority is not None and priority not in Conversation.Priority.values:
        raise ConversationError(_("Unknown priority."), field="priority")
    conversation = Conversation.objects.select_for_update(of=("self",)).select_related("account").get(pk=conversation.pk)
    if conversation.priority == priority:
        return conversation
    _update(conversation, priority=priority)
    with _in_account_language(conversation):
        name = _actor_name(actor) or _("the system")
        label = Conversation.Priority(priority).label if priority is not None else _("none")
        _activity(conversation, _("%(actor)s set the priority to %(priority)s") % {"actor": name, "priority": label})
    audit(conversation.account_id, actor, "priority_changed", conversation, {"priority": priority})
    realtime.conversation_changed(conversation)
    return conversation


@transaction.atomic
def update_custom_attributes(conversation: Conversation, *, actor, custom_attributes: dict) -> Conversation:
    """Replace the conversation's custom attributes."""
    _update(conversation, custom_attributes=dict(custom_attributes))
    audit(conversation.account_id, actor, "custom_attributes_changed", conversation, custom_attributes)
    realtime.conversation_changed(conversation)
    return conversation


def mark_seen(conversation: Conversation, *, user: User) -> None:
    """The agent read the conversation: unread counts drop (no audit, no activity line)."""
    now = timezone.now()
    fields = {"agent_last_seen_at": now}
    if conversation.assignee_id == user.pk:
        fields["assignee_last_seen_at"] = now
    Conversation.objects.filter(pk=conversation.pk).update(**fields)
    Notification.objects.filter(user=user, conversation=conversation, read_at__isnull=True).update(read_at=now)
    for key, value in fields.items():
        setattr(conversation, key, value)
    with transaction.atomic():
        realtime.conversation_changed(conversation, kind="read")


def toggle_typing(conversation: Conversation, *, user: User, on: bool, is_private: bool = False) -> None:
    """Broadcast that the agent is (or stopped) typing; nothing is stored."""
    with transaction.atomic():
        realtime.typing_changed(conversation, user_id=user.pk, name=user.available_name, on=on,
                                is_private=is_private)
        webhooks.emit("conversation_typing_on" if on else "conversation_typing_off", conversation_id=conversation.pk,
                      user_id=user.pk, is_private=is_private)


def _update(conversation: Conversation, **fields) -> None:
    """Write the given fields (plus updated_at) and mirror them on the instance."""
    fields["updated_at"] = timezone.now()
    before = webhooks.tracked_state(conversation)
    for key, value in fields.items():
        setattr(conversation, key, value)
    Conversation.objects.filter(pk=conversation.pk).update(**fields)
    webhooks.conversation_written(conversation, before)  # conversation_updated / _status_changed


# --- Notifications ----------------------------------------------------------------

def _users_wanting(conversation: Conversation, kind: str) -> list[int]:
    """Viewers whose preferences ask for `kind` notifications (conversation_creation is opt-in)."""
    users = User.objects.filter(pk__in=viewer_ids(conversation)).only("id", "ui_settings")
    return [u.pk for u in users if kind in (u.ui_settings.get("notify") or [])]


def _notify(conversation: Conversation, user_id: int, kind: int, *, actor=None, meta: dict | None = None) -> None:
    notification = Notification.objects.create(
        account_id=conversation.account_id, user_id=user_id, notification_type=kind, conversation=conversation,
        secondary_actor_type=type(actor).__name__ if actor is not None else "",
        secondary_actor_id=getattr(actor, "pk", None), meta=meta or {},
    )
    realtime.notification_created(conversation.account_id, user_id, notification.pk)


def _notify_new_message(conversation: Conversation, message: Message, exclude: set | None = None) -> None:
    exclude = exclude or set()
    if conversation.assignee_id and conversation.assignee_id not in exclude:
        _notify(conversation, conversation.assignee_id, Notification.Type.ASSIGNED_CONVERSATION_NEW_MESSAGE,
                meta={"message_id": message.pk})
    participants = ConversationParticipant.objects.filter(conversation=conversation).exclude(
        user_id__in={conversation.assignee_id, *exclude}).values_list("user_id", flat=True)
    for user_id in participants:
        _notify(conversation, user_id, Notification.Type.PARTICIPATING_CONVERSATION_NEW_MESSAGE,
                meta={"message_id": message.pk})


@transaction.atomic
def mark_notifications_read(account_user: AccountUser, *, ids: Iterable[int] | None = None) -> int:
    """Mark the member's notifications read (all of them when `ids` is None)."""
    qs = Notification.objects.filter(user_id=account_user.user_id, account_id=account_user.account_id,
                                     read_at__isnull=True)
    if ids is not None:
        qs = qs.filter(pk__in=list(ids))
    return qs.update(read_at=timezone.now())


# --- Auto-assignment ----------------------------------------------------------------

def _auto_assign_on_commit(conversation: Conversation) -> None:
    from conversations.assignment import auto_assign_conversation

    conversation_id = conversation.pk
    transaction.on_commit(lambda: auto_assign_conversation(conversation_id), robust=True)


__all__ = [
    "ConversationError", "create_conversation", "receive_message", "send_reply", "update_message_status",
    "delete_message", "change_status", "toggle_status", "assign_agent", "assign_team", "set_labels", "add_labels",
    "change_priority", "update_custom_attributes", "mark_seen", "toggle_typing", "mark_notifications_read",
    "inbox_has_active_bot", "start_conversation", "assign_agent_bot", "set_participants", "mark_unread",
    "remove_labels", "mute_conversation", "unmute_conversation", "delete_conversation", "request_transcript",
]


# --- API additions (participants, unread, bot assignment, creation with a first message) ------

@transaction.atomic
def start_conversation(inbox: Inbox, *, actor, contact: Contact, contact_inbox: ContactInbox | None = None,
                       status: int | None = None, assignee: User | None = None, team: Team | None = None,
                       snoozed_until=None, additional_attributes: dict | None = None,
                       custom_attributes: dict | None = None, message: dict | None = None) -> Conversation:
    """Create a conversation as the API does: optional assignee (who must see the inbox), team, snooze and a
    first message (`message`: content, message_type incoming|outgoing|template, private); all or nothing."""
    if team is not None and team.account_id != inbox.account_id:
        raise ConversationError(_("Unknown team."), field="team_id")
    conversation = create_conversation(inbox, contact=contact, actor=actor, contact_inbox=contact_inbox,
                                       status=status, team=team, additional_attributes=additional_attributes,
                                       custom_attributes=custom_attributes)
    if assignee is not None:
        assign_agent(conversation, actor=actor, assignee=assignee)
    if conversation.status == Status.SNOOZED and snoozed_until is not None:
        if snoozed_until <= timezone.now():
            raise ConversationError(_("Choose a time in the future."), field="snoozed_until")
        _update(conversation, snoozed_until=snoozed_until)
    if message and ((message.get("content") or "").strip() or message.get("attachments")):
        if message.get("message_type") == MessageType.INCOMING:
            receive_message(conversation, sender=contact, content=message.get("content") or "",
                            attachments=message.get("attachments") or ())
        else:
            send_reply(conversation, actor=actor, content=message.get("content") or "",
                       private=bool(message.get("private")), attachments=message.get("attachments") or (),
                       message_type=message.get("message_type", MessageType.OUTGOING))
    conversation.refresh_from_db()
    return conversation


@transaction.atomic
def assign_agent_bot(conversation: Conversation, *, actor, bot) -> Conversation:
    """Hand the conversation to an agent bot of the account (the human assignee is dropped)."""
    if bot.account_id not in (None, conversation.account_id):
        raise ConversationError(_("Unknown agent bot."), field="assignee_id")
    if conversation.assignee_agent_bot_id == bot.pk:
        return conversation
    _update(conversation, assignee=None, assignee_agent_bot=bot)
    with _in_account_language(conversation):
        _activity(conversation, _("Assigned to %(agent)s by %(actor)s") %
                  {"agent": bot.name, "actor": _actor_name(actor) or _("the system")})
    audit(conversation.account_id, actor, "assigned", conversation, {"assignee_agent_bot_id": bot.pk})
    realtime.conversation_changed(conversation)
    return conversation


@transaction.atomic
def set_participants(conversation: Conversation, *, actor, user_ids: Iterable[int],
                     mode: str = "replace") -> list[int]:
    """Add, remove or replace the agents following the conversation; they must be able to see it."""
    wanted = {int(uid) for uid in user_ids}
    if mode != "remove" and wanted - viewer_ids(conversation):
        raise ConversationError(_("Participants must be agents who can see this conversation."),
                                field="user_ids")
    current = set(ConversationParticipant.objects.filter(conversation=conversation).values_list("user_id",
                                                                                                 flat=True))
    target = {"add": current | wanted, "remove": current - wanted, "replace": wanted}[mode]
    ConversationParticipant.objects.filter(conversation=conversation).exclude(user_id__in=target).delete()
    ConversationParticipant.objects.bulk_create(
        [ConversationParticipant(conversation=conversation, user_id=uid) for uid in target - current])
    if target != current:
        audit(conversation.account_id, actor, "participants_changed", conversation,
              {"added": sorted(target - current), "removed": sorted(current - target)})
    return sorted(target)


def mark_unread(conversation: Conversation, *, user: User) -> None:
    """Mark the conversation unread for agents: agent_last_seen_at goes back to before the last incoming message."""
    last = conversation.messages.filter(message_type=MessageType.INCOMING).order_by("-created_at").values_list(
        "created_at", flat=True).first()
    seen = last - dt.timedelta(seconds=1) if last else None
    Conversation.objects.filter(pk=conversation.pk).update(agent_last_seen_at=seen)
    conversation.agent_last_seen_at = seen
    with transaction.atomic():
        realtime.conversation_changed(conversation, kind="read")


# --- Mute, delete, transcript (chatwoot-compat §3 and §5.2) ----------------------------------

@transaction.atomic
def mute_conversation(conversation: Conversation, *, actor) -> Conversation:
    """Resolve the conversation and block its contact (Chatwoot's mute): their next messages are stored
    without reopening it or notifying anyone, and their new conversations start resolved."""
    conversation = change_status(conversation, actor=actor, status=Status.RESOLVED)
    return _set_contact_blocked(conversation, actor=actor, blocked=True)


@transaction.atomic
def unmute_conversation(conversation: Conversation, *, actor) -> Conversation:
    """Unblock the conversation's contact: their messages reopen and notify again (the status is kept)."""
    return _set_contact_blocked(conversation, actor=actor, blocked=False)


def _set_contact_blocked(conversation: Conversation, *, actor, blocked: bool) -> Conversation:
    """Block or unblock the contact with an activity line and an audit row (nothing when already so)."""
    from contacts.actions import update_contact

    contact = Contact.objects.select_for_update().get(pk=conversation.contact_id)
    if contact.blocked == blocked:
        return conversation
    update_contact(contact, actor=actor, blocked=blocked)
    conversation.contact = contact
    with _in_account_language(conversation):
        line = _("%(actor)s has muted the conversation") if blocked else _("%(actor)s has unmuted the conversation")
        _activity(conversation, line % {"actor": _actor_name(actor) or _("the system")})
    audit(conversation.account_id, actor, "muted" if blocked else "unmuted", conversation)
    realtime.conversation_changed(conversation)
    return conversation


@transaction.atomic
def delete_conversation(conversation: Conversation, *, actor) -> None:
    """Delete the conversation with its messages, labels, mentions and notifications; attachment files are
    removed after commit, so a rolled-back delete keeps them."""
    conversation = Conversation.objects.select_for_update(of=("self",)).get(pk=conversation.pk)
    files = [(field.storage, field.name)
             for attachment in Attachment.objects.filter(message__conversation=conversation)
             for field in (attachment.file, attachment.thumbnail) if field]
    audit(conversation.account_id, actor, "destroy", conversation,
          {"display_id": conversation.display_id, "inbox_id": conversation.inbox_id,
           "contact_id": conversation.contact_id})
    realtime.conversation_changed(conversation, kind="deleted")  # recipients are computed now, before the rows go
    conversation.delete()

    def remove_files() -> None:
        for storage, name in files:
            storage.delete(name)

    transaction.on_commit(remove_files, robust=True)


@transaction.atomic
def request_transcript(conversation: Conversation, *, actor, email: str) -> None:
    """Email the conversation's public messages to `email` (sent by a background job after commit)."""
    from django.core.exceptions import ValidationError
    from django.core.validators import validate_email

    from conversations.tasks import send_transcript_task

    email = (email or "").strip()
    try:
        validate_email(email)
    except ValidationError:
        raise ConversationError(_("Enter a valid email address."), field="email") from None
    audit(conversation.account_id, actor, "transcript_sent", conversation, {"email": email})
    conversation_id = conversation.pk
    transaction.on_commit(lambda: send_transcript_task.delay(conversation_id, email), robust=True)
