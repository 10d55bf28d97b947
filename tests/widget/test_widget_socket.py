"""The visitor's websocket: authentication, allowed origins, and what a contact may receive."""

import json

import pytest
from asgiref.sync import sync_to_async
from channels.testing.websocket import WebsocketCommunicator

from autonomia.asgi import application
from conversations import actions
from conversations.models import Conversation
from inboxes import client_actions, widget_actions
from inboxes.widget_queries import issue_widget_token

pytestmark = pytest.mark.django_db(transaction=True)


def make_visitor(inbox):
    contact_inbox = client_actions.create_client_contact(inbox, name="Vera Visitante")
    conversation = client_actions.start_client_conversation(contact_inbox)
    client_actions.send_client_message(conversation, content="Olá")
    return contact_inbox, conversation


async def open_socket(widget, origin="http://127.0.0.1"):
    communicator = WebsocketCommunicator(application, f"/ws/widget/?website_token={widget.website_token}",
                                         headers=[(b"origin", origin.encode()), (b"host", b"127.0.0.1")])
    connected, code = await communicator.connect(timeout=5)
    return communicator, connected, code


async def frames(communicator, timeout=1.5):
    """Every frame received until `timeout` passes without one."""
    received = []
    while not await communicator.receive_nothing(timeout=timeout):  # (a timed-out receive would end the app)
        received.append(json.loads(await communicator.receive_from(timeout=timeout)))
    return received


async def test_unknown_website_token_is_refused(widget):
    communicator = WebsocketCommunicator(application, "/ws/widget/?website_token=nope",
                                         headers=[(b"origin", b"http://127.0.0.1")])
    connected, code = await communicator.connect(timeout=5)
    assert not connected and code == 4401


async def test_origin_outside_the_allowed_domains_is_refused(widget, widget_inbox):
    await sync_to_async(widget_actions.update_web_widget)(widget_inbox, actor=None, allowed_domains="loja.com.br")
    communicator, connected, _ = await open_socket(widget, origin="https://evil.example")
    assert not connected
    communicator, connected, _ = await open_socket(widget, origin="https://loja.com.br")
    assert connected
    await communicator.disconnect()


async def test_bad_credentials_close_the_socket(widget):
    communicator, connected, _ = await open_socket(widget)
    assert connected
    await communicator.send_to(text_data=json.dumps({"action": "auth", "pubsub_token": "wrong"}))
    output = await communicator.receive_output(timeout=3)
    assert output["type"] == "websocket.close" and output["code"] == 4401


async def test_visitor_gets_public_replies_and_typing_but_never_notes(widget, widget_inbox, admin):
    contact_inbox, conversation = await sync_to_async(make_visitor)(widget_inbox)
    communicator, connected, _ = await open_socket(widget)
    assert connected
    await communicator.send_to(text_data=json.dumps({"action": "auth", "pubsub_token": contact_inbox.pubsub_token}))
    assert json.loads(await communicator.receive_from(timeout=3)) == {"event": "welcome"}

    await sync_to_async(actions.toggle_typing)(conversation, user=admin, on=True)
    await sync_to_async(actions.send_reply)(conversation, actor=admin, content="nota **interna**", private=True)
    await sync_to_async(actions.send_reply)(conversation, actor=admin, content="Oi **Vera**!")
    received = await frames(communicator)
    events = [f["event"] for f in received]
    assert "conversation.typing_on" in events
    created = [f["data"] for f in received if f["event"] == "message.created"]
    assert [m["content"] for m in created] == ["Oi **Vera**!"]
    assert "<strong>Vera</strong>" in created[0]["content_html"] and created[0]["message_type"] == 1
    assert not any("interna" in json.dumps(f) for f in received)
    await communicator.disconnect()


async def test_own_typing_is_not_echoed_and_status_changes_arrive(widget, widget_inbox, admin):
    contact_inbox, conversation = await sync_to_async(make_visitor)(widget_inbox)
    token = await sync_to_async(issue_widget_token)(contact_inbox)
    communicator, connected, _ = await open_socket(widget)
    assert connected
    await communicator.send_to(text_data=json.dumps({"action": "auth", "auth_token": token}))
    assert json.loads(await communicator.receive_from(timeout=3)) == {"event": "welcome"}
    await sync_to_async(client_actions.set_client_typing)(conversation, on=True)
    await sync_to_async(actions.change_status)(conversation, actor=admin, status=Conversation.Status.RESOLVED)
    received = await frames(communicator)
    assert not any(f["event"].startswith("conversation.typing") for f in received)
    statuses = [f["data"]["status"] for f in received if f["event"] == "conversation.status_changed"]
    assert statuses and statuses[-1] == "resolved"
    # Activity lines ("resolved by Ana Admin") are not for the visitor.
    assert not any(f["event"] == "message.created" for f in received)
    await communicator.disconnect()


async def test_another_visitors_events_do_not_leak(widget, widget_inbox, admin):
    mine, _ = await sync_to_async(make_visitor)(widget_inbox)
    _, theirs = await sync_to_async(make_visitor)(widget_inbox)
    communicator, _, _ = await open_socket(widget)
    await communicator.send_to(text_data=json.dumps({"action": "auth", "pubsub_token": mine.pubsub_token}))
    await communicator.receive_from(timeout=3)
    await sync_to_async(actions.send_reply)(theirs, actor=admin, content="só para o outro")
    assert await frames(communicator) == []
    await communicator.disconnect()
