"""Inboxes, inbox members and agent bots endpoints of the Chatwoot-compatible API."""

import pytest

from autonomia.models import AccessToken
from inboxes.models import AgentBot, AgentBotInbox, ApiChannel, Inbox, InboxMember, WorkingHour
from tests import factories
from tests.api.client import call


@pytest.fixture
def bot(account):
    return AgentBot.objects.create(account=account, name="Alú", outgoing_url="https://bot.example.com/hook")


# --- Inboxes ---------------------------------------------------------------------------

def test_list_inboxes_admin_sees_all_with_secrets(admin, inbox, other_inbox, base):
    response = call(admin, "GET", base + "/inboxes", bearer=True)
    assert response.status_code == 200
    rows = {row["name"]: row for row in response.json()["payload"]}
    assert set(rows) == {"Suporte", "Financeiro"}
    row = rows["Suporte"]
    assert row["id"] == inbox.pk and row["channel_type"] == "Channel::Api"
    assert row["channel_id"] == inbox.api_channel.pk and isinstance(row["channel_id"], int)
    assert row["inbox_identifier"] == inbox.api_channel.identifier
    assert row["hmac_token"] == inbox.api_channel.hmac_token and row["hmac_mandatory"] is False
    assert row["enable_auto_assignment"] is True and row["auto_assignment_config"] == {}
    assert len(row["working_hours"]) == 7 and row["working_hours"][0]["day_of_week"] == 0
    assert row["working_hours"][0]["closed_all_day"] is True and row["working_hours"][0]["open_hour"] is None
    assert row["working_hours"][1]["open_hour"] == 9 and row["timezone"]
    for key in ("greeting_enabled", "working_hours_enabled", "enable_email_collect", "csat_survey_enabled",
                "allow_messages_after_resolved", "lock_to_single_conversation"):
        assert isinstance(row[key], bool), key


def test_agent_sees_only_own_inboxes_without_hmac_token(agent, inbox, other_inbox, base):
    rows = call(agent, "GET", base + "/inboxes").json()["payload"]
    assert [row["id"] for row in rows] == [inbox.pk]
    assert "hmac_token" not in rows[0]
    assert call(agent, "GET", f"{base}/inboxes/{other_inbox.pk}").status_code == 404


def test_create_api_inbox(admin, account, base):
    response = call(admin, "POST", base + "/inboxes", {
        "name": "Integração", "greeting_enabled": True, "greeting_message": "Oi!",
        "auto_assignment_config": {"max_assignment_limit": 5},
        "channel": {"type": "api", "webhook_url": "https://example.com/hook", "hmac_mandatory": True}})
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["name"] == "Integração" and body["greeting_enabled"] is True
    assert body["webhook_url"] == "https://example.com/hook" and body["hmac_mandatory"] is True
    assert body["auto_assignment_config"] == {"max_assignment_limit": 5}
    channel = ApiChannel.objects.get(inbox_id=body["id"])
    assert channel.hmac_mandatory and channel.identifier == body["inbox_identifier"]


@pytest.mark.parametrize("body, attribute", [
    ({"channel": {"type": "api"}}, "name"),
    ({"name": "X"}, "channel"),
    ({"name": "X", "channel": {"type": "telegram"}}, "channel"),
    ({"name": "X", "channel": {"type": "api", "webhook_url": "ftp://nope"}}, "webhook_url"),
    ({"name": "X", "channel": {"type": "api"}, "greeting_enabled": "sometimes"}, "greeting_enabled"),
    ({"name": "X", "channel": {"type": "api"}, "timezone": "Nowhere/City"}, "timezone"),
    ({"name": "X", "channel": {"type": "api"}, "auto_assignment_config": {"max_assignment_limit": "x"}},
     "max_assignment_limit"),
    ({"name": "X", "channel": {"type": "api"}, "working_hours": [{"day_of_week": 9}]}, "working_hours"),
])
def test_create_inbox_bad_input_writes_nothing(admin, account, base, body, attribute):
    response = call(admin, "POST", base + "/inboxes", body)
    assert response.status_code == 422, response.content
    assert response.json()["attributes"] == [attribute] and response.json()["message"]
    assert not Inbox.objects.filter(account=account).exists()


