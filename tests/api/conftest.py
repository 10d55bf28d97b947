"""API personas (admin, agent in the inbox, agent outside it, outsider in another account, agent bot) and
two ways to call the API: `api` (Django's test Client, fast) and `live_api` (requests against uvicorn)."""

import json

import pytest
import requests
from django.test import Client

from autonomia.queries import api_token_for
from inboxes.models import AgentBot, AgentBotInbox
from tests import factories


class Api:
    """Calls /api/v1/accounts/<account_id>/<path> with a token; returns the response (`.json()` works)."""

    def __init__(self, account_id: int, token: str | None = None):
        self.client, self.account_id, self.token = Client(), account_id, token

    def url(self, path: str, account_id: int | None = None) -> str:
        if path.startswith("/"):
            return path
        return f"/api/v1/accounts/{account_id or self.account_id}/{path}"

    def __call__(self, method: str, path: str, body=None, *, token: str | None = None, account_id=None,
                 raw: bytes | None = None, multipart: dict | None = None, query: dict | None = None):
        token = token if token is not None else self.token
        headers = {"HTTP_API_ACCESS_TOKEN": token} if token else {}
        url = self.url(path, account_id)
        call = getattr(self.client, method.lower())
        if multipart is not None:
            return call(url, multipart, **headers)
        if method.upper() == "GET":
            return call(url, query or body or {}, **headers)
        data = raw if raw is not None else (json.dumps(body) if body is not None else "")
        return call(url + (("?" + "&".join(f"{k}={v}" for k, v in query.items())) if query else ""), data,
                    content_type="application/json", **headers)

    def as_(self, token: str) -> "Api":
        return Api(self.account_id, token)


@pytest.fixture
def agent_outside(account):
    """An agent of the account who is not a member of the conversation's inbox."""
    return factories.make_member(account, factories.make_user("fora@example.com", "Fabio Fora"))


@pytest.fixture
def bot_inbox(account, agent):
    """An API inbox answered by the agent bot (its conversations start pending)."""
    return factories.make_inbox(account, name="Alú WhatsApp", members=[agent])


@pytest.fixture
def bot(account, bot_inbox):
    bot = AgentBot.objects.create(account=account, name="Alú")
    AgentBotInbox.objects.create(inbox=bot_inbox, agent_bot=bot)
    return bot


@pytest.fixture
def tokens(admin, agent, agent_outside, outsider, bot):
    return {
        "admin": api_token_for("User", admin.pk), "agent": api_token_for("User", agent.pk),
        "agent_outside": api_token_for("User", agent_outside.pk), "outsider": api_token_for("User", outsider.pk),
        "bot": api_token_for("AgentBot", bot.pk),
    }


@pytest.fixture
def api(account, tokens):
    """The admin's API by default; `api.as_(tokens["agent"])` for another persona."""
    return Api(account.pk, tokens["admin"])


def assert_422(response, attribute: str | None = None):
    assert response.status_code == 422, (response.status_code, response.content[:300])
    body = response.json()
    assert isinstance(body["message"], str) and body["message"]
    assert isinstance(body["attributes"], list)
    if attribute:
        assert attribute in body["attributes"], body


def assert_hidden(api, tokens, method: str, path: str, body=None, *, other_account_id=None, outside=True):
    """The outsider (own account id or ours) and, with `outside`, the agent outside the inbox get 404."""
    for account_id in filter(None, (None, other_account_id)):
        response = api(method, path, body, token=tokens["outsider"], account_id=account_id)
        assert response.status_code == 404, (path, response.status_code, response.content[:200])
        assert response.json() == {"error": "Resource could not be found"}
    if outside:
        response = api(method, path, body, token=tokens["agent_outside"])
        assert response.status_code == 404, (path, response.status_code, response.content[:200])
        assert response.json() == {"error": "Resource could not be found"}


class LiveApi:
    """requests against the live uvicorn server, sending the underscore header by default."""

    def __init__(self, base_url: str, account_id: int, token: str):
        self.base, self.account_id, self.token = base_url, account_id, token
        self.session = requests.Session()

    def url(self, path: str) -> str:
        return self.base + (path if path.startswith("/") else f"/api/v1/accounts/{self.account_id}/{path}")

    def __call__(self, method: str, path: str, *, headers: dict | None = None, **kwargs):
        headers = {"api_access_token": self.token} if headers is None else headers
        return self.session.request(method, self.url(path), headers=headers, timeout=20, **kwargs)


@pytest.fixture
def live_api(live_server_asgi, account, tokens):
    return LiveApi(live_server_asgi.url, account.pk, tokens["admin"])


@pytest.fixture
def base(account):
    """The account's API prefix."""
    return f"/api/v1/accounts/{account.pk}"
