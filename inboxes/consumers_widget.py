"""The website visitor's websocket, /ws/widget/?website_token=…

Cross-origin on purpose (the loader runs on the customer's site), so the origin is checked against the
widget's allowed domains instead of ALLOWED_HOSTS. The socket joins nothing until its first message
authenticates it: `{"action": "auth", "pubsub_token": …}` (the frame) or `{"action": "auth", "auth_token":
<widget JWT>}` (the loader); secrets never travel in the URL. It then joins only `contact_inbox.<id>` and
re-checks every event against the database: contacts never receive private notes or activity lines.
Server → client frames are Chatwoot's `{"event": name, "data": {...}}`.
"""

import asyncio
import json
from urllib.parse import parse_qs

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer

from autonomia import realtime

CLOSE_UNAUTHENTICATED = 4401
AUTH_SECONDS = 10


class WidgetConsumer(AsyncWebsocketConsumer):
    async def connect(self):
        query = parse_qs(self.scope.get("query_string", b"").decode())
        self.channel = await database_sync_to_async(self._channel)((query.get("website_token") or [""])[0])
        if self.channel is None or not await database_sync_to_async(self._origin_ok)():
            await self.close(code=CLOSE_UNAUTHENTICATED)
            return
        self.contact_inbox = None
        self.group = None
        await self.accept()
        self.auth_timer = asyncio.get_running_loop().call_later(AUTH_SECONDS, self._auth_timeout)

    def _auth_timeout(self):
        if self.contact_inbox is None:
            asyncio.ensure_future(self.close(code=CLOSE_UNAUTHENTICATED))

    async def disconnect(self, code):
        timer = getattr(self, "auth_timer", None)
        if timer:
            timer.cancel()
        if getattr(self, "group", None):
            await realtime.leave(self.channel_layer, self.group, self.channel_name)

    async def receive(self, text_data=None, bytes_data=None):
        try:
            data = json.loads(text_data or "{}")
        except ValueError:
            return
        if not isinstance(data, dict):
            return
        if data.get("action") == "auth" and self.contact_inbox is None:
            await self._authenticate(data)
        elif data.get("action") == "ping":
            await self.send(text_data=json.dumps({"event": "pong"}))

    async def _authenticate(self, data):
        self.contact_inbox = await database_sync_to_async(self._visitor)(data)
        if self.contact_inbox is None:
            await self.close(code=CLOSE_UNAUTHENTICATED)
            return
        self.group = realtime.contact_inbox_group(self.contact_inbox.pk)
        await realtime.join(self.channel_layer, self.group, self.channel_name)
        await self.send(text_data=json.dumps({"event": "welcome"}))

    # --- events from conversations/realtime.py ---------------------------------------------

    async def widget_message(self, event):
        payload = await database_sync_to_async(self._message_payload)(event)
        if payload:
            await self.send(text_data=json.dumps({"event": event["event"], "data": payload}))

    async def widget_typing(self, event):
        if await database_sync_to_async(self._owns)(event["conversation_id"]):
            await self.send(text_data=json.dumps({"event": "conversation.typing_on" if event["on"] else
                                                  "conversation.typing_off", "data": {}}))

    async def widget_conversation(self, event):
        payload = await database_sync_to_async(self._conversation_payload)(event["conversation_id"])
        if payload:
            await self.send(text_data=json.dumps({"event": "conversation.status_changed", "data": payload}))

    # --- database (sync, in a thread) -----------------------------------------------------

    def _channel(self, website_token):
        from inboxes.widget_queries import widget_by_token

        return widget_by_token(website_token)

    def _origin_ok(self) -> bool:
        from inboxes.widget_queries import origin_allowed

        headers = dict(self.scope.get("headers") or [])
        origin = headers.get(b"origin", b"").decode("latin-1")
        host = headers.get(b"host", b"").decode("latin-1")
        return origin.split("://")[-1] == host or origin_allowed(self.channel, origin)

    def _visitor(self, data):
        from contacts.models import ContactInbox
        from inboxes.widget_queries import visitor_from_token

        if isinstance(data.get("auth_token"), str):
            return visitor_from_token(self.channel, data["auth_token"])
        token = data.get("pubsub_token")
        if not isinstance(token, str) or not token:
            return None
        return ContactInbox.objects.filter(pubsub_token=token, inbox_id=self.channel.inbox_id).first()

    def _owns(self, conversation_id) -> bool:
        from conversations.models import Conversation

        return Conversation.objects.filter(pk=conversation_id, contact_inbox_id=self.contact_inbox.pk).exists()

    def _message_payload(self, event):
        from conversations.models import Conversation
        from inboxes.widget_payloads import messages_json
        from inboxes.widget_queries import visitor_message

        conversation = Conversation.objects.filter(pk=event["conversation_id"],
                                                   contact_inbox_id=self.contact_inbox.pk).first()
        message = conversation and visitor_message(conversation, event["message_id"])
        return messages_json([message], conversation)[0] if message else None

    def _conversation_payload(self, conversation_id):
        from conversations.models import Conversation
        from inboxes.widget_payloads import conversation_json

        conversation = (Conversation.objects.select_related("assignee")
                        .filter(pk=conversation_id, contact_inbox_id=self.contact_inbox.pk).first())
        return conversation_json(conversation)
