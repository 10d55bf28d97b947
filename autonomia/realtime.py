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


class _Sender:
    """One event loop per process, run by a daemon thread, that sends the events of sync code (workers, views)
    in the order they were handed over, without making the caller wait.

    async_to_sync in a thread without a loop makes a new loop per call, and channels_redis keeps its
    connection pools per loop: every broadcast opened new Redis connections (about 10 ms each). Handing the
    event over, instead of waiting for Redis to answer each group_send, keeps a worker from pausing on every
    broadcast after each commit; one queue drained by one task keeps one process's events in order.
    The pid check makes a forked Celery child start its own loop instead of waiting on the parent's.
    """

    MAX_PENDING = 10_000  # events; beyond this Redis is not keeping up and events are dropped (clients resync)

    def __init__(self):
        self.lock = threading.Lock()
        self.pid: int | None = None
        self.loop: asyncio.AbstractEventLoop | None = None
        self.queue: asyncio.Queue | None = None

    def submit(self, layer, groups: list[str], payload: dict) -> None:
        loop, queue = self._started()
        loop.call_soon_threadsafe(self._put, queue, (layer, groups, payload))

    @staticmethod
    def _put(queue: asyncio.Queue, item) -> None:
        try:
            queue.put_nowait(item)
        except asyncio.QueueFull:
            log.warning("realtime delivery to %s dropped: %s events waiting", item[1], queue.qsize())

    def _started(self) -> tuple[asyncio.AbstractEventLoop, asyncio.Queue]:
        with self.lock:
            if self.pid != os.getpid() or self.loop is None or self.loop.is_closed():
                loop = asyncio.new_event_loop()
                queue = asyncio.Queue(self.MAX_PENDING)
                threading.Thread(target=self._run, args=(loop, queue), name="realtime-sender", daemon=True).start()
                self.pid, self.loop, self.queue = os.getpid(), loop, queue
            return self.loop, self.queue

    @staticmethod
    def _run(loop: asyncio.AbstractEventLoop, queue: asyncio.Queue) -> None:
        async def drain() -> None:
            while True:
                layer, groups, payload = await queue.get()
                try:
                    await asyncio.wait_for(_send_all(layer, groups, payload), SEND_TIMEOUT_SECONDS)
                except Exception:  # a realtime outage must not stop later events; clients resync on reconnect
                    log.exception("realtime delivery to %s timed out or failed", groups)

        asyncio.set_event_loop(loop)
        loop.run_until_complete(drain())


_sender = _Sender()


def _send_from_process_loop(layer, groups: list[str], payload: dict) -> None:
    _sender.submit(layer, groups, payload)


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
