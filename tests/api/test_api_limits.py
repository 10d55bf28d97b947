"""The API's bad-input contract (autonomia/api.py): oversize bodies → 413 JSON, per-token rate limit → 429 with
Retry-After, malformed JSON → 400, unknown fields ignored. 413 and 429 are also checked through uvicorn, where
the body arrives over ASGI (with a Content-Length, and chunked without one)."""

import json

import pytest
import requests
from django.conf import settings

from tests.api.conftest import LiveApi
from tests.conftest import start_asgi_server, stop_server


def oversize() -> bytes:
    """A well-formed JSON object just over DATA_UPLOAD_MAX_MEMORY_SIZE."""
    filler = "x" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1024)
    return json.dumps({"content": filler}).encode()


def assert_413(response):
    assert response.status_code == 413, (response.status_code, response.content[:300])
    assert response.headers["Content-Type"].startswith("application/json")
    assert response.json() == {"error": "The request body is too large."}


# --- In-process (Django's test Client) -------------------------------------------------------

@pytest.mark.django_db
def test_oversize_json_body_is_413(api, conversation):
    path = f"conversations/{conversation.display_id}/messages"
    before = conversation.messages.count()
    assert_413(api("POST", path, raw=oversize()))
    assert_413(api("POST", "canned_responses", raw=oversize()))
    assert conversation.messages.count() == before
    # just under the limit is parsed normally
    small = json.dumps({"content": "x" * 1000}).encode()
    assert api("POST", path, raw=small).status_code == 200


@pytest.mark.django_db
def test_oversize_form_body_is_413(api, conversation):
    from django.test import Client

    response = Client().post(f"/api/v1/accounts/{api.account_id}/conversations/{conversation.display_id}/messages",
                             data=b"content=" + b"x" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 10),
                             content_type="application/x-www-form-urlencoded", HTTP_API_ACCESS_TOKEN=api.token)
    assert_413(response)


@pytest.mark.django_db
def test_malformed_json_is_400(api, conversation):
    path = f"conversations/{conversation.display_id}/messages"
    for raw in (b"{", b'{"content": "a",}', b"\xff\xfe", b"[1, 2]", b'"text"'):
        response = api("POST", path, raw=raw)
        assert response.status_code == 400, (raw, response.status_code)
        assert set(response.json()) == {"error"} and response.json()["error"]
    assert api("POST", "labels", raw=b"{nope").status_code == 400


@pytest.mark.django_db
def test_unknown_fields_are_ignored(api, conversation):
    response = api("POST", f"conversations/{conversation.display_id}/messages", {
        "content": "Olá", "message_type": "outgoing", "unknown_field": {"deep": [1, 2]}, "account_id": 999_999,
        "id": 12345, "__proto__": {"admin": True}})
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["content"] == "Olá" and body["id"] != 12345
    assert "unknown_field" not in body and "__proto__" not in body
    response = api("POST", "labels", {"title": "vip", "color": "#ff0000", "whatever": True})
    assert response.status_code == 200 and response.json()["title"] == "vip"


@pytest.mark.django_db
def test_per_token_rate_limit_is_429_with_retry_after(api, tokens, conversation, settings):
    settings.RATELIMIT_ENABLE = True
    settings.API_RATE_PER_TOKEN = "3/m"
    path = f"conversations/{conversation.display_id}"
    assert [api("GET", path).status_code for _ in range(3)] == [200, 200, 200]
    limited = api("GET", path)
    assert limited.status_code == 429
    assert limited.json() == {"error": "Too many requests. Slow down and retry."}
    assert int(limited["Retry-After"]) == settings.API_RETRY_AFTER_SECONDS > 0
    # per token: another persona still has its own budget
    assert api("GET", path, token=tokens["agent"]).status_code == 200
    # writes count too, and an invalid token is 401, not a rate-limit hit
    assert api("POST", path + "/toggle_status", {"status": "resolved"}).status_code == 429
    assert api("GET", path, token="not-a-token").status_code == 401


# --- Through uvicorn ---------------------------------------------------------------------------

@pytest.fixture
def limited_server(transactional_db):
    """A uvicorn server with rate limiting on at 3 requests per minute per token."""
    server = start_asgi_server({"RATELIMIT_ENABLE": "1", "API_RATE_PER_TOKEN": "3/m"})
    yield server
    stop_server(server)


@pytest.mark.django_db(transaction=True)
def test_live_413_and_400(live_api, conversation):
    path = f"conversations/{conversation.display_id}/messages"
    headers = {"api_access_token": live_api.token, "Content-Type": "application/json"}
    body = oversize()
    before = conversation.messages.count()
    assert_413(live_api("POST", path, headers=headers, data=body))

    # chunked transfer, no Content-Length: the buffered size is checked instead
    def chunks():
        for start in range(0, len(body), 256 * 1024):
            yield body[start:start + 256 * 1024]

    assert_413(live_api("POST", path, headers=headers, data=chunks()))
    assert conversation.messages.count() == before

    response = live_api("POST", path, headers=headers, data=b'{"content": ')
    assert response.status_code == 400 and "error" in response.json()
    response = live_api("POST", path, headers=headers, data=json.dumps({"content": "ok", "bogus": 1}))
    assert response.status_code == 200 and response.json()["content"] == "ok"


@pytest.mark.django_db(transaction=True)
def test_live_rate_limit_429(limited_server, account, tokens, conversation):
    live = LiveApi(limited_server.url, account.pk, tokens["admin"])
    path = f"conversations/{conversation.display_id}"
    codes = [live("GET", path).status_code for _ in range(3)]
    assert codes == [200, 200, 200]
    limited = live("GET", path)
    assert limited.status_code == 429, limited.text
    assert limited.json() == {"error": "Too many requests. Slow down and retry."}
    assert int(limited.headers["Retry-After"]) > 0
    # Bearer spelling of the same token shares the budget; another token does not
    assert live("GET", path, headers={"Authorization": f"Bearer {tokens['admin']}"}).status_code == 429
    assert live("GET", path, headers={"api_access_token": tokens["agent"]}).status_code == 200
    assert requests.get(f"{limited_server.url}/healthz", timeout=10).status_code == 200


def test_a_token_in_the_query_string_is_not_accepted(admin, account):
    """Tokens travel in headers only: a URL with a token would leave it in every access log."""
    from django.test import Client

    from autonomia.queries import api_token_for

    token = api_token_for("User", admin.pk)
    url = f"/api/v1/accounts/{account.pk}/conversations"
    assert Client().get(url, {"api_access_token": token}).status_code == 401
    assert Client().get(url, HTTP_API_ACCESS_TOKEN=token).status_code == 200
