"""Account, agents, teams and profile endpoints of the Chatwoot-compatible API."""

import pytest
from django.test import Client

from autonomia.models import AccessToken, Account, AccountUser, AuditLog, Team, TeamMember, User
from autonomia.queries import api_token_for
from tests.api.client import call


@pytest.fixture
def team(account, agent):
    team = Team.objects.create(account=account, name="vendas", description="Time de vendas")
    TeamMember.objects.create(team=team, user=agent)
    return team


# --- Account ---------------------------------------------------------------------------

def test_account_show_has_chatwoot_types(admin, account, base):
    response = call(admin, "GET", base, bearer=True)
    assert response.status_code == 200
    body = response.json()
    assert body["id"] == account.pk and isinstance(body["id"], int)
    assert body["name"] == "Loja Exemplo" and body["status"] == "active"
    assert body["locale"] == account.locale and isinstance(body["features"], dict)


def test_account_update_by_admin(admin, account, base):
    response = call(admin, "PATCH", base, {"name": "Nova Loja", "locale": "en", "auto_resolve_after": 60,
                                           "support_email": "help@loja.com"})
    assert response.status_code == 200, response.content
    assert response.json()["auto_resolve_after"] == 60
    account.refresh_from_db()
    assert (account.name, account.locale, account.support_email) == ("Nova Loja", "en", "help@loja.com")
    assert AuditLog.objects.filter(account=account, auditable_type="Account", action="update").exists()


def test_account_update_by_agent_is_401(agent, account, base):
    assert call(agent, "PATCH", base, {"name": "X"}).status_code == 401
    account.refresh_from_db()
    assert account.name == "Loja Exemplo"


@pytest.mark.parametrize("body, attribute", [
    ({"name": ""}, "name"), ({"locale": "xx"}, "locale"), ({"timezone": "Mars/Base"}, "timezone"),
    ({"auto_resolve_after": 1}, "auto_resolve_after"), ({"auto_resolve_after": "abc"}, "auto_resolve_after"),
    ({"name": "Ok", "support_email": "not-an-email"}, "support_email"),
])
def test_account_update_rejects_bad_input_without_writing(admin, account, base, body, attribute):
    response = call(admin, "PATCH", base, body)
    assert response.status_code == 422
    assert response.json()["attributes"] == [attribute] and response.json()["message"]
    account.refresh_from_db()
    assert account.name == "Loja Exemplo"


def test_malformed_json_is_400(admin, base):
    assert call(admin, "PATCH", base, raw="{not json").status_code == 400


def test_other_accounts_token_gets_404(outsider, base):
    for method, path in [("GET", base), ("PATCH", base), ("GET", base + "/agents"), ("GET", base + "/teams")]:
        response = call(outsider, method, path, {"name": "hack"} if method != "GET" else None)
        assert response.status_code == 404
        assert response.json() == {"error": "Resource could not be found"}
    assert Account.objects.get(pk=int(base.rsplit("/", 1)[1])).name == "Loja Exemplo"


def test_missing_token_is_401(base):
    assert Client().get(base).status_code == 401


# --- Agents ----------------------------------------------------------------------------

def test_agents_list_shape(agent, admin, account, base):
    response = call(agent, "GET", base + "/agents")
    assert response.status_code == 200
    rows = {row["email"]: row for row in response.json()}
    row = rows["agent@example.com"]
    assert row["id"] == agent.pk and row["account_id"] == account.pk
    assert row["role"] == "agent" and rows["admin@example.com"]["role"] == "administrator"
    assert row["availability_status"] == "online" and row["provider"] == "email"
    assert row["auto_offline"] is False and row["confirmed"] is True
    assert row["available_name"] == "Bruno Agente" and row["thumbnail"] == "" and row["custom_attributes"] == {}


def test_admin_adds_agent(admin, account, base, mailoutbox):
    response = call(admin, "POST", base + "/agents", {"name": "Nina", "email": "Nina@Example.com",
                                                       "role": "administrator", "auto_offline": False})
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["email"] == "nina@example.com" and body["role"] == "administrator"
    assert body["confirmed"] is False and body["auto_offline"] is False
    assert AccountUser.objects.filter(account=account, user__email="nina@example.com").exists()


