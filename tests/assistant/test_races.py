"""Races and bursts: a reply finished after a person opened the conversation is discarded; a burst of customer
messages gets one answer; a redelivered task does not answer twice. Real commits (transactional_db) where
another thread acts while the stand-in model is thinking."""

import uuid

import pytest
from django.db import connection, transaction

from automations.assistant.models import AssistantRun
from automations.assistant.tasks import assistant_reply_task
from conversations import actions
from conversations.models import Conversation
from tests import factories
from tests.assistant.conftest import reply

Status = Conversation.Status


def bot_messages(conversation) -> list[str]:
    return list(conversation.messages.filter(sender_type="AgentBot").order_by("id").values_list("content", flat=True))


def in_another_thread(fn):
    """Run `fn` in the server thread with its own connection, committed before the model answers."""
    def run():
        try:
            fn()
        finally:
            connection.close()
    return run


@pytest.mark.django_db(transaction=True)
def test_a_reply_finished_after_a_person_opened_the_conversation_is_discarded(llm_inbox, fake_llm, agent):
    conversation = factories.make_conversation(llm_inbox, messages=0)

    def person_opens():
        actions.change_status(Conversation.objects.get(pk=conversation.pk), actor=agent, status=Status.OPEN)

    fake_llm.play(reply("Resposta atrasada da Alú", delay=0.2, before=in_another_thread(person_opens)))
    actions.receive_message(conversation, sender=conversation.contact, content="Oi, tem alguém aí?")
    conversation.refresh_from_db()
    assert len(fake_llm.requests) == 1
    assert conversation.status == Status.OPEN and conversation.assignee_id == agent.pk
    assert bot_messages(conversation) == []  # discarded, not sent
    run = AssistantRun.objects.get(conversation=conversation)
    assert run.outcome == "discarded" and run.reason == "not_pending"
    assert "Resposta atrasada" in run.detail and run.prompt_tokens == 100  # the cost is still counted


@pytest.mark.django_db(transaction=True)
def test_tool_effects_of_a_discarded_reply_are_not_applied(llm_inbox, fake_llm, agent, teams):
    from tests.assistant.conftest import tool_call

    conversation = factories.make_conversation(llm_inbox, messages=0)

    def person_opens():
        actions.change_status(Conversation.objects.get(pk=conversation.pk), actor=agent, status=Status.OPEN)

    fake_llm.play(tool_call("route_to_team", {"need": "fornecedores"}),
                  reply("Vou encaminhar", before=in_another_thread(person_opens)))
    actions.receive_message(conversation, sender=conversation.contact, content="Quero fornecer para vocês")
    conversation.refresh_from_db()
    assert conversation.team_id is None and bot_messages(conversation) == []


@pytest.mark.django_db(transaction=True)
def test_a_message_arriving_while_the_model_thinks_gets_one_answer_for_both(llm_inbox, fake_llm):
    conversation = factories.make_conversation(llm_inbox, messages=0)

    def customer_adds():
        actions.receive_message(Conversation.objects.get(pk=conversation.pk), sender=conversation.contact,
                                content="é para a loja de Campinas")

    fake_llm.play(reply("Resposta só à primeira", before=in_another_thread(customer_adds)),
                  reply("Resposta às duas mensagens"))
    actions.receive_message(conversation, sender=conversation.contact, content="Quero comprar 10 caixas")
    assert bot_messages(conversation) == ["Resposta às duas mensagens"]
    second_request = [m["content"] for m in fake_llm.requests[1]["body"]["messages"] if m["role"] == "user"]
    assert second_request == ["Quero comprar 10 caixas", "é para a loja de Campinas"]
    outcomes = dict(AssistantRun.objects.filter(conversation=conversation).values_list("outcome", "reason"))
    assert outcomes == {"discarded": "superseded", "replied": ""}


def test_a_burst_gets_one_answer(llm_inbox, fake_llm, django_capture_on_commit_callbacks):
    conversation = factories.make_conversation(llm_inbox, messages=0)
    fake_llm.play(reply("Uma resposta para tudo"))
    with django_capture_on_commit_callbacks(execute=True):
        for text in ("Oi", "tudo bem?", "queria um orçamento"):
            with transaction.atomic():
                actions.receive_message(conversation, sender=conversation.contact, content=text)
    assert bot_messages(conversation) == ["Uma resposta para tudo"]
    assert len(fake_llm.requests) == 1  # the earlier wake-ups stopped before calling the model
    users = [m["content"] for m in fake_llm.requests[0]["body"]["messages"] if m["role"] == "user"]
    assert users == ["Oi", "tudo bem?", "queria um orçamento"]
    assert sorted(AssistantRun.objects.filter(conversation=conversation).values_list("reason", flat=True)) == [
        "", "superseded", "superseded"]


def test_a_burst_in_the_guided_flow_gets_one_answer(alu_inbox, django_capture_on_commit_callbacks):
    conversation = factories.make_conversation(alu_inbox, messages=0)
    with django_capture_on_commit_callbacks(execute=True):
        for text in ("Oi", "bom dia", "tudo bem?"):
            actions.receive_message(conversation, sender=conversation.contact, content=text)
    assert len(bot_messages(conversation)) == 2  # greeting + menu, once


def test_a_redelivered_task_does_not_answer_twice(llm_inbox, fake_llm, django_capture_on_commit_callbacks):
    conversation = factories.make_conversation(llm_inbox, messages=0)
    with django_capture_on_commit_callbacks(execute=False):  # the trigger's own task is dropped
        message = actions.receive_message(conversation, sender=conversation.contact, content="Oi")
    key = uuid.uuid4().hex
    with django_capture_on_commit_callbacks(execute=True):
        assert assistant_reply_task.apply(args=(conversation.pk, message.pk, key)).get() == "replied"
        assert assistant_reply_task.apply(args=(conversation.pk, message.pk, key)).get() == "duplicate"
        # A second wake-up for the same message (another key) finds it answered.
        assert assistant_reply_task.apply(args=(conversation.pk, message.pk, uuid.uuid4().hex)).get() == "answered"
    assert len(bot_messages(conversation)) == 1 and len(fake_llm.requests) == 1
