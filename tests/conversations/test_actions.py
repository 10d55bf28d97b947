"""Conversation lifecycle, assignment and message rules, through the actions."""

import datetime as dt

import pytest
from django.core.cache import cache
from django.utils import timezone

from autonomia.actions import DomainError
from autonomia.models import AccountUser, AuditLog
from autonomia.queries import presence_key
from conversations import actions
from conversations.models import Conversation, ConversationLabel, Mention, Message, Notification
from conversations.tasks import auto_resolve_conversations_task, wake_snoozed_conversations_task
from inboxes.models import AgentBot, AgentBotInbox
from tests import factories

Status = Conversation.Status
pytestmark = pytest.mark.django_db


@pytest.fixture
def run_on_commit(transactional_db):
    """Commit for real, so after-commit work (auto-assignment, events) runs as in production."""


def test_display_ids_are_sequential_per_account(inbox, other_account):
    first = factories.make_conversation(inbox)
    second = factories.make_conversation(inbox)
    other = factories.make_conversation(factories.make_inbox(other_account))
    assert (first.display_id, second.display_id) == (1, 2)
    assert other.display_id == 1


def test_new_conversation_is_open_without_bot_and_pending_with_bot(inbox):
    assert factories.make_conversation(inbox).status == Status.OPEN
    bot = AgentBot.objects.create(account=inbox.account, name="Alú")
    AgentBotInbox.objects.create(inbox=inbox, agent_bot=bot)
    assert factories.make_conversation(inbox).status == Status.PENDING


def test_blocked_contact_starts_resolved(inbox, contact):
    contact.blocked = True
    contact.save()
    assert factories.make_conversation(inbox, contact=contact).status == Status.RESOLVED


def test_incoming_message_sets_waiting_since_and_last_message(conversation):
    last = conversation.messages.order_by("-id").first()
    assert conversation.waiting_since is not None
    assert conversation.last_message_id == last.pk


def test_human_reply_sets_first_reply_and_clears_waiting(conversation, agent):
    message = actions.send_reply(conversation, actor=agent, content="Oi!")
    conversation.refresh_from_db()
    assert conversation.first_reply_created_at == message.created_at
    assert conversation.waiting_since is None
    assert message.message_type == Message.MessageType.OUTGOING


def test_private_note_does_not_count_as_reply(conversation, agent):
    actions.send_reply(conversation, actor=agent, content="nota interna", private=True)
    conversation.refresh_from_db()
    assert conversation.first_reply_created_at is None
    assert conversation.waiting_since is not None


def test_empty_reply_is_refused_and_nothing_is_stored(conversation, agent):
    before = Message.objects.count()
    with pytest.raises(DomainError):
        actions.send_reply(conversation, actor=agent, content="   ")
    assert Message.objects.count() == before


def test_incoming_message_reopens_resolved_to_open_without_bot(conversation, contact, admin):
    actions.change_status(conversation, actor=admin, status=Status.RESOLVED)
    actions.receive_message(conversation, sender=contact, content="voltei")
    conversation.refresh_from_db()
    assert conversation.status == Status.OPEN


def test_incoming_message_reopens_resolved_to_pending_with_bot(conversation, contact, admin, inbox):
    actions.change_status(conversation, actor=admin, status=Status.RESOLVED)
    AgentBotInbox.objects.create(inbox=inbox, agent_bot=AgentBot.objects.create(account=inbox.account, name="Alú"))
    actions.receive_message(conversation, sender=contact, content="voltei")
    conversation.refresh_from_db()
    assert conversation.status == Status.PENDING


def test_incoming_message_wakes_snoozed_until_next_reply(conversation, contact, admin):
    actions.change_status(conversation, actor=admin, status=Status.SNOOZED, snoozed_until=None)
    actions.receive_message(conversation, sender=contact, content="oi de novo")
    conversation.refresh_from_db()
    assert conversation.status == Status.OPEN and conversation.snoozed_until is None


def test_blocked_contact_message_does_not_reopen(conversation, contact, admin):
    actions.change_status(conversation, actor=admin, status=Status.RESOLVED)
    contact.blocked = True
    contact.save()
    actions.receive_message(conversation, sender=contact, content="spam")
    conversation.refresh_from_db()
    assert conversation.status == Status.RESOLVED


def test_duplicate_source_id_stores_one_message(conversation, contact):
    first = actions.receive_message(conversation, sender=contact, content="x", source_id="wamid.1")
    again = actions.receive_message(conversation, sender=contact, content="x", source_id="wamid.1")
    assert first.pk == again.pk
    assert Message.objects.filter(source_id="wamid.1").count() == 1


