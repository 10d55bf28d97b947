"""Platform API (/platform/api/v1): an installer provisions accounts, users and memberships it owns."""

import pytest
from django.test import Client

from autonomia.models import Account, AccountUser, PlatformApp, PlatformAppPermissible, User
from autonomia.queries import api_token_for
from tests.api.client import call_with_token as call

P = "/platform/api/v1"


@pytest.fixture
def app(db):
    return PlatformApp.objects.create(name="Instalador")


@pytest.fixture
def token(app):
    return api_token_for("PlatformApp", app.pk)


@pytest.fixture
def other_token(db):
    return api_token_for("PlatformApp", PlatformApp.objects.create(name="Outro").pk)


@pytest.fixture
def owned_account(token):
    return Account.objects.get(pk=call(token, "POST", P + "/accounts", {"name": "Cliente SA"}).json()["id"])


@pytest.fixture
def owned_user(token):
    body = call(token, "POST", P + "/users", {"name": "Rita", "email": "rita@example.com", "password": "Senha-123"})
    return User.objects.get(pk=body.json()["id"])


def test_create_and_show_account(token, app):
    response = call(token, "POST", P + "/accounts", {"name": "Cliente SA", "locale": "en",
                                                     "support_email": "ajuda@cliente.com"}, bearer=True)
    assert response.status_code == 200, response.content
    body = response.json()
    assert isinstance(body["id"], int) and body["name"] == "Cliente SA" and body["locale"] == "en"
    assert PlatformAppPermissible.objects.filter(platform_app=app, permissible_type="Account",
                                                 permissible_id=body["id"]).exists()
    assert call(token, "GET", f"{P}/accounts/{body['id']}").json()["support_email"] == "ajuda@cliente.com"


def test_update_and_delete_account(token, owned_account):
    response = call(token, "PATCH", f"{P}/accounts/{owned_account.pk}", {"name": "Novo Nome"})
    assert response.status_code == 200 and response.json()["name"] == "Novo Nome"
    assert call(token, "DELETE", f"{P}/accounts/{owned_account.pk}").status_code == 200
    assert not Account.objects.filter(pk=owned_account.pk).exists()


def test_account_bad_input(token, owned_account):
    assert call(token, "POST", P + "/accounts", {}).json()["attributes"] == ["name"]
    assert call(token, "POST", P + "/accounts", {"name": "X", "locale": "zz"}).status_code == 422
    assert call(token, "POST", P + "/accounts", raw="{").status_code == 400
    assert call(token, "PATCH", f"{P}/accounts/{owned_account.pk}", {"name": ""}).status_code == 422
    assert Account.objects.count() == 1
    owned_account.refresh_from_db()
    assert owned_account.name == "Cliente SA"


def test_app_cannot_touch_what_it_did_not_create(other_token, owned_account, owned_user, account):
    for method, path in [("GET", f"{P}/accounts/{owned_account.pk}"), ("PATCH", f"{P}/accounts/{owned_account.pk}"),
                         ("DELETE", f"{P}/accounts/{owned_account.pk}"), ("GET", f"{P}/accounts/{account.pk}"),
                         ("GET", f"{P}/accounts/{owned_account.pk}/account_users"),
                         ("POST", f"{P}/accounts/{owned_account.pk}/account_users"),
                         ("GET", f"{P}/users/{owned_user.pk}"), ("PATCH", f"{P}/users/{owned_user.pk}"),
                         ("DELETE", f"{P}/users/{owned_user.pk}"), ("GET", f"{P}/users/{owned_user.pk}/login")]:
        response = call(other_token, method, path, {"name": "x", "user_id": owned_user.pk} if method != "GET" else None)
        assert response.status_code == 404, path
        assert response.json() == {"error": "Resource could not be found"}
    owned_account.refresh_from_db()
    owned_user.refresh_from_db()
    assert owned_account.name == "Cliente SA" and owned_user.name == "Rita"


def test_user_tokens_cannot_use_the_platform_api(admin, account):
    response = call(api_token_for("User", admin.pk), "GET", f"{P}/accounts/{account.pk}")
    assert response.status_code == 401
    assert Client().post(P + "/accounts", {"name": "x"}).status_code == 401


def test_platform_tokens_cannot_use_account_endpoints(token, owned_account):
    assert call(token, "GET", f"/api/v1/accounts/{owned_account.pk}").status_code == 401


def test_create_user(token, app):
    response = call(token, "POST", P + "/users", {"name": "Rita", "email": "Rita@Example.com",
                                                  "password": "Senha-123"})
    assert response.status_code == 200, response.content
    body = response.json()
    user = User.objects.get(email="rita@example.com")
    assert body["id"] == user.pk and body["email"] == "rita@example.com" and body["accounts"] == []
    assert body["access_token"] == api_token_for("User", user.pk) and user.check_password("Senha-123")
    assert body["confirmed"] is True


