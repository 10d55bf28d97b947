"""B3, live-update latency: message committed → websocket frame at the agent watching the conversation.

    .venv/bin/python -m bench.seed                    # once
    .venv/bin/python -m bench.live_latency            # 200 messages at 20/s, no idle sockets
    .venv/bin/python -m bench.live_latency --idle 500 # the same with 500 more (idle) agent sockets open

One uvicorn process serves autonomia.asgi on the bench database with the Redis channel layer. A websocket
client in this process logs in as the seeded agent (a session cookie, as a browser has) and watches one of
its open conversations. This process then stores incoming messages through the real action
(conversations.actions.receive_message, in a worker thread as a request or task would) and times each
one from just after its COMMIT (the first on-commit hook, before the action's broadcasts) to the receipt of
its `message.created` frame, which the consumer renders with the message partial after re-checking access
in the database. The `conversation.changed` frame (the list-row refresh) is timed too.
The messages, notifications and conversation fields the run changes are put back afterwards.
"""

import argparse
import asyncio
import json
import os
import socket
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor

from bench import common

TARGET_P50_MS = 100
TARGET_P99_MS = 500


def configure() -> dict:
    """Environment shared by this process and the ASGI server: bench database, Redis layer, no TLS."""
    os.environ.setdefault("REDIS_URL", os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/0"))
    os.environ["CHANNEL_LAYER_PREFIX"] = f"bench-{os.getpid()}"  # private groups on a shared Redis
    os.environ.setdefault("ALLOWED_HOSTS", "127.0.0.1,localhost")
    os.environ.setdefault("RATELIMIT_ENABLE", "0")
    common.configure_env()
    return dict(os.environ)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(env: dict) -> tuple[subprocess.Popen, int]:
    import requests

    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "autonomia.asgi:application", "--host", "127.0.0.1", "--port", str(port),
         "--ws-per-message-deflate", "false", "--log-level", "warning", "--lifespan", "off"],
        cwd=common.ROOT, env=env)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if requests.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return process, port
        except requests.RequestException:
            time.sleep(0.2)
    process.kill()
    raise SystemExit("the ASGI server did not start")


def session_cookie(user) -> str:
    """A logged-in session for `user`, as the Cookie header value a browser would send."""
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore

    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.save()
    return f"{settings.SESSION_COOKIE_NAME}={session.session_key}"


def pick_conversation(account, agent_au):
    """The agent's most recent open conversation assigned to them, in one of their inboxes."""
    from conversations.models import Conversation
    from conversations.queries import visible_conversations

    return (visible_conversations(agent_au).filter(status=Conversation.Status.OPEN, assignee_id=agent_au.user_id)
            .select_related("contact").order_by("-last_activity_at").first())


class Saved:
    """What a run changes, to put the dataset back as it was."""

    FIELDS = ["last_activity_at", "last_message_id", "waiting_since", "status", "updated_at"]

    def __init__(self, conversation):
        from conversations.models import Message, Notification

        self.conversation = conversation
        self.values = {f: getattr(conversation, f) for f in self.FIELDS}
        self.contact_activity = conversation.contact.last_activity_at
        self.max_message = Message.objects.order_by("-id").values_list("id", flat=True).first() or 0
        self.max_notification = Notification.objects.order_by("-id").values_list("id", flat=True).first() or 0

    def restore(self) -> None:
        from contacts.models import Contact
        from conversations.models import Conversation, Message, Notification

        Notification.objects.filter(id__gt=self.max_notification, conversation=self.conversation).delete()
        Message.objects.filter(id__gt=self.max_message, conversation=self.conversation).delete()
        Conversation.objects.filter(pk=self.conversation.pk).update(**self.values)
        Contact.objects.filter(pk=self.conversation.contact_id).update(last_activity_at=self.contact_activity)


def create_message(conversation, contact, i: int) -> tuple[int, float]:
    """Store one incoming message; returns its id and the time just after COMMIT."""
    from django.db import transaction

    from conversations import actions

    committed = []
    with transaction.atomic():
        # Registered before the action's own hooks, so it runs first: right after COMMIT, before any send.
        transaction.on_commit(lambda: committed.append(time.perf_counter()))
        message = actions.receive_message(conversation, sender=contact, content=f"Mensagem de bench nº {i}")
    return message.pk, committed[0]


