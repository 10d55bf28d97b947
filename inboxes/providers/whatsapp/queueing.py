"""Hand stored webhook events to Celery without making the provider wait for Redis.

The webhook has already stored the raw event when this runs, so publishing is only a wake-up: it happens on a
background thread of the web process, and when the broker is down (a publish fails) wake-ups are skipped for a
few seconds; the beat sweeper processes whatever was not woken (tasks.sweep_whatsapp_events_task). With eager
Celery (tests, the embedded default) the task simply runs inline.

Events stored within BATCH_LINGER of each other go out as one task (at most BATCH_MAX events): a Celery task
costs the worker several milliseconds of CPU before it does anything, so under a burst the batch pays it once.
"""

import logging
import queue
import threading
import time

from django.conf import settings

log = logging.getLogger(__name__)
BROKER_DOWN_PAUSE = 10.0  # seconds without publish attempts after a failure
BATCH_LINGER = 0.1  # seconds to wait for more events after the first (a lone message waits this long)
BATCH_MAX = 10  # events per task: larger batches would leave other worker threads idle


class _Publisher:
    def __init__(self):
        self.pending: queue.SimpleQueue[int] = queue.SimpleQueue()
        self.lock = threading.Lock()
        self.thread: threading.Thread | None = None
        self.down_until = 0.0

    def submit(self, event_id: int) -> None:
        if time.monotonic() < self.down_until:
            return  # the broker is known to be down: the sweeper will process this event
        with self.lock:
            if self.thread is None or not self.thread.is_alive():  # started lazily, so after a fork too
                self.thread = threading.Thread(target=self._run, name="whatsapp-publisher", daemon=True)
                self.thread.start()
        self.pending.put(event_id)

    def _run(self) -> None:
        from inboxes.providers.whatsapp.tasks import process_events_task

        while True:
            ids = self._batch()
            if time.monotonic() < self.down_until:
                continue
            try:
                process_events_task.apply_async((ids,), retry=False)
            except Exception:  # noqa: BLE001
                self.down_until = time.monotonic() + BROKER_DOWN_PAUSE
                log.warning("WhatsApp events %s left for the sweeper: the task queue is unavailable", ids)

    def _batch(self) -> list[int]:
        """The next event id and those that follow it within BATCH_LINGER (up to BATCH_MAX)."""
        ids = [self.pending.get()]
        deadline = time.monotonic() + BATCH_LINGER
        while len(ids) < BATCH_MAX:
            try:
                ids.append(self.pending.get(timeout=max(0.0, deadline - time.monotonic())))
            except queue.Empty:
                break
        return ids


_publisher = _Publisher()


def wake_event_processing(event_id: int) -> None:
    """Queue the processing of a stored event (never raises, never waits for the broker)."""
    if settings.CELERY_TASK_ALWAYS_EAGER:
        from inboxes.providers.whatsapp.tasks import process_event_task

        try:
            process_event_task.apply_async((event_id,))
        except Exception:  # noqa: BLE001 (the row is kept; the sweeper retries it)
            log.exception("WhatsApp event %s failed inline", event_id)
        return
    _publisher.submit(event_id)