def test_create_inbox_with_bad_hours_is_rolled_back(admin, account, base):
    response = call(admin, "POST", base + "/inboxes", {
        "name": "X", "channel": {"type": "api"},
        "working_hours": [{"day_of_week": 1, "open_hour": 18, "open_minutes": 0, "close_hour": 9,
                           "close_minutes": 0}]})
    assert response.status_code == 422
    assert not Inbox.objects.filter(account=account).exists()


def test_agent_cannot_create_update_or_delete(agent, inbox, account, base):
    assert call(agent, "POST", base + "/inboxes", {"name": "X", "channel": {"type": "api"}}).status_code == 401
    assert call(agent, "PATCH", f"{base}/inboxes/{inbox.pk}", {"name": "Y"}).status_code == 401
    assert call(agent, "DELETE", f"{base}/inboxes/{inbox.pk}").status_code == 401
    assert list(Inbox.objects.filter(account=account).values_list("name", flat=True)) == ["Suporte"]


def test_update_inbox(admin, inbox, base):
    hours = [{"day_of_week": 6, "closed_all_day": False, "open_hour": 10, "open_minutes": 0, "close_hour": 14,
              "close_minutes": 30}]
    response = call(admin, "PATCH", f"{base}/inboxes/{inbox.pk}", {
        "name": "Suporte 2", "enable_auto_assignment": False, "working_hours_enabled": True,
        "working_hours": hours, "channel": {"webhook_url": "https://example.com/new"}})
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["name"] == "Suporte 2" and body["enable_auto_assignment"] is False
    assert body["webhook_url"] == "https://example.com/new"
    assert body["working_hours"][6]["open_hour"] == 10 and body["working_hours"][6]["close_minutes"] == 30
    assert WorkingHour.objects.get(inbox=inbox, day_of_week=6).closed_all_day is False


def test_update_inbox_bad_input_is_atomic(admin, inbox, base):
    response = call(admin, "PATCH", f"{base}/inboxes/{inbox.pk}", {
        "name": "Renamed", "working_hours": [{"day_of_week": 1, "open_hour": 18, "open_minutes": 0,
                                              "close_hour": 9, "close_minutes": 0}]})
    assert response.status_code == 422
    inbox.refresh_from_db()
    assert inbox.name == "Suporte"
    assert call(admin, "PATCH", f"{base}/inboxes/{inbox.pk}", {"name": ""}).status_code == 422
    assert call(admin, "PATCH", f"{base}/inboxes/{inbox.pk}", raw="{oops").status_code == 400


def test_delete_inbox(admin, inbox, base):
    response = call(admin, "DELETE", f"{base}/inboxes/{inbox.pk}")
    assert response.status_code == 200 and "message" in response.json()
    assert not Inbox.objects.filter(pk=inbox.pk).exists()


def test_other_account_gets_404_everywhere(outsider, inbox, bot, base):
    paths = [("GET", f"{base}/inboxes"), ("GET", f"{base}/inboxes/{inbox.pk}"),
             ("PATCH", f"{base}/inboxes/{inbox.pk}"), ("DELETE", f"{base}/inboxes/{inbox.pk}"),
             ("GET", f"{base}/inboxes/{inbox.pk}/assignable_agents"), ("GET", f"{base}/inboxes/{inbox.pk}/agent_bot"),
             ("POST", f"{base}/inboxes/{inbox.pk}/set_agent_bot"), ("GET", f"{base}/inbox_members/{inbox.pk}"),
             ("POST", f"{base}/inbox_members"), ("GET", f"{base}/agent_bots"),
             ("DELETE", f"{base}/agent_bots/{bot.pk}"), ("POST", f"{base}/agent_bots/{bot.pk}/reset_access_token")]
    for method, path in paths:
        response = call(outsider, method, path, {"name": "x"} if method != "GET" else None)
        assert response.status_code == 404, path
        assert response.json() == {"error": "Resource could not be found"}