def test_agent_cannot_add_agents(agent, account, base):
    assert call(agent, "POST", base + "/agents", {"name": "N", "email": "n@example.com"}).status_code == 401
    assert not User.objects.filter(email="n@example.com").exists()


@pytest.mark.parametrize("body, attribute", [
    ({"name": "N"}, "email"), ({"email": "bad"}, "email"), ({"email": "n@example.com", "role": "owner"}, "role"),
    ({"email": "n@example.com", "auto_offline": "maybe"}, "auto_offline"),
])
def test_add_agent_bad_input_is_422_without_writes(admin, base, body, attribute):
    response = call(admin, "POST", base + "/agents", body)
    assert response.status_code == 422
    assert response.json()["attributes"] == [attribute]
    assert not User.objects.filter(email="n@example.com").exists()


def test_add_existing_member_is_422(admin, agent, base):
    response = call(admin, "POST", base + "/agents", {"email": "agent@example.com"})
    assert response.status_code == 422 and response.json()["attributes"] == ["email"]


def test_update_agent(admin, agent, account, base):
    response = call(admin, "PATCH", f"{base}/agents/{agent.pk}", {"name": "Bruno B", "role": "administrator",
                                                                  "availability": "busy", "auto_offline": True})
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["name"], body["role"], body["availability_status"], body["auto_offline"]) == (
        "Bruno B", "administrator", "busy", True)


def test_update_agent_of_other_account_is_404(admin, outsider, base):
    assert call(admin, "PATCH", f"{base}/agents/{outsider.pk}", {"name": "x"}).status_code == 404
    assert call(admin, "DELETE", f"{base}/agents/{outsider.pk}").status_code == 404
    outsider.refresh_from_db()
    assert outsider.name == "Olga Fora"


def test_last_admin_cannot_be_demoted(admin, base):
    response = call(admin, "PATCH", f"{base}/agents/{admin.pk}", {"role": "agent"})
    assert response.status_code == 422 and response.json()["attributes"] == ["role"]


def test_agent_cannot_update_or_delete(agent, admin, account, base):
    assert call(agent, "PATCH", f"{base}/agents/{admin.pk}", {"role": "agent"}).status_code == 401
    assert call(agent, "DELETE", f"{base}/agents/{admin.pk}").status_code == 401
    assert AccountUser.objects.get(account=account, user=admin).is_administrator


def test_delete_agent(admin, agent, account, base):
    response = call(admin, "DELETE", f"{base}/agents/{agent.pk}")
    assert response.status_code == 200
    assert not AccountUser.objects.filter(account=account, user=agent).exists()


def test_bulk_create(admin, agent, account, base, mailoutbox):
    response = call(admin, "POST", base + "/agents/bulk_create",
                    {"emails": ["x1@example.com", "agent@example.com", "x2@example.com"]})
    assert response.status_code == 200
    assert set(AccountUser.objects.filter(account=account).values_list("user__email", flat=True)) >= {
        "x1@example.com", "x2@example.com"}


def test_bulk_create_with_one_bad_email_writes_nothing(admin, base):
    response = call(admin, "POST", base + "/agents/bulk_create", {"emails": ["x1@example.com", "nope"]})
    assert response.status_code == 422 and response.json()["attributes"] == ["emails"]
    assert not User.objects.filter(email="x1@example.com").exists()


def test_bulk_create_needs_admin(agent, base):
    assert call(agent, "POST", base + "/agents/bulk_create", {"emails": ["x1@example.com"]}).status_code == 401


# --- Teams -----------------------------------------------------------------------------

def test_teams_list_and_show(agent, team, account, base):
    response = call(agent, "GET", base + "/teams")
    assert response.status_code == 200
    assert response.json() == [{"id": team.pk, "name": "vendas", "description": "Time de vendas",
                                "allow_auto_assign": True, "account_id": account.pk, "is_member": True}]
    assert call(agent, "GET", f"{base}/teams/{team.pk}").json()["id"] == team.pk