def test_status_change_writes_activity_and_audit(conversation, admin):
    actions.change_status(conversation, actor=admin, status=Status.RESOLVED)
    activity = conversation.messages.filter(message_type=Message.MessageType.ACTIVITY).last()
    assert "Ana Admin" in activity.content
    assert AuditLog.objects.filter(action="status_changed", auditable_id=conversation.pk).exists()


def test_resolving_clears_waiting_since(conversation, admin):
    actions.change_status(conversation, actor=admin, status=Status.RESOLVED)
    conversation.refresh_from_db()
    assert conversation.waiting_since is None


def test_agent_opening_pending_conversation_is_self_assigned(inbox, agent, run_on_commit):
    conversation = factories.make_conversation(inbox, status=Status.PENDING)
    actions.change_status(conversation, actor=agent, status=Status.OPEN)
    conversation.refresh_from_db()
    assert conversation.assignee_id == agent.pk


def test_admin_opening_is_not_self_assigned(inbox, admin):
    inbox.enable_auto_assignment = False
    inbox.save()
    conversation = factories.make_conversation(inbox, status=Status.PENDING)
    actions.change_status(conversation, actor=admin, status=Status.OPEN)
    conversation.refresh_from_db()
    assert conversation.assignee_id is None


def test_snooze_in_the_past_is_refused(conversation, admin):
    with pytest.raises(DomainError):
        actions.change_status(conversation, actor=admin, status=Status.SNOOZED,
                              snoozed_until=timezone.now() - dt.timedelta(minutes=1))


def test_wake_up_job_opens_due_snoozed_conversations(conversation, admin):
    actions.change_status(conversation, actor=admin, status=Status.SNOOZED,
                          snoozed_until=timezone.now() + dt.timedelta(minutes=5))
    Conversation.objects.filter(pk=conversation.pk).update(snoozed_until=timezone.now() - dt.timedelta(seconds=1))
    assert wake_snoozed_conversations_task() == 1
    conversation.refresh_from_db()
    assert conversation.status == Status.OPEN


def test_auto_resolve_job_resolves_idle_conversations(conversation, account):
    account.settings = {"auto_resolve_after": 60, "auto_resolve_message": "Encerramos por inatividade.",
                        "auto_resolve_label": "inativo"}
    account.save()
    Conversation.objects.filter(pk=conversation.pk).update(last_activity_at=timezone.now() - dt.timedelta(hours=2))
    fresh = factories.make_conversation(conversation.inbox)
    assert auto_resolve_conversations_task() == 1
    conversation.refresh_from_db()
    fresh.refresh_from_db()
    assert conversation.status == Status.RESOLVED and fresh.status == Status.OPEN
    assert conversation.messages.filter(content="Encerramos por inatividade.").exists()
    assert ConversationLabel.objects.filter(conversation=conversation, title="inativo").exists()


def test_assigning_someone_outside_the_inbox_is_refused(conversation, admin, account):
    stranger = factories.make_member(account)
    with pytest.raises(DomainError):
        actions.assign_agent(conversation, actor=admin, assignee=stranger)


def test_assignment_notifies_the_assignee(conversation, admin, agent):
    actions.assign_agent(conversation, actor=admin, assignee=agent)
    assert Notification.objects.filter(user=agent, notification_type=Notification.Type.CONVERSATION_ASSIGNMENT,
                                       conversation=conversation).exists()


def test_auto_assignment_round_robins_over_online_members(account, admin, run_on_commit):
    a, b = factories.make_member(account), factories.make_member(account)
    inbox = factories.make_inbox(account, members=[a, b])
    assignees = [factories.make_conversation(inbox).assignee_id for _ in range(4)]
    assert set(assignees[:2]) == {a.pk, b.pk} and assignees[2:] == assignees[:2]


def test_auto_assignment_skips_busy_offline_and_absent_agents(account, run_on_commit):
    busy = factories.make_member(account, availability=AccountUser.Availability.BUSY)
    offline = factories.make_member(account, availability=AccountUser.Availability.OFFLINE)
    absent = factories.make_member(account, auto_offline=True)  # online but no live browser
    present = factories.make_member(account, auto_offline=True)
    cache.set(presence_key(account.pk, present.pk), 1, 60)
    inbox = factories.make_inbox(account, members=[busy, offline, absent, present])
    assert factories.make_conversation(inbox).assignee_id == present.pk


def test_auto_assignment_respects_max_open_conversations(account, run_on_commit):
    a = factories.make_member(account)
    inbox = factories.make_inbox(account, members=[a], auto_assignment_config={"max_assignment_limit": 1})
    inbox.auto_assignment_config = {"max_assignment_limit": 1}
    inbox.save()
    assert factories.make_conversation(inbox).assignee_id == a.pk
    assert factories.make_conversation(inbox).assignee_id is None


