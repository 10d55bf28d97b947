"""The assistant's settings tab and report page."""

from django.urls import reverse

from automations.assistant.models import AssistantConfig
from inboxes.models import AgentBotInbox


def settings_url(inbox):
    return reverse("assistant:settings", kwargs={"account_id": inbox.account_id, "inbox_id": inbox.pk})


def form_data(**overrides):
    data = {"enabled": "on", "name": "Alú", "instructions": "Qualifique e encaminhe.", "max_turns": "8",
            "debounce_seconds": "2", "llm_timeout": "30", "monthly_token_limit": "0", "mask_pii": "on",
            "fields_text": "empresa | Nome da empresa | contact | text\ncnpj | CNPJ | contact | cnpj",
            "routing_text": "compras | Compras | Compras | comprar, orçamento", "handoff_phrases": "atendente"}
    data.update(overrides)
    return data


def test_admin_turns_the_assistant_on_with_tables_as_lines(admin_client, inbox, teams):
    response = admin_client.post(settings_url(inbox), form_data())
    assert response.status_code == 302
    config = AssistantConfig.objects.get(inbox=inbox)
    assert config.enabled and config.agent_bot.name == "Alú"
    assert config.routing == [{"need": "compras", "label": "Compras", "team_id": teams["compras"].pk,
                               "keywords": ["comprar", "orçamento"]}]
    assert [f["kind"] for f in config.fields_to_collect] == ["text", "cnpj"]
    assert AgentBotInbox.objects.get(inbox=inbox).agent_bot_id == config.agent_bot_id
    page = admin_client.get(settings_url(inbox)).content.decode()
    assert "compras | Compras | Compras | comprar, orçamento" in page


def test_the_api_key_is_kept_and_never_shown_back(admin_client, inbox, teams, allow_local_llm):
    admin_client.post(settings_url(inbox), form_data(llm_base_url="http://127.0.0.1:11434/v1", llm_model="llama3",
                                                     api_key="sk-secret-abcdef-9876"))
    admin_client.post(settings_url(inbox), form_data(llm_base_url="http://127.0.0.1:11434/v1", llm_model="llama3"))
    config = AssistantConfig.objects.get(inbox=inbox)
    assert config.llm_api_key == "sk-secret-abcdef-9876"
    page = admin_client.get(settings_url(inbox)).content.decode()
    assert "sk-secret-abcdef-9876" not in page and "…9876" in page


def test_an_unknown_team_in_the_routing_is_a_form_error(admin_client, inbox):
    response = admin_client.post(settings_url(inbox), form_data(routing_text="compras | Compras | Inexistente |"))
    assert response.status_code == 422 and "Inexistente" in response.content.decode()
    assert not AssistantConfig.objects.filter(inbox=inbox).exists()


def test_an_inbox_with_an_external_bot_refuses_the_assistant(admin_client, account, inbox):
    from inboxes.models import AgentBot

    bot = AgentBot.objects.create(account=account, name="Typebot", outgoing_url="https://bot.example.com/hook")
    AgentBotInbox.objects.create(inbox=inbox, agent_bot=bot)
    response = admin_client.post(settings_url(inbox), form_data(routing_text=""))
    assert response.status_code == 422 and "já tem um agente bot" in response.content.decode()
    assert AgentBotInbox.objects.get(inbox=inbox).agent_bot_id == bot.pk


def test_agents_and_other_accounts_are_kept_out(agent_client, outsider_client, inbox):
    assert agent_client.get(settings_url(inbox)).status_code == 403
    assert outsider_client.get(settings_url(inbox)).status_code == 404


def test_the_report_counts_handoffs_by_reason(admin_client, account, alu_inbox, django_capture_on_commit_callbacks):
    from conversations import actions
    from tests import factories

    with django_capture_on_commit_callbacks(execute=True):
        conversation = factories.make_conversation(alu_inbox, messages=0)
        actions.receive_message(conversation, sender=conversation.contact, content="Olá")
    with django_capture_on_commit_callbacks(execute=True):
        actions.receive_message(conversation, sender=conversation.contact, content="quero falar com um atendente")
    page = admin_client.get(reverse("assistant:report", kwargs={"account_id": account.pk})).content.decode()
    assert "o cliente pediu uma pessoa" in page
    assert f"#{conversation.display_id}" in page
