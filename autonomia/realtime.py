"""The only module that talks to the channel layer.

Events carry ids, never HTML; they are sent after the transaction commits, to groups named
`user.<id>`, `conversation.<id>` or `account.<id>`, whose recipients were computed by the caller
from the database at send time.
"""

import asyncio
import json
import logging
import threading
from collections.abc import Iterable

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

log = logging.getLogger(__name__)


def user_group(user_id: int) -> str:
    return f"user.{user_id}"


def conversation_group(conversation_id: int) -> str:
    return f"conversation.{conversation_id}"


def account_group(account_id: int) -> str:
    return f"account.{account_id}"


def broadcast_on_commit(groups: Iterable[str], event: dict) -> None:
    """Deliver `event` to `groups` once the current transaction commits."""
    groups = sorted(set(groups))
    payload = json.loads(json.dumps(event))  # fail here, in the action, not in a consumer

    def deliver() -> None:
        layer = get_channel_layer()
        if layer is None:
            return
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            async_to_sync(_send_all)(layer, groups, payload)
        else:  # this thread runs an event loop (async_to_sync would refuse): send from a helper thread
            threading.Thread(target=async_to_sync(_send_all), args=(layer, groups, payload), daemon=True).start()

    transaction.on_commit(deliver, robust=True)


async def _send_all(layer, groups: list[str], payload: dict) -> None:
    for group in groups:
        try:
            await layer.group_send(group, payload)
        except Exception:  # a realtime outage must not undo or fail the write; clients resync
            log.exception("realtime delivery to %s failed", group)


async def join(channel_layer, group: str, channel_name: str) -> None:
    """Add a consumer's channel to a group (consumers call this instead of the layer)."""
    await channel_layer.group_add(group, channel_name)


async def leave(channel_layer, group: str, channel_name: str) -> None:
    await channel_layer.group_discard(group, channel_name)