def test_team_change_drops_assignee_outside_team_and_assigns_within(account, admin, run_on_commit):
    from autonomia.actions import save_team

    a, b = factories.make_member(account), factories.make_member(account)
    inbox = factories.make_inbox(account, members=[a, b])
    conversation = factories.make_conversation(inbox)
    first = conversation.assignee_id
    other = ({a.pk, b.pk} - {first}).pop()
    team = save_team(account, actor=admin, team=None, name="Vendas", description="", allow_auto_assign=True,
                     member_ids=[other])
    actions.assign_team(conversation, actor=admin, team=team)
    conversation.refresh_from_db()
    assert conversation.team_id == team.pk and conversation.assignee_id == other


def test_labels_replace_and_record_activity(conversation, admin):
    actions.set_labels(conversation, actor=admin, titles=["Vendas", "urgente"])
    actions.set_labels(conversation, actor=admin, titles=["vendas"])
    assert list(ConversationLabel.objects.filter(conversation=conversation).values_list("title", flat=True)) == [
        "vendas"]
    texts = list(conversation.messages.filter(message_type=Message.MessageType.ACTIVITY)
                 .values_list("content", flat=True))
    assert any("urgente" in t for t in texts)


def test_label_with_spaces_is_refused(conversation, admin):
    with pytest.raises(DomainError):
        actions.set_labels(conversation, actor=admin, titles=["dois nomes"])
    assert not ConversationLabel.objects.filter(conversation=conversation).exists()


def test_mention_in_private_note_notifies_visible_agents_only(conversation, admin, agent, account):
    stranger = factories.make_member(account)
    content = f"[@Bruno](mention://user/{agent.pk}/Bruno) e [@X](mention://user/{stranger.pk}/X) vejam"
    actions.send_reply(conversation, actor=admin, content=content, private=True)
    assert Mention.objects.filter(conversation=conversation, user=agent).exists()
    assert not Mention.objects.filter(user=stranger).exists()
    assert Notification.objects.filter(user=agent, notification_type=Notification.Type.CONVERSATION_MENTION).exists()


def test_message_status_never_goes_backwards(conversation, agent):
    message = actions.send_reply(conversation, actor=agent, content="oi")
    actions.update_message_status(message, status=Message.Status.READ)
    actions.update_message_status(message, status=Message.Status.DELIVERED)
    message.refresh_from_db()
    assert message.status == Message.Status.READ
    actions.update_message_status(message, status=Message.Status.FAILED, external_error="131047")
    actions.update_message_status(message, status=Message.Status.SENT)
    message.refresh_from_db()
    assert message.status == Message.Status.FAILED
    assert message.content_attributes["external_error"] == "131047"


def test_priority_change(conversation, admin):
    actions.change_priority(conversation, actor=admin, priority=Conversation.Priority.HIGH)
    conversation.refresh_from_db()
    assert conversation.priority == Conversation.Priority.HIGH
    with pytest.raises(DomainError):
        actions.change_priority(conversation, actor=admin, priority=42)


def test_mark_seen_clears_unread_and_notifications(conversation, agent, admin):
    from autonomia.queries import access_account_user
    from conversations.queries import ConversationFilter, conversation_page

    actions.assign_agent(conversation, actor=admin, assignee=agent)
    member = access_account_user(agent, conversation.account_id)
    row = conversation_page(member, ConversationFilter()).conversations[0]
    assert row.unread_count == 1
    actions.mark_seen(conversation, user=agent)
    row = conversation_page(member, ConversationFilter()).conversations[0]
    assert row.unread_count == 0
    assert not Notification.objects.filter(user=agent, read_at__isnull=True).exists()


def test_events_reach_viewers_over_the_channel_layer_after_commit(conversation, admin, agent, account,
                                                                  django_capture_on_commit_callbacks):
    import asyncio

    from asgiref.sync import async_to_sync, sync_to_async
    from channels.layers import get_channel_layer

    stranger = factories.make_member(account)  # same account, not in the inbox

    def change_priority():
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            actions.change_priority(conversation, actor=admin, priority=Conversation.Priority.HIGH)
        return callbacks

    async def scenario():
        layer = get_channel_layer()
        channels = {}
        for user in (admin, agent, stranger):
            channels[user.pk] = await layer.new_channel()
            await layer.group_add(f"user.{user.pk}", channels[user.pk])
        callbacks = await sync_to_async(change_priority)()
        assert callbacks  # events wait for the commit
        for callback in callbacks:
            await sync_to_async(callback)()
        received = {}
        for user in (admin, agent, stranger):
            try:
                received[user.pk] = await asyncio.wait_for(layer.receive(channels[user.pk]), timeout=2)
            except TimeoutError:
                received[user.pk] = None
        return received

    received = async_to_sync(scenario)()
    for user in (admin, agent):
        assert received[user.pk]["type"] == "conversation.changed"
        assert received[user.pk]["conversation_id"] == conversation.pk
    assert received[stranger.pk] is None
