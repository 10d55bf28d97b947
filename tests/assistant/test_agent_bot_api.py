"""Alú and external agent bots share an inbox's single bot link: the agent-bot API cannot put a second bot on
an inbox where Alú is on, detach Alú behind its settings' back, or reuse Alú's bot elsewhere."""

import pytest
from django.utils.translation import gettext, override

from autonomia.queries import api_token_for
from inboxes.models import AgentBot, AgentBotInbox
from tests import factories
from tests.api.conftest import Api

pytestmark = pytest.mark.django_db


def pt_br(msgid: str) -> str:
    """The API answers in pt-BR (the default language) once the lead's catalogue has the new texts."""
    with override("pt-br"):
        return gettext(msgid)


@pytest.fixture
def admin_api(account, admin):
    return Api(account.pk, api_token_for("User", admin.pk))


def test_an_external_bot_cannot_replace_or_detach_alu(admin_api, alu_inbox, account):
    external = AgentBot.objects.create(account=account, name="Typebot", outgoing_url="https://bot.example/hook")
    alu_bot = alu_inbox.assistant_config.agent_bot
    for body in ({"agent_bot": external.pk}, {"agent_bot": None}):
        response = admin_api("POST", f"inboxes/{alu_inbox.pk}/set_agent_bot", body)
        assert response.status_code == 422, response.content
        assert response.json() == {"message": pt_br("The assistant is on in this inbox. Turn it off in the inbox "
                                                    "settings first."), "attributes": ["agent_bot"]}
    assert AgentBotInbox.objects.get(inbox=alu_inbox).agent_bot_id == alu_bot.pk
    # Setting Alú's own bot again changes nothing and is allowed (idempotent clients).
    assert admin_api("POST", f"inboxes/{alu_inbox.pk}/set_agent_bot", {"agent_bot": alu_bot.pk}).status_code == 200


def test_alus_bot_cannot_work_another_inbox_but_an_external_bot_can(admin_api, alu_inbox, account):
    other = factories.make_inbox(account, name="Outra")
    alu_bot = alu_inbox.assistant_config.agent_bot
    refused = admin_api("POST", f"inboxes/{other.pk}/set_agent_bot", {"agent_bot": alu_bot.pk})
    assert refused.status_code == 422
    assert refused.json()["message"] == pt_br("This bot is the built-in assistant of another inbox.")
    assert not AgentBotInbox.objects.filter(inbox=other).exists()

    external = AgentBot.objects.create(account=account, name="Typebot", outgoing_url="https://bot.example/hook")
    assert admin_api("POST", f"inboxes/{other.pk}/set_agent_bot", {"agent_bot": external.pk}).status_code == 200
    assert AgentBotInbox.objects.get(inbox=other).agent_bot_id == external.pk