async def run(args, port: int, conversation, contact, cookie: str, idle_cookies: list[str], account_id: int):
    import websockets

    url = f"ws://127.0.0.1:{port}/ws/accounts/{account_id}/"
    headers = {"Origin": f"http://127.0.0.1:{port}"}
    idle = []
    started = time.monotonic()
    for i in range(args.idle):
        ws = await websockets.connect(url, additional_headers={**headers, "Cookie": idle_cookies[i % len(idle_cookies)]},
                                      compression=None, max_queue=None)
        idle.append(ws)
    idle_connect_s = time.monotonic() - started

    frames: dict[tuple[str, int], float] = {}
    arrived: dict[tuple[str, int], asyncio.Event] = {}

    def waiter(key) -> asyncio.Event:
        return arrived.setdefault(key, asyncio.Event())

    async with websockets.connect(url, additional_headers={**headers, "Cookie": cookie}, compression=None) as ws:
        await ws.send(json.dumps({"action": "watch", "display_id": conversation.display_id}))

        async def receive():
            async for raw in ws:
                now = time.perf_counter()
                event = json.loads(raw)
                if event["type"] == "message.created":
                    key = ("message", event["message_id"])
                elif event["type"] == "conversation.changed" and event["conversation_id"] == conversation.pk:
                    key = ("changed", event.get("kind", "updated"))
                elif event["type"] == "watch.ok":
                    key = ("watch", 0)
                else:
                    continue
                frames.setdefault(key, now)
                waiter(key).set()

        receiver = asyncio.create_task(receive())
        await asyncio.wait_for(waiter(("watch", 0)).wait(), 10)
        executor = ThreadPoolExecutor(max_workers=1)  # one thread, one database connection, like a worker
        loop = asyncio.get_running_loop()
        message_ms, changed_ms, missing = [], [], 0
        interval = 1 / args.rate
        for i in range(args.warmup + args.n):
            tick = time.perf_counter()
            arrived.pop(("changed", "updated"), None)
            frames.pop(("changed", "updated"), None)
            message_id, committed = await loop.run_in_executor(executor, create_message, conversation, contact, i)
            try:
                await asyncio.wait_for(waiter(("message", message_id)).wait(), args.timeout)
                await asyncio.wait_for(waiter(("changed", "updated")).wait(), args.timeout)
            except TimeoutError:
                missing += i >= args.warmup
                continue
            if i >= args.warmup:
                message_ms.append((frames[("message", message_id)] - committed) * 1000)
                changed_ms.append((frames[("changed", "updated")] - committed) * 1000)
            await asyncio.sleep(max(0.0, interval - (time.perf_counter() - tick)))
        receiver.cancel()
        executor.shutdown()
    for other in idle:
        await other.close()
    return {"message_created_ms": common.summary(message_ms), "conversation_changed_ms": common.summary(changed_ms),
            "missing": missing, "idle_sockets": args.idle, "idle_connect_s": round(idle_connect_s, 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-n", type=int, default=200, help="timed messages")
    parser.add_argument("--warmup", type=int, default=20)
    parser.add_argument("--rate", type=float, default=20, help="messages per second (at most)")
    parser.add_argument("--idle", type=int, default=0, help="extra idle agent sockets kept open meanwhile")
    parser.add_argument("--timeout", type=float, default=5, help="seconds before a frame counts as missing")
    args = parser.parse_args()

    env = configure()
    common.setup_django()
    from autonomia.models import AccountUser
    from inboxes.models import InboxMember

    account, _admin, agent = common.personas()
    conversation = pick_conversation(account, agent)
    if conversation is None:
        raise SystemExit("no open conversation assigned to the bench agent: run bench.seed first")
    cookie = session_cookie(agent.user)
    # Idle sockets: other agents of the account who do not work this conversation's inbox (no events for them).
    outsiders = (AccountUser.objects.filter(account=account, role=AccountUser.Role.AGENT)
                 .exclude(user_id__in=InboxMember.objects.filter(inbox_id=conversation.inbox_id).values("user_id"))
                 .select_related("user")[:20])
    idle_cookies = [session_cookie(au.user) for au in outsiders] if args.idle else []
    saved = Saved(conversation)
    process, port = start_server(env)
    try:
        result = asyncio.run(run(args, port, conversation, conversation.contact, cookie, idle_cookies, account.pk))
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
        saved.restore()
    data = {"benchmark": "B3 live-update latency (commit → websocket frame)", "machine": common.machine(),
            "n": args.n, "warmup": args.warmup, "rate_per_s": args.rate, "conversation": conversation.display_id,
            "targets": {"p50_ms": TARGET_P50_MS, "p99_ms": TARGET_P99_MS}, **result}
    m, c = result["message_created_ms"], result["conversation_changed_ms"]
    print(f"idle sockets {args.idle} (connected in {result['idle_connect_s']} s), missing frames {result['missing']}")
    for name, s in (("message.created", m), ("conversation.changed", c)):
        print(f"{name:22} n={s['n']}  p50 {s['p50']:6.1f}  p95 {s['p95']:6.1f}  p99 {s['p99']:6.1f}  "
              f"max {s['max']:6.1f} ms")
    ok = m["p50"] <= TARGET_P50_MS and m["p99"] <= TARGET_P99_MS and not result["missing"]
    print(f"target p50 ≤ {TARGET_P50_MS} ms, p99 ≤ {TARGET_P99_MS} ms: {'met' if ok else 'MISSED'}")
    print(f"saved {common.save('live_latency', data)}")


if __name__ == "__main__":
    main()
