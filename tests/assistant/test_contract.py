"""The handoff contract of seed 004 (every row a test) and the guided flow that runs without a model."""

import pytest

from automations.assistant.models import AssistantConversation, AssistantRun
from conversations import actions
from conversations.models import Conversation, Message
from tests import factories

Status = Conversation.Status


@pytest.fixture
def say(django_capture_on_commit_callbacks):
    """The customer writes; after commit the assistant's task runs (Celery is eager in tests)."""
    def customer_says(conversation, text):
        with django_capture_on_commit_callbacks(execute=True):
            actions.receive_message(conversation, sender=conversation.contact, content=text)
        conversation.refresh_from_db()
        return conversation
    return customer_says


@pytest.fixture
def act(django_capture_on_commit_callbacks):
    """A person changes the status (with everything that runs after commit)."""
    def change(conversation, actor, status):
        with django_capture_on_commit_callbacks(execute=True):
            actions.change_status(conversation, actor=actor, status=status)
        conversation.refresh_from_db()
        return conversation
    return change


@pytest.fixture
def new_conversation(django_capture_on_commit_callbacks):
    def start(inbox, text="Olá"):
        with django_capture_on_commit_callbacks(execute=True):
            conversation = factories.make_conversation(inbox, messages=0)
            actions.receive_message(conversation, sender=conversation.contact, content=text)
        conversation.refresh_from_db()
        return conversation
    return start


def bot_messages(conversation) -> list[str]:
    return list(conversation.messages.filter(sender_type="AgentBot").order_by("id").values_list("content", flat=True))


def activities(conversation) -> list[str]:
    return list(conversation.messages.filter(message_type=Message.MessageType.ACTIVITY).order_by("id").values_list(
        "content", flat=True))


# --- The table -----------------------------------------------------------------------------------------

def test_new_conversation_is_pending_and_alu_answers_as_a_bot(alu_inbox, new_conversation):
    conversation = new_conversation(alu_inbox)
    assert conversation.status == Status.PENDING
    [greeting, menu] = conversation.messages.filter(sender_type="AgentBot").order_by("id")
    assert "Alú" in greeting.content and "Compras" in menu.content and "Fornecedores" in menu.content
    assert greeting.message_type == Message.MessageType.OUTGOING and not greeting.private
    assert greeting.sender_id == alu_inbox.assistant_config.agent_bot_id
    assert conversation.assignee_id is None
    assert AssistantRun.objects.get(conversation=conversation).outcome == "replied"


def test_pending_then_a_person_opens_alu_stops_at_once(alu_inbox, new_conversation, say, act, agent):
    conversation = new_conversation(alu_inbox)
    act(conversation, agent, Status.OPEN)
    assert conversation.status == Status.OPEN and conversation.assignee_id == agent.pk
    before = bot_messages(conversation)
    conversation = say(conversation, "1")
    assert conversation.status == Status.OPEN
    assert bot_messages(conversation) == before  # a person answers now
    assert not AssistantRun.objects.filter(conversation=conversation, trigger_message_id=conversation.last_message_id)


def test_open_then_resolve_nobody_answers(alu_inbox, new_conversation, act, agent):
    conversation = new_conversation(alu_inbox)
    act(conversation, agent, Status.OPEN)
    before = conversation.messages.filter(message_type=Message.MessageType.OUTGOING).count()
    conversation = act(conversation, agent, Status.RESOLVED)
    assert conversation.status == Status.RESOLVED
    assert conversation.messages.filter(message_type=Message.MessageType.OUTGOING).count() == before


def test_open_then_mark_pending_alu_answers_the_latest_unanswered_message(alu_inbox, new_conversation, say, act,
                                                                          agent):
    conversation = new_conversation(alu_inbox)
    act(conversation, agent, Status.OPEN)
    say(conversation, "quero fazer um orçamento")  # nobody answered this one
    before = len(bot_messages(conversation))
    conversation = act(conversation, agent, Status.PENDING)
    assert conversation.status == Status.PENDING
    after = bot_messages(conversation)
    assert len(after) == before + 1 and after[-1] == "Please tell me: Nome da empresa"
    assert "compras" in set(conversation.label_rows.values_list("title", flat=True))


def test_mark_pending_with_nothing_unanswered_keeps_alu_quiet(alu_inbox, new_conversation, act, agent,
                                                              django_capture_on_commit_callbacks):
    conversation = new_conversation(alu_inbox)
    act(conversation, agent, Status.OPEN)
    with django_capture_on_commit_callbacks(execute=True):
        actions.send_reply(conversation, actor=agent, content="Oi, sou o Bruno.")
    before = bot_messages(conversation)
    conversation = act(conversation, agent, Status.PENDING)
    assert conversation.status == Status.PENDING and bot_messages(conversation) == before


def test_resolved_then_reopen_a_person_answers(alu_inbox, new_conversation, say, act, agent):
    conversation = new_conversation(alu_inbox)
    act(conversation, agent, Status.RESOLVED)
    conversation = act(conversation, agent, Status.OPEN)
    assert conversation.status == Status.OPEN
    before = bot_messages(conversation)
    say(conversation, "ainda estou aqui")
    conversation.refresh_from_db()
    assert conversation.status == Status.OPEN and bot_messages(conversation) == before