def test_admin_of_other_account_cannot_reach_inbox_by_id(outsider, other_account, inbox):
    base = f"/api/v1/accounts/{other_account.pk}"
    assert call(outsider, "GET", f"{base}/inboxes/{inbox.pk}").status_code == 404
    assert call(outsider, "POST", f"{base}/inbox_members",
                {"inbox_id": inbox.pk, "user_ids": [outsider.pk]}).status_code == 404
    assert not InboxMember.objects.filter(inbox=inbox, user=outsider).exists()


def test_assignable_agents_are_members_and_admins(agent, admin, inbox, base):
    response = call(agent, "GET", f"{base}/inboxes/{inbox.pk}/assignable_agents")
    assert response.status_code == 200
    assert {row["id"] for row in response.json()["payload"]} == {agent.pk, admin.pk}


# --- Inbox members ---------------------------------------------------------------------

def test_inbox_members_flow(admin, agent, inbox, account, base):
    other = factories.make_member(account)
    assert [r["id"] for r in call(agent, "GET", f"{base}/inbox_members/{inbox.pk}").json()["payload"]] == [agent.pk]
    added = call(admin, "POST", f"{base}/inbox_members", {"inbox_id": inbox.pk, "user_ids": [other.pk]})
    assert added.status_code == 200 and {r["id"] for r in added.json()["payload"]} == {agent.pk, other.pk}
    replaced = call(admin, "PATCH", f"{base}/inbox_members", {"inbox_id": str(inbox.pk), "user_ids": [str(other.pk)]})
    assert {r["id"] for r in replaced.json()["payload"]} == {other.pk}
    assert call(admin, "DELETE", f"{base}/inbox_members", {"inbox_id": inbox.pk, "user_ids": [other.pk]}).status_code == 200
    assert not InboxMember.objects.filter(inbox=inbox).exists()


def test_inbox_members_rejects_bad_input_without_writes(admin, agent, outsider, inbox, base):
    path = f"{base}/inbox_members"
    bad = [({"user_ids": [agent.pk]}, "inbox_id"), ({"inbox_id": inbox.pk}, "user_ids"),
           ({"inbox_id": inbox.pk, "user_ids": ["x"]}, "user_ids"),
           ({"inbox_id": inbox.pk, "user_ids": [outsider.pk]}, "user_ids"), ({"inbox_id": "abc"}, "inbox_id")]
    for body, attribute in bad:
        response = call(admin, "PATCH", path, body)
        assert response.status_code == 422 and response.json()["attributes"] == [attribute], body
    assert set(InboxMember.objects.filter(inbox=inbox).values_list("user_id", flat=True)) == {agent.pk}


def test_inbox_member_writes_need_admin(agent, inbox, base):
    assert call(agent, "POST", f"{base}/inbox_members", {"inbox_id": inbox.pk, "user_ids": [agent.pk]}).status_code == 401
    assert call(agent, "DELETE", f"{base}/inbox_members", {"inbox_id": inbox.pk, "user_ids": [agent.pk]}).status_code == 401
    assert InboxMember.objects.filter(inbox=inbox, user=agent).exists()


# --- Agent bots ------------------------------------------------------------------------

