"""The agent's websocket: one per open page at /ws/accounts/<account_id>/.

It always joins `user.<id>` and `account.<id>`; it joins `conversation.<id>` only after
`access_conversation` allows it. Every event is re-checked against the database before it is
rendered, and messages are rendered with the same partial as the page (same bytes as a GET).
"""

import json

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer
from django.core.cache import cache
from django.conf import settings
from django.http import Http404
from django.template.loader import render_to_string
from django.utils import timezone, translation

from autonomia import realtime
from autonomia.queries import access_account_user, presence_key

CLOSE_UNAUTHENTICATED = 4401
CLOSE_FORBIDDEN = 4403


class AgentConsumer(AsyncWebsocketConsumer):
    async def connect(self):
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            await self.close(code=CLOSE_UNAUTHENTICATED)
            return
        try:
            self.account_user = await database_sync_to_async(access_account_user)(
                user, int(self.scope["url_route"]["kwargs"]["account_id"]))
        except Http404:
            await self.close(code=CLOSE_FORBIDDEN)
            return
        self.watching: int | None = None
        self.groups_joined = [realtime.user_group(user.pk), realtime.account_group(self.account_user.account_id)]
        for group in self.groups_joined:
            await realtime.join(self.channel_layer, group, self.channel_name)
        await self.accept()
        await self._heartbeat()

    async def disconnect(self, code):
        for group in getattr(self, "groups_joined", []):
            await realtime.leave(self.channel_layer, group, self.channel_name)
        if getattr(self, "watching", None):
            await realtime.leave(self.channel_layer, realtime.conversation_group(self.watching), self.channel_name)

    async def receive(self, text_data=None, bytes_data=None):
        try:
            data = json.loads(text_data or "{}")
        except ValueError:
            return
        action = data.get("action")
        if action == "heartbeat":
            await self._heartbeat()
        elif action == "watch":
            await self._watch(data.get("display_id"))

    async def _heartbeat(self):
        au = self.account_user
        await cache.aset(presence_key(au.account_id, au.user_id), 1, timeout=settings.PRESENCE_SECONDS)

    async def _watch(self, display_id):
        """Follow one conversation's messages and typing, if the agent may see it."""
        from conversations.queries import access_conversation

        if self.watching:
            await realtime.leave(self.channel_layer, realtime.conversation_group(self.watching), self.channel_name)
            self.watching = None
        if display_id in (None, ""):
            return
        try:
            conversation = await database_sync_to_async(access_conversation)(self.account_user, int(display_id))
        except (Http404, ValueError, TypeError):
            await self.send(text_data=json.dumps({"type": "watch.denied", "display_id": display_id}))
            return
        self.watching = conversation.pk
        await realtime.join(self.channel_layer, realtime.conversation_group(conversation.pk), self.channel_name)
        await self.send(text_data=json.dumps({"type": "watch.ok", "display_id": conversation.display_id}))

    # --- events from autonomia.realtime -------------------------------------------------

    async def conversation_changed(self, event):
        if event["account_id"] == self.account_user.account_id:
            await self.send(text_data=json.dumps({k: event[k] for k in ("type", "kind", "conversation_id",
                                                                          "display_id")}))

    async def message_created(self, event):
        await self._send_message(event)

    async def message_updated(self, event):
        await self._send_message(event)

    async def conversation_typing(self, event):
        if event["user_id"] != self.account_user.user_id:
            await self.send(text_data=json.dumps(event))

    async def notification_created(self, event):
        if event["account_id"] != self.account_user.account_id:
            return
        payload = await database_sync_to_async(self._render_notification)(event["notification_id"])
        if payload:
            await self.send(text_data=json.dumps(payload))

    async def presence_changed(self, event):
        await self.send(text_data=json.dumps(event))

    async def access_changed(self, event):
        """Membership changed: reload the agent's session state (the client re-GETs everything)."""
        if event["account_id"] != self.account_user.account_id:
            return
        try:
            self.account_user = await database_sync_to_async(access_account_user)(
                self.account_user.user, self.account_user.account_id)
        except Http404:
            await self.close(code=CLOSE_FORBIDDEN)
            return
        if self.watching:
            await self._watch(await database_sync_to_async(self._watching_display_id)())
        await self.send(text_data=json.dumps({"type": "access.changed"}))

    async def whatsapp_connection_changed(self, event):
        """An Evolution inbox's pairing state or QR changed: the settings page re-GETs its panel (admins only)."""
        if event["account_id"] == self.account_user.account_id and self.account_user.is_administrator:
            await self.send(text_data=json.dumps({k: event[k] for k in ("type", "inbox_id")}))

    async def session_ended(self, event):
        await self.close(code=CLOSE_UNAUTHENTICATED)

    # --- rendering (sync, in a thread) --------------------------------------------------

    def _watching_display_id(self):
        from conversations.models import Conversation

        return Conversation.objects.filter(pk=self.watching).values_list("display_id", flat=True).first()

    async def _send_message(self, event):
        if event["conversation_id"] != self.watching:
            return
        payload = await database_sync_to_async(self._render_message)(event)
        if payload:
            await self.send(text_data=json.dumps(payload))

    def _render_message(self, event):
        from conversations.models import Conversation
        from conversations.queries import access_message, can_see_conversation

        conversation = Conversation.objects.select_related("inbox", "contact").filter(pk=event["conversation_id"]).first()
        if conversation is None or not can_see_conversation(self.account_user, conversation):
            return None
        message = access_message(self.account_user, conversation, event["message_id"])
        with self._viewer_locale():
            html = render_to_string("conversations/conversation.html#message", {
                "message": message, "conversation": conversation, "account_user": self.account_user})
        return {"type": event["type"], "conversation_id": conversation.pk, "display_id": conversation.display_id,
                "message_id": message.pk, "html": html}

    def _render_notification(self, notification_id):
        from conversations.models import Notification

        notification = (Notification.objects.select_related("conversation", "conversation__contact")
                        .filter(pk=notification_id, user_id=self.account_user.user_id).first())
        if notification is None:
            return None
        with self._viewer_locale():
            return {"type": "notification.created", "notification_id": notification.pk,
                    "title": str(notification.get_notification_type_display()),
                    "body": notification.conversation.contact.display_name,
                    "display_id": notification.conversation.display_id}

    def _viewer_locale(self):
        user = self.account_user.user
        if user.timezone:
            import zoneinfo

            timezone.activate(zoneinfo.ZoneInfo(user.timezone))
        return translation.override(user.locale or self.account_user.account.locale or settings.LANGUAGE_CODE)
