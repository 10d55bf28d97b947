"""The beat sweeper for Alú's runs: a wake-up that never ran (broker down, message lost) is retried, a customer
left waiting too long or a run whose worker died is handed off to a person; never silence, never twice."""

import datetime as dt

import pytest
from django.utils import timezone

from automations.assistant import actions as assistant_actions
from automations.assistant.models import AssistantConversation, AssistantRun
from automations.assistant.tasks import sweep_assistant_runs_task
from conversations import actions
from conversations.models import Conversation, Message
from tests import factories

pytestmark = pytest.mark.django_db
Status = Conversation.Status


@pytest.fixture
def lost_message(django_capture_on_commit_callbacks):
    """The customer writes to a conversation of an inbox where Alú is on, but the wake-up is lost (the
    after-commit enqueue never happens), `age` ago."""
    def write(inbox, text="Olá, quero comprar", *, age=dt.timedelta(minutes=2)):
        with django_capture_on_commit_callbacks(execute=False):
            conversation = factories.make_conversation(inbox, messages=0)
            message = actions.receive_message(conversation, sender=conversation.contact, content=text)
        backdate(conversation, message, age)
        return conversation, message
    return write


def backdate(conversation, message, age):
    when = timezone.now() - age
    Message.objects.filter(pk=message.pk).update(created_at=when)
    Conversation.objects.filter(pk=conversation.pk).update(updated_at=when, last_activity_at=when)


@pytest.fixture
def sweep(django_capture_on_commit_callbacks):
    def run():
        with django_capture_on_commit_callbacks(execute=True):
            return sweep_assistant_runs_task.apply().get()
    return run


def bot_messages(conversation) -> list[str]:
    return list(conversation.messages.filter(sender_type="AgentBot").order_by("id").values_list("content", flat=True))


def test_a_lost_wakeup_is_retried_once(alu_inbox, lost_message, sweep):
    conversation, message = lost_message(alu_inbox)
    assert not AssistantRun.objects.filter(conversation=conversation).exists()
    assert sweep() == {"retried": 1, "handed_off": 0}
    run = AssistantRun.objects.get(conversation=conversation)
    assert (run.wake_key, run.trigger_message_id, run.outcome) == (f"retry:{message.pk}", message.pk, "replied")
    conversation.refresh_from_db()
    assert conversation.status == Status.PENDING and "Alú" in bot_messages(conversation)[0]
    assert sweep() == {"retried": 0, "handed_off": 0}  # answered: nothing left to rescue
    assert AssistantRun.objects.filter(conversation=conversation).count() == 1


def test_a_customer_waiting_too_long_reaches_a_person(alu_inbox, lost_message, sweep, agent):
    conversation, message = lost_message(alu_inbox, age=dt.timedelta(minutes=11))
    assert sweep() == {"retried": 0, "handed_off": 1}
    conversation.refresh_from_db()
    assert conversation.status == Status.OPEN and conversation.assignee_id == agent.pk
    assert "person will continue" in bot_messages(conversation)[-1]
    assert conversation.messages.filter(message_type=Message.MessageType.ACTIVITY,
                                        content__contains="handed off: the assistant did not answer in time").exists()
    assert AssistantConversation.objects.get(conversation=conversation).handoff_reason == "unanswered"
    run = AssistantRun.objects.get(conversation=conversation)
    assert (run.wake_key, run.outcome, run.reason) == (f"handoff:{message.pk}", "handoff", "unanswered")
    assert sweep() == {"retried": 0, "handed_off": 0}
    assert len(bot_messages(conversation)) == 1


def test_a_run_whose_worker_died_is_closed_and_handed_off(alu_inbox, lost_message, sweep, agent):
    conversation, message = lost_message(alu_inbox, age=dt.timedelta(minutes=3))
    stuck = assistant_actions.claim_run(conversation, trigger_message_id=message.pk, wake_key="lost-worker")
    AssistantRun.objects.filter(pk=stuck.pk).update(created_at=timezone.now() - dt.timedelta(minutes=11))
    assert sweep() == {"retried": 0, "handed_off": 1}
    stuck.refresh_from_db()
    assert (stuck.outcome, stuck.reason) == ("discarded", "worker_lost") and stuck.finished_at
    conversation.refresh_from_db()
    assert conversation.status == Status.OPEN and conversation.assignee_id == agent.pk
    assert AssistantConversation.objects.get(conversation=conversation).handoff_reason == "worker_lost"
    # The dead worker's task, redelivered later, finds its run finished and stays silent.
    from automations.assistant import engine

    assert engine.run(conversation.pk, message.pk, "lost-worker") == "duplicate"
    assert len(bot_messages(conversation)) == 1


def test_runs_in_flight_and_fresh_wakeups_are_left_alone(alu_inbox, lost_message, sweep):
    fresh, _ = lost_message(alu_inbox, age=dt.timedelta(seconds=5))  # its debounced task is still due
    busy, busy_message = lost_message(alu_inbox, age=dt.timedelta(minutes=5))
    assistant_actions.claim_run(busy, trigger_message_id=busy_message.pk, wake_key="still-thinking")
    # Marked pending just now for an old message: the wake-up of that change is still due.
    repending, old_message = lost_message(alu_inbox, age=dt.timedelta(hours=3))
    Conversation.objects.filter(pk=repending.pk).update(updated_at=timezone.now())
    assert sweep() == {"retried": 0, "handed_off": 0}
    assert not AssistantRun.objects.filter(conversation__in=[fresh, repending]).exists()
    assert AssistantRun.objects.get(conversation=busy).outcome == "running"


def test_conversations_that_are_not_alus_are_left_alone(alu_inbox, lost_message, sweep, account, admin,
                                                        django_capture_on_commit_callbacks):
    opened, _ = lost_message(alu_inbox, age=dt.timedelta(minutes=20))
    Conversation.objects.filter(pk=opened.pk).update(status=Status.OPEN)
    answered, _ = lost_message(alu_inbox, age=dt.timedelta(minutes=20))
    with django_capture_on_commit_callbacks(execute=False):
        actions.send_reply(answered, actor=admin, content="Oi! Aqui é a Ana.")
    Conversation.objects.filter(pk=answered.pk).update(status=Status.PENDING,
                                                       updated_at=timezone.now() - dt.timedelta(minutes=20))
    plain = factories.make_inbox(account, name="Sem Alú")
    other, _ = lost_message(plain, age=dt.timedelta(minutes=20))
    Conversation.objects.filter(pk=other.pk).update(status=Status.PENDING)
    assert sweep() == {"retried": 0, "handed_off": 0}
    assert not AssistantRun.objects.exists()


def test_the_sweep_is_one_query_when_nothing_is_stuck(alu_inbox, lost_message, sweep, django_assert_num_queries):
    lost_message(alu_inbox, age=dt.timedelta(seconds=5))
    with django_assert_num_queries(1):
        assert sweep_assistant_runs_task() == {"retried": 0, "handed_off": 0}
