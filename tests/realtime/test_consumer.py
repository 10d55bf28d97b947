"""The agent websocket: authentication, tenant checks, and which events reach whom."""

import asyncio
import json

import pytest
from asgiref.sync import sync_to_async
from channels.testing.websocket import WebsocketCommunicator

from autonomia.asgi import application
from conversations import actions
from conversations.models import Conversation
from tests import factories

pytestmark = pytest.mark.django_db(transaction=True)


async def connect(path, cookie=None, origin="http://127.0.0.1"):
    headers = [(b"origin", origin.encode())]
    if cookie:
        headers.append((b"cookie", f"{cookie['name']}={cookie['value']}".encode()))
    communicator = WebsocketCommunicator(application, path, headers=headers)
    connected, code = await communicator.connect(timeout=5)
    return communicator, connected, code


async def next_event(communicator, type_, timeout=3):
    """The next event of `type_` (other events are skipped)."""
    async with asyncio.timeout(timeout):
        while True:
            data = json.loads(await communicator.receive_from(timeout=timeout))
            if data["type"] == type_:
                return data


async def test_anonymous_socket_is_refused(account):
    communicator, connected, code = await connect(f"/ws/accounts/{account.pk}/")
    assert not connected and code == 4401


async def test_foreign_origin_is_refused(account, agent, session_cookie_for):
    cookie = await sync_to_async(session_cookie_for)(agent)
    communicator, connected, _ = await connect(f"/ws/accounts/{account.pk}/", cookie, origin="https://evil.example")
    assert not connected


async def test_outsider_cannot_join_another_account(account, outsider, session_cookie_for):
    cookie = await sync_to_async(session_cookie_for)(outsider)
    communicator, connected, code = await connect(f"/ws/accounts/{account.pk}/", cookie)
    assert not connected and code == 4403


async def test_agent_sees_changes_of_own_inbox_but_not_of_others(account, agent, admin, inbox, other_inbox,
                                                                 session_cookie_for):
    cookie = await sync_to_async(session_cookie_for)(agent)
    communicator, connected, _ = await connect(f"/ws/accounts/{account.pk}/", cookie)
    assert connected
    hidden = await sync_to_async(factories.make_conversation)(other_inbox)
    mine = await sync_to_async(factories.make_conversation)(inbox)
    event = await next_event(communicator, "conversation.changed")
    assert event["conversation_id"] == mine.pk  # the other inbox's events never arrived first
    assert hidden.pk != mine.pk
    await communicator.disconnect()


async def test_watching_a_conversation_streams_its_messages(account, agent, admin, conversation, contact,
                                                            session_cookie_for):
    cookie = await sync_to_async(session_cookie_for)(agent)
    communicator, connected, _ = await connect(f"/ws/accounts/{account.pk}/", cookie)
    await communicator.send_json_to({"action": "watch", "display_id": conversation.display_id})
    await next_event(communicator, "watch.ok")
    await sync_to_async(actions.receive_message)(conversation, sender=contact, content="chegou agora")
    event = await next_event(communicator, "message.created")
    assert event["display_id"] == conversation.display_id
    assert "chegou agora" in event["html"]
    await communicator.disconnect()


async def test_watching_a_hidden_conversation_is_denied(account, agent, other_inbox, contact, session_cookie_for):
    hidden = await sync_to_async(factories.make_conversation)(other_inbox, contact=contact)
    cookie = await sync_to_async(session_cookie_for)(agent)
    communicator, connected, _ = await connect(f"/ws/accounts/{account.pk}/", cookie)
    await communicator.send_json_to({"action": "watch", "display_id": hidden.display_id})
    assert (await next_event(communicator, "watch.denied"))["display_id"] == hidden.display_id
    await sync_to_async(actions.receive_message)(hidden, sender=contact, content="segredo")
    with pytest.raises(TimeoutError):
        await next_event(communicator, "message.created", timeout=0.5)
    await communicator.disconnect()


async def test_removed_agent_stops_receiving_conversation_messages(account, agent, admin, inbox, conversation,
                                                                   contact, session_cookie_for):
    from inboxes.actions import set_inbox_members

    cookie = await sync_to_async(session_cookie_for)(agent)
    communicator, connected, _ = await connect(f"/ws/accounts/{account.pk}/", cookie)
    await communicator.send_json_to({"action": "watch", "display_id": conversation.display_id})
    await next_event(communicator, "watch.ok")
    await sync_to_async(set_inbox_members)(inbox, actor=admin, user_ids=[])
    await next_event(communicator, "access.changed")
    await sync_to_async(actions.receive_message)(conversation, sender=contact, content="depois da remoção")
    with pytest.raises(TimeoutError):
        await next_event(communicator, "message.created", timeout=0.5)
    await communicator.disconnect()


async def test_presence_change_reaches_the_whole_account(account, agent, admin, session_cookie_for):
    from autonomia.actions import set_availability
    from autonomia.models import AccountUser

    cookie = await sync_to_async(session_cookie_for)(admin)
    communicator, connected, _ = await connect(f"/ws/accounts/{account.pk}/", cookie)
    membership = await AccountUser.objects.aget(user=agent, account=account)
    await sync_to_async(set_availability)(membership, actor=agent, availability=AccountUser.Availability.BUSY)
    event = await next_event(communicator, "presence.changed")
    assert event == {"type": "presence.changed", "account_id": account.pk, "user_id": agent.pk,
                     "availability": "busy"}
    await communicator.disconnect()


async def test_logout_closes_the_socket(account, agent, session_cookie_for):
    from autonomia import realtime
    from django.db import transaction

    cookie = await sync_to_async(session_cookie_for)(agent)
    communicator, connected, _ = await connect(f"/ws/accounts/{account.pk}/", cookie)

    def end_session():
        with transaction.atomic():
            realtime.broadcast_on_commit([realtime.user_group(agent.pk)], {"type": "session.ended"})

    await sync_to_async(end_session)()
    output = await communicator.receive_output(timeout=3)
    assert output == {"type": "websocket.close", "code": 4401}


def test_status_values_match_chatwoot():
    assert (Conversation.Status.OPEN, Conversation.Status.RESOLVED, Conversation.Status.PENDING,
            Conversation.Status.SNOOZED) == (0, 1, 2, 3)
