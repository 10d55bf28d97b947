"""Scale-out: two ASGI server processes share the Redis channel layer.

An agent's reply posted through process A reaches a websocket connected to process B.
"""

import asyncio
import json

import pytest
import requests
import websockets

from tests.conftest import start_asgi_server, stop_server

pytestmark = [pytest.mark.servers, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def two_servers(transactional_db):
    a, b = start_asgi_server(), start_asgi_server()
    yield a, b
    stop_server(a)
    stop_server(b)


async def receive_types(ws, wanted: set, timeout=10) -> dict:
    """Collect the first event of each wanted type, in whatever order they arrive."""
    found = {}
    async with asyncio.timeout(timeout):
        while not wanted <= found.keys():
            event = json.loads(await ws.recv())
            found.setdefault(event["type"], event)
    return found


def post_reply(server, cookie, conversation, content):
    """Post a reply through the server's HTML endpoint, with the session and CSRF cookies a browser has."""
    session = requests.Session()
    session.cookies.set(cookie["name"], cookie["value"])
    session.get(f"{server.url}/app/accounts/{conversation.account_id}/conversations/{conversation.display_id}/",
                timeout=10).raise_for_status()
    response = session.post(
        f"{server.url}/app/accounts/{conversation.account_id}/conversations/{conversation.display_id}/messages/",
        data={"content": content}, headers={"X-CSRFToken": session.cookies["csrftoken"]},
        allow_redirects=False, timeout=10)
    assert response.status_code in (200, 302), response.text[:500]


def test_reply_through_process_a_reaches_websocket_on_process_b(two_servers, agent, admin, conversation,
                                                                session_cookie_for):
    server_a, server_b = two_servers
    agent_cookie, admin_cookie = session_cookie_for(agent), session_cookie_for(admin)

    async def scenario():
        headers = {"Cookie": f"{admin_cookie['name']}={admin_cookie['value']}", "Origin": server_b.url}
        url = f"{server_b.ws_url}/ws/accounts/{conversation.account_id}/"
        async with websockets.connect(url, additional_headers=headers) as ws:
            await ws.send(json.dumps({"action": "watch", "display_id": conversation.display_id}))
            await receive_types(ws, {"watch.ok"})
            await asyncio.to_thread(post_reply, server_a, agent_cookie, conversation, "resposta via processo A")
            events = await receive_types(ws, {"message.created", "conversation.changed"})
            return events["message.created"], events["conversation.changed"]

    created, changed = asyncio.run(scenario())
    assert "resposta via processo A" in created["html"]
    assert changed["conversation_id"] == conversation.pk
