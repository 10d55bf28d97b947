"""The inbox's greeting and out-of-office replies (Chatwoot's message templates)."""

from conversations import actions
from conversations.models import Message
from inboxes import actions as inbox_actions
from inboxes.models import AgentBot, AgentBotInbox
from tests import factories

TEMPLATE = Message.MessageType.TEMPLATE


def templates_of(conversation):
    return list(conversation.messages.filter(message_type=TEMPLATE).values_list("content", flat=True))


def close_all_week(inbox, admin, message="Estamos fora do horário. Respondemos amanhã às 9h."):
    inbox_actions.update_inbox(inbox, actor=admin, working_hours_enabled=True, out_of_office_message=message,
                               timezone="America/Sao_Paulo", max_assignment_limit=inbox.max_assignment_limit)
    inbox_actions.set_working_hours(inbox, actor=admin, hours=[
        {"day_of_week": day, "closed_all_day": True, "open_all_day": False,
         "open_hour": 9, "open_minutes": 0, "close_hour": 18, "close_minutes": 0} for day in range(7)])


def test_greeting_goes_out_once_on_the_first_message(inbox, contact, admin):
    inbox_actions.update_inbox(inbox, actor=admin, greeting_enabled=True, greeting_message="Olá! Já vamos te atender.",
                               max_assignment_limit=inbox.max_assignment_limit)
    conversation = factories.make_conversation(inbox, contact=contact, messages=1)
    assert conversation.last_message.message_type == TEMPLATE and conversation.waiting_since is not None
    actions.receive_message(conversation, sender=contact, content="Oi de novo")
    assert templates_of(conversation) == ["Olá! Já vamos te atender."]


def test_out_of_office_goes_out_once_a_day_while_closed(inbox, contact, admin):
    close_all_week(inbox, admin)
    conversation = factories.make_conversation(inbox, contact=contact, messages=3)
    assert templates_of(conversation) == ["Estamos fora do horário. Respondemos amanhã às 9h."]


def test_no_out_of_office_reply_while_open(inbox, contact, admin):
    close_all_week(inbox, admin)
    inbox_actions.set_working_hours(inbox, actor=admin, hours=[
        {"day_of_week": day, "closed_all_day": False, "open_all_day": True,
         "open_hour": 0, "open_minutes": 0, "close_hour": 23, "close_minutes": 59} for day in range(7)])
    conversation = factories.make_conversation(inbox, contact=contact, messages=1)
    assert templates_of(conversation) == []


def test_a_bot_on_the_inbox_speaks_for_itself(inbox, contact, admin, account):
    bot = AgentBot.objects.create(account=account, name="Alú", outgoing_url="http://127.0.0.1:9/hook")
    AgentBotInbox.objects.create(inbox=inbox, agent_bot=bot)
    close_all_week(inbox, admin)
    conversation = factories.make_conversation(inbox, contact=contact, messages=1)
    assert templates_of(conversation) == []


def test_blocked_contacts_get_no_auto_reply(inbox, admin, account):
    close_all_week(inbox, admin)
    blocked = factories.make_contact(account, blocked=True)
    conversation = factories.make_conversation(inbox, contact=blocked, messages=1)
    assert templates_of(conversation) == []
