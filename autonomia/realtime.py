"""The only module that talks to the channel layer.

Events carry ids, never HTML; they are sent after the transaction commits, to groups named
`user.<id>`, `conversation.<id>` or `account.<id>`, whose recipients were computed by the caller
from the database at send time.
"""

import asyncio
import json
import logging
import os
import threading
from collections.abc import Iterable

from asgiref.sync import async_to_sync
from channels.layers import InMemoryChannelLayer, get_channel_layer
from django.db import transaction

log = logging.getLogger(__name__)
SEND_TIMEOUT_SECONDS = 5


def user_group(user_id: int) -> str:
    return f"user.{user_id}"


def conversation_group(conversation_id: int) -> str:
    return f"conversation.{conversation_id}"


def account_group(account_id: int) -> str:
    return f"account.{account_id}"


def contact_inbox_group(contact_inbox_id: int) -> str:
    """A customer's own sockets (the website widget of that contact inbox)."""
    return f"contact_inbox.{contact_inbox_id}"


def broadcast_on_commit(groups: Iterable[str], event: dict) -> None:
    """Deliver `event` to `groups` once the current transaction commits."""
    groups = sorted(set(groups))
    payload = json.loads(json.dumps(event))  # fail here, in the action, not in a consumer

    def deliver() -> None:
        layer = get_channel_layer()
        if layer is None:
            return
        if not isinstance(layer, InMemoryChannelLayer):
            _send_from_process_loop(layer, groups, payload)
            return
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            async_to_sync(_send_all)(layer, groups, payload)
        else:  # this thread runs an event loop (async_to_sync would refuse): send from a helper thread
            threading.Thread(target=async_to_sync(_send_all), args=(layer, groups, payload), daemon=True).start()

    transaction.on_commit(deliver, robust=True)


_process_loop: tuple[int, asyncio.AbstractEventLoop] | None = None
_process_loop_lock = threading.Lock()


def _loop_for_this_process() -> asyncio.AbstractEventLoop:
    """One event loop per process, run by a daemon thread, for sends from sync code (workers, views).

    async_to_sync in a thread without a loop makes a new loop per call, and channels_redis keeps its
    connection pools per loop: every broadcast opened new Redis connections (about 10 ms each). The pid check
    makes a forked Celery child start its own loop instead of waiting on the parent's, which did not fork.
    """
    global _process_loop
    with _process_loop_lock:
        if _process_loop is None or _process_loop[0] != os.getpid() or _process_loop[1].is_closed():
            loop = asyncio.new_event_loop()
            threading.Thread(target=loop.run_forever, name="realtime-sender", daemon=True).start()
            _process_loop = (os.getpid(), loop)
        return _process_loop[1]


def _send_from_process_loop(layer, groups: list[str], payload: dict) -> None:
    future = asyncio.run_coroutine_threadsafe(_send_all(layer, groups, payload), _loop_for_this_process())
    try:
        future.result(timeout=SEND_TIMEOUT_SECONDS)  # keeps the order of one thread's events
    except Exception:  # a realtime outage must not fail the write; clients resync on reconnect
        log.exception("realtime delivery to %s timed out or failed", groups)


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