def test_resolved_then_the_customer_writes_it_is_pending_and_alu_answers(alu_inbox, new_conversation, say, act,
                                                                         agent):
    conversation = new_conversation(alu_inbox)
    act(conversation, agent, Status.RESOLVED)
    before = len(bot_messages(conversation))
    conversation = say(conversation, "voltei, quero comprar")
    assert conversation.status == Status.PENDING
    assert len(bot_messages(conversation)) > before


def test_asking_for_a_person_hands_off_with_a_message_and_auto_assigns(alu_inbox, new_conversation, say, agent):
    conversation = new_conversation(alu_inbox)
    conversation = say(conversation, "Quero falar com um atendente, por favor")
    assert conversation.status == Status.OPEN
    assert conversation.assignee_id == agent.pk  # auto-assignment picked the online member
    assert "person will continue" in bot_messages(conversation)[-1]
    assert any("handed off: the customer asked for a person" in a for a in activities(conversation))
    state = AssistantConversation.objects.get(conversation=conversation)
    assert state.handoff_reason == "asked_for_human" and state.handed_off_at is not None


def test_the_menu_option_for_a_person_hands_off(alu_inbox, new_conversation, say):
    conversation = new_conversation(alu_inbox)
    conversation = say(conversation, "4")
    assert conversation.status == Status.OPEN
    assert AssistantConversation.objects.get(conversation=conversation).handoff_reason == "asked_for_human"


def test_inbox_without_the_assistant_is_untouched(inbox, new_conversation):
    conversation = new_conversation(inbox)
    assert conversation.status == Status.OPEN and not bot_messages(conversation)


def test_turning_the_assistant_off_detaches_its_bot(alu_inbox, admin, new_conversation):
    from automations.assistant import actions as assistant_actions

    assistant_actions.save_assistant_config(alu_inbox, actor=admin, enabled=False)
    conversation = new_conversation(alu_inbox)
    assert conversation.status == Status.OPEN and not bot_messages(conversation)


# --- The guided flow ------------------------------------------------------------------------------------

def test_guided_flow_collects_validated_fields_and_routes_to_the_team(alu_inbox, new_conversation, say, teams,
                                                                      agent):
    conversation = new_conversation(alu_inbox, "Bom dia")
    conversation = say(conversation, "1")
    assert bot_messages(conversation)[-1] == "Please tell me: Nome da empresa"
    say(conversation, "Padaria Pão Quente")
    assert bot_messages(conversation)[-1] == "Please tell me: CNPJ"
    say(conversation, "11.111.111/1111-11")  # check digits wrong
    assert "CNPJ is not valid" in bot_messages(conversation)[-1]
    say(conversation, "11.222.333/0001-81")
    assert bot_messages(conversation)[-1] == "Please tell me: Cidade"
    conversation = say(conversation, "Campinas")
    assert conversation.status == Status.OPEN and conversation.team_id == teams["compras"].pk
    assert conversation.assignee_id == agent.pk
    conversation.contact.refresh_from_db()
    assert conversation.contact.custom_attributes == {"empresa": "Padaria Pão Quente", "cnpj": "11.222.333/0001-81"}
    assert conversation.custom_attributes == {"cidade": "Campinas"}
    assert "compras" in set(conversation.label_rows.values_list("title", flat=True))
    lines = activities(conversation)
    assert any("Alú added compras" in line for line in lines)
    assert any("Assigned to team Compras by Alú" in line for line in lines)
    assert any("Alú saved cnpj" in line for line in lines)
    assert any("handed off: the protocol is complete (Compras)" in line for line in lines)
    state = AssistantConversation.objects.get(conversation=conversation)
    assert state.need == "compras" and state.handoff_reason == "routed"


def test_guided_flow_understands_the_need_in_the_first_message(alu_inbox, new_conversation):
    conversation = new_conversation(alu_inbox, "Olá, quero ser fornecedor de vocês")
    messages = bot_messages(conversation)
    assert messages[-1] == "Please tell me: Nome da empresa" and "Alú" in messages[0]
    assert AssistantConversation.objects.get(conversation=conversation).need == "fornecedores"


def test_guided_flow_hands_off_when_it_keeps_not_understanding(alu_inbox, new_conversation, say):
    conversation = new_conversation(alu_inbox)
    for text in ("hmm", "não sei", "talvez"):
        conversation = say(conversation, text)
    assert conversation.status == Status.OPEN
    assert AssistantConversation.objects.get(conversation=conversation).handoff_reason == "not_understood"


def test_guided_flow_suggests_help_center_articles(alu_inbox, new_conversation, say, admin, account):
    helpcenter = pytest.importorskip("helpcenter.actions")
    from helpcenter.models import Article

    portal = helpcenter.create_portal(account, actor=admin, name="Ajuda", slug="ajuda-alu", default_locale="pt-BR")
    helpcenter.create_article(portal, actor=admin, title="Como emitir a segunda via do boleto",
                              content="Acesse a área do cliente e clique em Segunda via.",
                              status=Article.Status.PUBLISHED)
    from automations.assistant.models import AssistantConfig

    AssistantConfig.objects.filter(inbox=alu_inbox).update(fields_to_collect=[])
    conversation = new_conversation(alu_inbox, "preciso da segunda via do boleto")
    suggestion = bot_messages(conversation)[-2]
    assert "Como emitir a segunda via do boleto" in suggestion and "/hc/ajuda-alu/pt-BR/articles/" in suggestion
    conversation.refresh_from_db()
    assert conversation.status == Status.OPEN

