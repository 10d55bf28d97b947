"""Alú's report over the JSON API: GET /api/v2/accounts/{id}/reports/assistant (administrators only)."""

import datetime as dt

import pytest
from django.utils import timezone

from automations.assistant import queries
from autonomia.queries import api_token_for
from conversations import actions
from inboxes.models import AgentBot, AgentBotInbox
from tests import factories
from tests.api.conftest import Api

pytestmark = pytest.mark.django_db
URL = "/api/v2/accounts/{account_id}/reports/assistant"


@pytest.fixture
def handled(alu_inbox, django_capture_on_commit_callbacks):
    """Two conversations Alú worked: one still with it, one handed off because the customer asked."""
    conversations = []
    for texts in (["Olá"], ["Olá", "quero falar com um atendente"]):
        with django_capture_on_commit_callbacks(execute=True):
            conversation = factories.make_conversation(alu_inbox, messages=0)
        for text in texts:
            with django_capture_on_commit_callbacks(execute=True):
                actions.receive_message(conversation, sender=conversation.contact, content=text)
        conversations.append(conversation)
    return conversations


def get(account, token, query=None, account_id=None):
    return Api(account.pk)("GET", URL.format(account_id=account_id or account.pk), query=query or {}, token=token)


def test_administrators_read_the_numbers_of_a_range(account, admin, handled):
    now = timezone.now()
    since, until = now - dt.timedelta(days=1), now + dt.timedelta(minutes=1)
    response = get(account, api_token_for("User", admin.pk),
                   {"since": str(int(since.timestamp())), "until": str(int(until.timestamp()))})
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["since"], body["until"], body["inbox_id"]) == (int(since.timestamp()), int(until.timestamp()), None)
    assert (body["handled"], body["handed_off"], body["resolved_without_person"]) == (2, 1, 0)
    assert body["handoffs_by_reason"] == [{"reason": "asked_for_human", "label": "o cliente pediu uma pessoa",
                                           "count": 1}]
    assert body["median_seconds_to_handoff"] >= 0 and body["runs"] >= 3 and body["replied_runs"] >= 2
    expected = queries.assistant_report(account.pk, since=since.replace(microsecond=0),
                                        until=until.replace(microsecond=0))
    assert {k: body[k] for k in ("handled", "handed_off", "runs", "prompt_tokens", "discarded_runs")} == {
        k: expected[k] for k in ("handled", "handed_off", "runs", "prompt_tokens", "discarded_runs")}


def test_iso_dates_the_default_range_and_the_inbox_filter(account, admin, handled, alu_inbox):
    token = api_token_for("User", admin.pk)
    today = timezone.localdate()
    body = get(account, token, {"since": (today - dt.timedelta(days=2)).isoformat(),
                                "until": (today + dt.timedelta(days=1)).isoformat()}).json()
    assert body["handled"] == 2
    later = (timezone.localtime() + dt.timedelta(hours=1)).isoformat()
    assert get(account, token, {"since": later, "until": (today + dt.timedelta(days=2)).isoformat()}).json()[
        "handled"] == 0
    body = get(account, token).json()  # the last 30 days
    assert body["until"] - body["since"] == 30 * 86400 and body["handled"] == 2
    other = factories.make_inbox(account, name="Sem Alú")
    assert get(account, token, {"inbox_id": other.pk}).json()["handled"] == 0
    assert get(account, token, {"inbox_id": alu_inbox.pk}).json()["handled"] == 2


@pytest.mark.parametrize("query, attribute", [
    ({"since": "ontem"}, "since"), ({"until": "2026-13-45"}, "until"),
    ({"since": "1700000000", "until": "1600000000"}, "since"),
    ({"since": "2020-01-01", "until": "2026-01-01"}, "since"), ({"inbox_id": "x"}, "inbox_id")])
def test_bad_parameters_are_422(account, admin, query, attribute):
    response = get(account, api_token_for("User", admin.pk), query)
    assert response.status_code == 422
    assert response.json()["attributes"] == [attribute] and response.json()["message"]


def test_agents_bots_and_other_accounts_get_nothing(account, admin, agent, outsider, other_account, handled):
    bot = AgentBot.objects.create(account=account, name="Typebot")
    AgentBotInbox.objects.create(inbox=factories.make_inbox(account, name="Bot"), agent_bot=bot)
    for token in (api_token_for("User", agent.pk), api_token_for("AgentBot", bot.pk)):
        response = get(account, token)
        assert (response.status_code, response.json()) == (401, {"error": "You are not authorized to do this "
                                                                           "action"})
    response = get(account, api_token_for("User", outsider.pk))
    assert (response.status_code, response.json()) == (404, {"error": "Resource could not be found"})
    # The outsider's own account: its numbers only (zero), never ours.
    assert get(account, api_token_for("User", outsider.pk), account_id=other_account.pk).json()["handled"] == 0
    # Our administrator naming an inbox of the other account: 404.
    foreign = factories.make_inbox(other_account, name="Deles")
    response = get(account, api_token_for("User", admin.pk), {"inbox_id": foreign.pk})
    assert response.status_code == 404
    assert get(account, None).status_code == 401