def test_team_crud_by_admin(admin, account, base):
    response = call(admin, "POST", base + "/teams", {"name": "Suporte N2", "allow_auto_assign": False})
    assert response.status_code == 200, response.content
    team_id = response.json()["id"]
    assert response.json()["name"] == "suporte n2" and response.json()["allow_auto_assign"] is False
    response = call(admin, "PATCH", f"{base}/teams/{team_id}", {"description": "Segundo nível"})
    assert response.status_code == 200 and response.json()["description"] == "Segundo nível"
    assert call(admin, "DELETE", f"{base}/teams/{team_id}").status_code == 200
    assert not Team.objects.filter(pk=team_id).exists()


def test_team_bad_input(admin, team, base):
    assert call(admin, "POST", base + "/teams", {}).json()["attributes"] == ["name"]
    duplicate = call(admin, "POST", base + "/teams", {"name": "VENDAS"})
    assert duplicate.status_code == 422 and duplicate.json()["attributes"] == ["name"]
    assert call(admin, "PATCH", f"{base}/teams/{team.pk}", {"allow_auto_assign": "x"}).status_code == 422
    assert Team.objects.filter(account=team.account).count() == 1


def test_team_writes_need_admin(agent, team, base):
    assert call(agent, "POST", base + "/teams", {"name": "x"}).status_code == 401
    assert call(agent, "PATCH", f"{base}/teams/{team.pk}", {"name": "x"}).status_code == 401
    assert call(agent, "DELETE", f"{base}/teams/{team.pk}").status_code == 401
    assert call(agent, "POST", f"{base}/teams/{team.pk}/team_members", {"user_ids": [agent.pk]}).status_code == 401
    team.refresh_from_db()
    assert team.name == "vendas"


def test_team_of_other_account_is_404(outsider, team, base):
    for method in ("GET", "PATCH", "DELETE"):
        assert call(outsider, method, f"{base}/teams/{team.pk}").status_code == 404
    assert call(outsider, "GET", f"{base}/teams/{team.pk}/team_members").status_code == 404
    assert Team.objects.filter(pk=team.pk).exists()


def test_team_members_flow(admin, agent, team, base):
    path = f"{base}/teams/{team.pk}/team_members"
    assert [row["id"] for row in call(admin, "GET", path).json()] == [agent.pk]
    added = call(admin, "POST", path, {"user_ids": [admin.pk]})
    assert added.status_code == 200 and [row["id"] for row in added.json()] == [admin.pk]
    replaced = call(admin, "PATCH", path, {"user_ids": [str(admin.pk)]})
    assert [row["id"] for row in replaced.json()] == [admin.pk]
    assert call(admin, "DELETE", path, {"user_ids": [admin.pk]}).status_code == 200
    assert call(admin, "GET", path).json() == []


def test_team_members_rejects_strangers_without_writes(admin, agent, outsider, team, base):
    path = f"{base}/teams/{team.pk}/team_members"
    response = call(admin, "POST", path, {"user_ids": [admin.pk, outsider.pk]})
    assert response.status_code == 422 and response.json()["attributes"] == ["user_ids"]
    assert call(admin, "PATCH", path, {"user_ids": "abc"}).status_code == 422
    assert call(admin, "PATCH", path, {}).status_code == 422
    assert set(TeamMember.objects.filter(team=team).values_list("user_id", flat=True)) == {agent.pk}


# --- Profile ---------------------------------------------------------------------------

def test_profile_show(agent, account):
    response = call(agent, "GET", "/api/v1/profile", bearer=True)
    assert response.status_code == 200
    body = response.json()
    assert body["id"] == agent.pk and body["email"] == "agent@example.com"
    assert body["access_token"] == api_token_for("User", agent.pk)
    assert body["account_id"] == account.pk and body["role"] == "agent"
    assert body["accounts"][0]["id"] == account.pk and body["accounts"][0]["availability_status"] == "online"