def test_create_user_bad_input(token, admin):
    assert call(token, "POST", P + "/users", {"name": "x"}).json()["attributes"] == ["email"]
    assert call(token, "POST", P + "/users", {"email": "nope"}).json()["attributes"] == ["email"]
    taken = call(token, "POST", P + "/users", {"email": "admin@example.com", "name": "Roubo"})
    assert taken.status_code == 422 and taken.json()["attributes"] == ["email"]
    admin.refresh_from_db()
    assert admin.name == "Ana Admin" and User.objects.count() == 1


def test_update_show_delete_user(token, owned_user):
    response = call(token, "PATCH", f"{P}/users/{owned_user.pk}", {"name": "Rita S", "email": "rita.s@example.com"})
    assert response.status_code == 200 and response.json()["email"] == "rita.s@example.com"
    assert call(token, "GET", f"{P}/users/{owned_user.pk}").json()["name"] == "Rita S"
    assert call(token, "PATCH", f"{P}/users/{owned_user.pk}", {"email": "bad"}).status_code == 422
    assert call(token, "DELETE", f"{P}/users/{owned_user.pk}").status_code == 200
    assert not User.objects.filter(pk=owned_user.pk).exists()


def test_update_user_email_taken_is_422(token, owned_user, admin):
    response = call(token, "PATCH", f"{P}/users/{owned_user.pk}", {"name": "Outra", "email": "admin@example.com"})
    assert response.status_code == 422
    owned_user.refresh_from_db()
    assert owned_user.email == "rita@example.com" and owned_user.name == "Rita"


def test_user_login_link_and_token(token, owned_user):
    response = call(token, "GET", f"{P}/users/{owned_user.pk}/login")
    assert response.status_code == 200 and "/reset/" in response.json()["url"]
    token_response = call(token, "POST", f"{P}/users/{owned_user.pk}/token")
    assert token_response.json() == {"access_token": api_token_for("User", owned_user.pk)}


def test_account_users(token, owned_account, owned_user):
    path = f"{P}/accounts/{owned_account.pk}/account_users"
    added = call(token, "POST", path, {"user_id": owned_user.pk, "role": "administrator"})
    assert added.status_code == 200
    assert added.json() == {"account_id": owned_account.pk, "user_id": owned_user.pk, "role": "administrator"}
    assert call(token, "GET", path).json() == [added.json()]
    profile = Client().get("/api/v1/profile", HTTP_API_ACCESS_TOKEN=api_token_for("User", owned_user.pk)).json()
    assert profile["accounts"][0]["id"] == owned_account.pk
    assert call(token, "DELETE", path, {"user_id": owned_user.pk}).status_code == 200
    assert not AccountUser.objects.filter(account=owned_account).exists()


def test_account_users_bad_input_and_foreign_users(token, owned_account, admin):
    path = f"{P}/accounts/{owned_account.pk}/account_users"
    assert call(token, "POST", path, {}).json()["attributes"] == ["user_id"]
    assert call(token, "POST", path, {"user_id": "abc"}).status_code == 422
    assert call(token, "POST", path, {"user_id": admin.pk}).status_code == 404  # not created by this app
    assert not AccountUser.objects.filter(account=owned_account).exists()


def test_account_users_bad_role(token, owned_account, owned_user):
    path = f"{P}/accounts/{owned_account.pk}/account_users"
    response = call(token, "POST", path, {"user_id": owned_user.pk, "role": "owner"})
    assert response.status_code == 422 and response.json()["attributes"] == ["role"]
    assert not AccountUser.objects.filter(account=owned_account).exists()


def test_platform_agent_bots(token, other_token, owned_account):
    created = call(token, "POST", P + "/agent_bots", {"name": "Robô", "outgoing_url": "https://bot.example.com"})
    assert created.status_code == 200, created.content
    body = created.json()
    assert body["account_id"] is None and body["system_bot"] is True and body["access_token"]
    scoped = call(token, "POST", P + "/agent_bots", {"name": "Da conta", "account_id": owned_account.pk}).json()
    assert scoped["account_id"] == owned_account.pk
    assert [b["id"] for b in call(token, "GET", P + "/agent_bots").json()] == [body["id"], scoped["id"]]
    assert call(other_token, "GET", P + "/agent_bots").json() == []
    assert call(other_token, "PATCH", f"{P}/agent_bots/{body['id']}", {"name": "x"}).status_code == 404
    assert call(other_token, "POST", P + "/agent_bots", {"name": "x", "account_id": owned_account.pk}).status_code == 404
    assert call(token, "PATCH", f"{P}/agent_bots/{body['id']}", {"name": "Robô 2"}).json()["name"] == "Robô 2"
    assert call(token, "POST", P + "/agent_bots", {"name": ""}).status_code == 422
    assert call(token, "DELETE", f"{P}/agent_bots/{body['id']}").status_code == 200
    assert call(token, "GET", f"{P}/agent_bots/{body['id']}").status_code == 404
