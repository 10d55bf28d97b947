"""The embedded scheduler: runs Celery beat's schedule inside the web process when there is no Redis.

Jobs run through `sync_to_async` on the server's own event loop, so their realtime events reach
the in-memory channel layer of this same process.
"""

import asyncio
import logging

from asgiref.sync import sync_to_async
from django.conf import settings

log = logging.getLogger(__name__)


async def run_schedule(stop: asyncio.Event) -> None:
    """Call every beat entry at its interval until `stop` is set."""
    from django.utils.module_loading import import_string

    from autonomia.celery import BEAT_SCHEDULE

    loop = asyncio.get_running_loop()
    next_run = {name: loop.time() + 5 for name in BEAT_SCHEDULE}
    while not stop.is_set():
        now = loop.time()
        for name, entry in BEAT_SCHEDULE.items():
            if now >= next_run[name]:
                next_run[name] = now + float(entry["schedule"])
                try:
                    await sync_to_async(import_string(entry["task"]).apply, thread_sensitive=True)()
                except Exception:
                    log.exception("embedded job %s failed", name)
        try:
            await asyncio.wait_for(stop.wait(), timeout=1)
        except TimeoutError:
            pass


def with_embedded_scheduler(app):
    """Wrap the ASGI app so the lifespan startup starts the scheduler (only when EMBEDDED_SCHEDULER)."""
    if not settings.EMBEDDED_SCHEDULER:
        return app
    state = {}

    async def wrapper(scope, receive, send):
        if scope["type"] != "lifespan":
            return await app(scope, receive, send)
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                state["stop"] = asyncio.Event()
                state["task"] = asyncio.create_task(run_schedule(state["stop"]))
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                if "stop" in state:
                    state["stop"].set()
                    await state["task"]
                await send({"type": "lifespan.shutdown.complete"})
                return

    return wrapper