def test_profile_update(agent):
    response = call(agent, "PATCH", "/api/v1/profile", {"profile": {"name": "Bruno Novo", "display_name": "Bru",
                                                                     "ui_settings": {"send_on_enter": True}}})
    assert response.status_code == 200, response.content
    assert response.json()["available_name"] == "Bru" and response.json()["ui_settings"]["send_on_enter"] is True
    agent.refresh_from_db()
    assert agent.name == "Bruno Novo"


def test_profile_bad_input(agent):
    assert call(agent, "PATCH", "/api/v1/profile", {"name": ""}).status_code == 422
    assert call(agent, "PATCH", "/api/v1/profile", {"ui_settings": [1]}).status_code == 422
    assert call(agent, "PATCH", "/api/v1/profile", raw="[").status_code == 400
    agent.refresh_from_db()
    assert agent.name == "Bruno Agente"


def test_profile_availability(agent, account, other_account):
    response = call(agent, "POST", "/api/v1/profile/availability",
                    {"profile": {"account_id": account.pk, "availability": "busy"}})
    assert response.status_code == 200
    assert response.json()["accounts"][0]["availability_status"] == "busy"
    assert call(agent, "POST", "/api/v1/profile/availability",
                {"profile": {"account_id": other_account.pk, "availability": "busy"}}).status_code == 404
    assert call(agent, "POST", "/api/v1/profile/availability",
                {"profile": {"account_id": account.pk, "availability": "away"}}).status_code == 422


def test_profile_reset_access_token(agent, account):
    old = api_token_for("User", agent.pk)
    response = Client().post("/api/v1/profile/reset_access_token", HTTP_API_ACCESS_TOKEN=old)
    assert response.status_code == 200
    new = response.json()["access_token"]
    assert new != old and AccessToken.objects.get(owner_type="User", owner_id=agent.pk).token == new
    assert Client().get("/api/v1/profile", HTTP_API_ACCESS_TOKEN=old).status_code == 401
    assert AuditLog.objects.filter(account=account, action="access_token_regenerated").exists()


def test_profile_auto_offline(agent, account):
    response = call(agent, "POST", "/api/v1/profile/auto_offline",
                    {"profile": {"account_id": account.pk, "auto_offline": True}})
    assert response.status_code == 200 and response.json()["accounts"][0]["auto_offline"] is True
    assert call(agent, "POST", "/api/v1/profile/auto_offline",
                {"profile": {"account_id": account.pk, "auto_offline": "x"}}).status_code == 422
    assert call(agent, "POST", "/api/v1/profile/auto_offline", {"profile": {"auto_offline": False}}).status_code == 422
    assert AccountUser.objects.get(user=agent, account=account).auto_offline is True


def test_profile_set_active_account(agent, account, other_account):
    from tests import factories

    factories.make_member(other_account, agent)
    response = call(agent, "PUT", "/api/v1/profile/set_active_account", {"profile": {"account_id": other_account.pk}})
    assert response.status_code == 200
    assert call(agent, "GET", "/api/v1/profile").json()["account_id"] == other_account.pk
    stranger = Account.objects.create(name="Estranha")
    assert call(agent, "PUT", "/api/v1/profile/set_active_account",
                {"profile": {"account_id": stranger.pk}}).status_code == 404


def test_profile_rejects_bot_and_platform_tokens(account):
    from autonomia.models import PlatformApp
    from inboxes.models import AgentBot

    bot = AgentBot.objects.create(account=account, name="Bot")
    app = PlatformApp.objects.create(name="App")
    for owner_type, pk in (("AgentBot", bot.pk), ("PlatformApp", app.pk)):
        response = Client().get("/api/v1/profile", HTTP_API_ACCESS_TOKEN=api_token_for(owner_type, pk))
        assert response.status_code == 401


def test_bot_token_cannot_use_account_endpoints(account, base):
    from inboxes.models import AgentBot

    bot = AgentBot.objects.create(account=account, name="Bot")
    token = api_token_for("AgentBot", bot.pk)
    assert Client().get(base + "/agents", HTTP_API_ACCESS_TOKEN=token).status_code == 401
    assert Client().patch(base, data='{"name": "x"}', content_type="application/json",
                          HTTP_API_ACCESS_TOKEN=token).status_code == 401
