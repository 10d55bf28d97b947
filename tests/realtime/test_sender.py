"""autonomia.realtime's sender for sync code: events are handed over without waiting, and arrive in order."""

import asyncio
import time

import pytest
from channels.layers import get_channel_layer
from django.db import transaction

from autonomia import realtime


@pytest.mark.django_db(transaction=True)
def test_handed_over_events_reach_the_group_in_order_without_the_caller_waiting():
    layer = get_channel_layer()
    assert not isinstance(layer, realtime.InMemoryChannelLayer)  # the Redis path, as in production

    async def join() -> str:
        channel = await layer.new_channel()
        await realtime.join(layer, "conversation.987654", channel)
        return channel

    channel = asyncio.run(join())
    started = time.perf_counter()
    for i in range(50):
        with transaction.atomic():
            realtime.broadcast_on_commit(["conversation.987654"], {"type": "message.created", "n": i})
    handed_over = time.perf_counter() - started

    async def receive_all() -> list[int]:
        async with asyncio.timeout(10):
            return [(await layer.receive(channel))["n"] for _ in range(50)]

    assert asyncio.run(receive_all()) == list(range(50))
    assert handed_over < 1.0  # 50 commits did not each wait for Redis' answers