def test_bot_crud_and_token(admin, account, base):
    response = call(admin, "POST", base + "/agent_bots", {"name": "Triagem", "outgoing_url": "https://b.example.com",
                                                          "bot_config": {"x": 1}})
    assert response.status_code == 200, response.content
    body = response.json()
    bot_id, token = body["id"], body["access_token"]
    assert body["account_id"] == account.pk and body["bot_type"] == "webhook" and body["system_bot"] is False
    assert AccessToken.objects.get(owner_type="AgentBot", owner_id=bot_id).token == token
    updated = call(admin, "PATCH", f"{base}/agent_bots/{bot_id}", {"description": "Faz triagem"})
    assert updated.json()["description"] == "Faz triagem" and updated.json()["name"] == "Triagem"
    reset = call(admin, "POST", f"{base}/agent_bots/{bot_id}/reset_access_token")
    assert reset.status_code == 200 and reset.json()["access_token"] != token
    assert call(admin, "DELETE", f"{base}/agent_bots/{bot_id}").status_code == 200
    assert not AgentBot.objects.filter(pk=bot_id).exists()
    assert not AccessToken.objects.filter(owner_type="AgentBot", owner_id=bot_id).exists()


def test_agents_see_bots_without_tokens_and_cannot_write(agent, bot, base):
    rows = call(agent, "GET", base + "/agent_bots").json()
    assert [r["id"] for r in rows] == [bot.pk] and "access_token" not in rows[0]
    assert call(agent, "POST", base + "/agent_bots", {"name": "x"}).status_code == 401
    assert call(agent, "PATCH", f"{base}/agent_bots/{bot.pk}", {"name": "x"}).status_code == 401
    assert call(agent, "DELETE", f"{base}/agent_bots/{bot.pk}").status_code == 401
    assert call(agent, "POST", f"{base}/agent_bots/{bot.pk}/reset_access_token").status_code == 401
    bot.refresh_from_db()
    assert bot.name == "Alú"


def test_bot_bad_input(admin, bot, account, base):
    assert call(admin, "POST", base + "/agent_bots", {"name": ""}).json()["attributes"] == ["name"]
    assert call(admin, "POST", base + "/agent_bots", {"name": "x", "outgoing_url": "nope"}).status_code == 422
    assert call(admin, "PATCH", f"{base}/agent_bots/{bot.pk}", {"bot_config": [1]}).status_code == 422
    assert AgentBot.objects.filter(account=account).count() == 1


def test_set_agent_bot(admin, agent, inbox, bot, base):
    path = f"{base}/inboxes/{inbox.pk}"
    assert call(agent, "GET", path + "/agent_bot").json() == {"agent_bot": None}
    assert call(agent, "POST", path + "/set_agent_bot", {"agent_bot": bot.pk}).status_code == 401
    assert call(admin, "POST", path + "/set_agent_bot", {"agent_bot": bot.pk}).status_code == 200
    assert call(agent, "GET", path + "/agent_bot").json()["agent_bot"]["id"] == bot.pk
    assert call(admin, "POST", path + "/set_agent_bot", {"agent_bot": None}).status_code == 200
    assert not AgentBotInbox.objects.filter(inbox=inbox).exists()


def test_set_agent_bot_of_other_account_is_404(admin, inbox, other_account, base):
    foreign = AgentBot.objects.create(account=other_account, name="Alheio")
    assert call(admin, "POST", f"{base}/inboxes/{inbox.pk}/set_agent_bot", {"agent_bot": foreign.pk}).status_code == 404
    assert call(admin, "POST", f"{base}/inboxes/{inbox.pk}/set_agent_bot", {"agent_bot": "x"}).status_code == 422
    assert not AgentBotInbox.objects.filter(inbox=inbox).exists()


def test_account_assignable_agents_intersects_inboxes(admin, agent, inbox, other_inbox, base):
    response = call(admin, "GET", f"{base}/assignable_agents?inbox_ids[]={inbox.pk}&inbox_ids[]={other_inbox.pk}")
    assert response.status_code == 200
    assert {row["id"] for row in response.json()["payload"]} == {admin.pk}
    one = call(admin, "GET", f"{base}/assignable_agents?inbox_ids[]={inbox.pk}").json()["payload"]
    assert {row["id"] for row in one} == {admin.pk, agent.pk}
    assert call(agent, "GET", f"{base}/assignable_agents?inbox_ids[]={other_inbox.pk}").status_code == 404
    assert call(admin, "GET", f"{base}/assignable_agents?inbox_ids[]=abc").status_code == 422
