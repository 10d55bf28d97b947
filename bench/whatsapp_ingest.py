"""WhatsApp ingest: signed Cloud API webhook POST → stored → websocket frame at the agent's browser.

    .venv/bin/python -m bench.whatsapp_ingest                      # 20/s for 300 s, then a 100/s burst for 10 s
    .venv/bin/python -m bench.whatsapp_ingest --duration 60        # a shorter sustained phase

Its own database, `autonomia_wa_bench` (created and migrated on first use; BENCH_PG for the server), with one
account, an agent, a WhatsApp Cloud inbox and `--phones` customers. Production topology on one box: uvicorn
(HTTP + websockets, `--web-workers` processes) and a Celery worker (`-Q ingest,default`, a pool of `--concurrency`
threads under `nice`, as docs/whatsapp.md recommends) sharing Redis.
This process posts signed webhooks from a thread pool at a fixed rate, each a text message with a unique wamid
from one of the customers, and times:
- ack: the POST's round trip (the webhook verifies, stores the raw event and queues it);
- to the agent: POST sent → the `message.created` frame (rendered message HTML) on the agent's websocket, for
  the messages of the customer whose conversation the agent has open (one in `--phones`);
- the burst: how long until every message is stored, and that each wamid is stored exactly once.
"""

import argparse
import asyncio
import hashlib
import hmac
import json
import os
import re
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor

from bench import common

DB = "autonomia_wa_bench"
APP_SECRET = "bench-app-secret"
PHONE = "+15550009999"
PNID = "bench-pnid"
TARGET_ACK_P99_MS = 150
TARGET_AGENT_P95_MS = 1000
TARGET_DRAIN_S = 60


def configure() -> dict:
    os.environ["DATABASE_URL"] = f"{common.PG}/{DB}"
    os.environ.setdefault("REDIS_URL", os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/0"))
    os.environ["CHANNEL_LAYER_PREFIX"] = f"wabench-{os.getpid()}"
    os.environ["CELERY_TASK_ALWAYS_EAGER"] = "0"
    os.environ.setdefault("ALLOWED_HOSTS", "127.0.0.1,localhost")
    os.environ.setdefault("RATELIMIT_ENABLE", "0")
    os.environ.setdefault("DB_POOL_MAX", "10")
    common.configure_env()
    return dict(os.environ)


def ensure_database() -> None:
    exists = subprocess.run(["psql", f"{common.PG}/postgres", "-Atc",
                             f"SELECT 1 FROM pg_database WHERE datname = '{DB}'"], capture_output=True, text=True)
    if exists.stdout.strip() != "1":
        subprocess.run(["psql", f"{common.PG}/postgres", "-c", f"CREATE DATABASE {DB}"], check=True)
    subprocess.run([sys.executable, "manage.py", "migrate", "-v", "0"], cwd=common.ROOT, check=True)


def prepare(phones: int):
    """The account, agent, inbox and the customers' conversations (the first message of each)."""
    from autonomia.models import Account, AccountUser, User
    from conversations.models import Conversation
    from inboxes.providers.whatsapp import actions
    from inboxes.providers.whatsapp.models import WhatsappChannel

    account, _ = Account.objects.get_or_create(name="WhatsApp bench")
    user = User.objects.filter(email="agent@wa.bench.test").first() or User.objects.create_user(
        "agent@wa.bench.test", common.PASSWORD, name="Agente Bench")
    AccountUser.objects.get_or_create(account=account, user=user,
                                      defaults={"role": AccountUser.Role.ADMINISTRATOR})
    channel = WhatsappChannel.objects.filter(phone_number_id=PNID).first()
    if channel is None:
        inbox = actions.create_whatsapp_inbox(account, actor=None, name="WhatsApp bench", provider="whatsapp_cloud",
                                              phone_number=PHONE, member_ids=[user.pk], config={
                                                  "phone_number_id": PNID, "business_account_id": "waba",
                                                  "api_key": "token", "app_secret": APP_SECRET})
        channel = inbox.whatsapp_channel
    numbers = [f"55119{70000000 + i:08d}" for i in range(phones)]
    for number in numbers:
        contact_inbox = actions.contact_inbox_for_phone(channel, "+" + number, name=f"Cliente {number[-4:]}")
        actions.conversation_for(contact_inbox)
    watched = Conversation.objects.filter(inbox=channel.inbox, contact_inbox__source_id=numbers[0]).first()
    membership = AccountUser.objects.get(account=account, user=user)
    return account, membership, watched, numbers


def body(wamid: str, number: str, text: str) -> bytes:
    payload = {"object": "whatsapp_business_account", "entry": [{"id": "waba", "changes": [{"field": "messages",
               "value": {"messaging_product": "whatsapp",
                         "metadata": {"display_phone_number": PHONE[1:], "phone_number_id": PNID},
                         "contacts": [{"profile": {"name": "Cliente"}, "wa_id": number}],
                         "messages": [{"from": number, "id": wamid, "timestamp": str(int(time.time())),
                                       "type": "text", "text": {"body": text}}]}}]}]}
    return json.dumps(payload).encode()


class Poster:
    """Posts signed webhooks from a thread pool at a fixed rate and records each ack and send time."""

    def __init__(self, url: str, threads: int):
        import requests

        self.url, self.local = url, threading.local()
        self.pool = ThreadPoolExecutor(max_workers=threads)
        self.sent: dict[str, float] = {}
        self.acks: list[float] = []
        self.errors: list[str] = []
        self.lock = threading.Lock()
        self.requests = requests

    def _session(self):
        if not hasattr(self.local, "session"):
            self.local.session = self.requests.Session()
        return self.local.session

    def _post(self, wamid: str, data: bytes) -> None:
        signature = "sha256=" + hmac.new(APP_SECRET.encode(), data, hashlib.sha256).hexdigest()
        started = time.perf_counter()
        with self.lock:
            self.sent[wamid] = started
        try:
            response = self._session().post(self.url, data=data, timeout=10, headers={
                "Content-Type": "application/json", "X-Hub-Signature-256": signature})
            ok = response.status_code == 200
        except self.requests.RequestException as error:
            ok, response = False, error
        elapsed = (time.perf_counter() - started) * 1000
        with self.lock:
            self.acks.append(elapsed)
            if not ok:
                self.errors.append(str(getattr(response, "status_code", response)))

    def run(self, prefix: str, numbers: list[str], rate: float, seconds: float) -> list[str]:
        """Post rate × seconds messages, evenly spaced; returns their wamids."""
        wamids, start = [], time.perf_counter()
        for i in range(int(rate * seconds)):
            due = start + i / rate
            time.sleep(max(0.0, due - time.perf_counter()))
            wamid = f"wamid.{prefix}.{i}"
            number = numbers[i % len(numbers)]
            self.pool.submit(self._post, wamid, body(wamid, number, f"{prefix}-{i} olá"))
            wamids.append(wamid)
        return wamids


async def watch(port: int, account_id: int, cookie: str, display_id: int, frames: dict, ready: threading.Event,
                stop: threading.Event) -> None:
    import websockets

    url = f"ws://127.0.0.1:{port}/ws/accounts/{account_id}/"
    async with websockets.connect(url, additional_headers={"Origin": f"http://127.0.0.1:{port}", "Cookie": cookie},
                                  compression=None, max_queue=None) as ws:
        await ws.send(json.dumps({"action": "watch", "display_id": display_id}))
        while not stop.is_set():
            try:
                raw = await asyncio.wait_for(ws.recv(), 0.5)
            except TimeoutError:
                continue
            except websockets.ConnectionClosed:  # the server stops at the end of the run
                return
            now = time.perf_counter()
            event = json.loads(raw)
            if event.get("type") == "watch.ok":
                ready.set()
            elif event.get("type") == "message.created":
                found = re.search(r"(\w+-\d+) olá", event.get("html", ""))
                if found:
                    frames.setdefault(found.group(1), now)


class CpuMeter:
    """CPU seconds used by each part of the stack (from /proc, sampled every second so processes that exit,
    such as PostgreSQL backends, still count): web (uvicorn), worker (Celery), postgres (backends of the bench
    database), redis (the whole server: other users of the box count too), bench (this process)."""

    def __init__(self, roots: dict[str, int]):
        self.roots, self.seen, self.lock = roots, {}, threading.Lock()
        self.tick = os.sysconf("SC_CLK_TCK")
        self.stop = threading.Event()
        threading.Thread(target=self._loop, daemon=True).start()

    @staticmethod
    def _stat(pid: int) -> tuple[int, float] | None:
        try:
            with open(f"/proc/{pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            return None
        return int(fields[1]), int(fields[11]) + int(fields[12])  # ppid, utime + stime

    def _components(self) -> dict[int, str]:
        stats, parts = {}, {}
        for entry in os.listdir("/proc"):
            if entry.isdigit():
                stat = self._stat(int(entry))
                if stat:
                    stats[int(entry)] = stat
        for pid in stats:
            cmd = ""
            try:
                with open(f"/proc/{pid}/cmdline", "rb") as f:
                    cmd = f.read().replace(b"\0", b" ").decode(errors="replace")
            except OSError:
                pass
            if f" {DB} " in cmd and cmd.startswith("postgres"):
                parts[pid] = "postgres"
            elif cmd.startswith("redis-server"):
                parts[pid] = "redis"
            else:
                ancestor, hops = pid, 0
                while ancestor in stats and hops < 6:
                    for name, root in self.roots.items():
                        if ancestor == root:
                            parts[pid] = name
                    if pid in parts:
                        break
                    ancestor, hops = stats[ancestor][0], hops + 1
        return {pid: (parts[pid], stats[pid][1]) for pid in parts}

    def sample(self) -> None:
        current = self._components()
        with self.lock:
            for pid, (name, ticks) in current.items():
                self.seen[pid] = (name, ticks)

    def _loop(self) -> None:
        while not self.stop.wait(1.0):
            self.sample()

    def totals(self) -> dict[str, float]:
        self.sample()
        out: dict[str, float] = {}
        with self.lock:
            for name, ticks in self.seen.values():
                out[name] = out.get(name, 0.0) + ticks / self.tick
        return out

    @staticmethod
    def per_message(before: dict, after: dict, messages: int) -> dict[str, float]:
        """CPU milliseconds per message of each part between two totals()."""
        return {name: round((after.get(name, 0) - before.get(name, 0)) * 1000 / max(messages, 1), 1)
                for name in sorted(after)}


def stored(wamids: list[str]) -> tuple[int, int]:
    """(distinct wamids stored, rows stored) among `wamids`."""
    from django.db.models import Count

    from conversations.models import Message

    rows = Message.objects.filter(source_id__in=wamids).values("source_id").annotate(n=Count("id"))
    return len(rows), sum(r["n"] for r in rows)


def start(env: dict, concurrency: int, web_workers: int, pool: str = "threads", nice: int = 10):
    """uvicorn (`web_workers` processes, as docker-compose runs several) and a Celery ingest worker (the
    recommended topology, docs/whatsapp.md: a thread pool, under `nice` so webhook acks get the CPU first)."""
    import requests

    from bench.live_latency import free_port

    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "autonomia.asgi:application", "--host", "127.0.0.1", "--port", str(port),
         "--workers", str(web_workers), "--ws-per-message-deflate", "false", "--log-level", "warning",
         "--lifespan", "off"], cwd=common.ROOT, env=env)
    worker = subprocess.Popen([*(["nice", "-n", str(nice)] if nice else []), sys.executable, "-m", "celery",
                               "-A", "autonomia", "worker", "-Q", "ingest,default", "--pool", pool,
                               "--concurrency", str(concurrency), "--loglevel", "WARNING",
                               "-n", f"wabench{os.getpid()}@%h"], cwd=common.ROOT, env=env)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if requests.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                break
        except requests.RequestException:
            time.sleep(0.3)
    time.sleep(6)  # the worker connects and starts its processes
    return server, port, worker


def stop(*processes) -> None:
    for process in processes:
        process.terminate()
    for process in processes:
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()


def agent_latencies(poster: Poster, frames: dict, prefix: str, wamids: list[str], numbers: list[str]) -> tuple:
    watched = [w for i, w in enumerate(wamids) if i % len(numbers) == 0]
    values, missing = [], 0
    for wamid in watched:
        key = f"{prefix}-{wamid.rsplit('.', 1)[-1]}"
        if key in frames:
            values.append((frames[key] - poster.sent[wamid]) * 1000)
        else:
            missing += 1
    return values, missing


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--duration", type=float, default=300, help="seconds of the sustained phase")
    parser.add_argument("--rate", type=float, default=20)
    parser.add_argument("--burst-rate", type=float, default=100)
    parser.add_argument("--burst-seconds", type=float, default=10)
    parser.add_argument("--phones", type=int, default=10, help="customers writing (the agent watches one)")
    parser.add_argument("--concurrency", type=int, default=8, help="Celery worker threads (or processes)")
    parser.add_argument("--pool", default="threads", help="Celery worker pool: threads (recommended) or prefork")
    parser.add_argument("--nice", type=int, default=10, help="run the worker under nice -n N (0: not)")
    parser.add_argument("--web-workers", type=int, default=2, help="uvicorn processes")
    parser.add_argument("--threads", type=int, default=32, help="posting threads")
    parser.add_argument("--no-watch", dest="watch", action="store_false",
                        help="no agent websocket (to see what the socket costs the web processes)")
    args = parser.parse_args()

    env = configure()
    ensure_database()
    common.setup_django()
    from bench.live_latency import session_cookie

    account, membership, watched, numbers = prepare(args.phones)
    cookie = session_cookie(membership.user)
    server, port, worker = start(env, args.concurrency, args.web_workers, args.pool, args.nice)
    frames, ready, stop_flag = {}, threading.Event(), threading.Event()
    socket_thread = threading.Thread(target=lambda: asyncio.run(watch(port, account.pk, cookie, watched.display_id,
                                                                      frames, ready, stop_flag)), daemon=True)
    if args.watch:
        socket_thread.start()
    else:
        ready.set()
    run_id = f"r{int(time.time())}"
    meter = CpuMeter({"web": server.pid, "worker": worker.pid, "bench": os.getpid()})
    cpu = {}
    try:
        if not ready.wait(30):
            raise SystemExit("the agent's websocket did not start watching")
        poster = Poster(f"http://127.0.0.1:{port}/webhooks/whatsapp/{PHONE[1:]}", args.threads)
        poster.run(f"{run_id}w", numbers, args.rate, 5)  # warm-up, not counted
        time.sleep(3)
        poster.acks.clear()
        cpu_start = meter.totals()
        sustained = poster.run(f"{run_id}s", numbers, args.rate, args.duration)
        time.sleep(5)
        sustained_acks = list(poster.acks)
        cpu_mid = meter.totals()
        sustained_agent, sustained_missing = agent_latencies(poster, frames, f"{run_id}s", sustained, numbers)
        poster.acks.clear()
        burst_started = time.perf_counter()
        burst = poster.run(f"{run_id}b", numbers, args.burst_rate, args.burst_seconds)
        drained_at = None
        while time.perf_counter() - burst_started < 180:
            distinct, _rows = stored(burst)
            if distinct == len(burst):
                drained_at = time.perf_counter() - burst_started
                break
            time.sleep(0.25)
        time.sleep(2)
        burst_acks = list(poster.acks)
        cpu = {"sustained": CpuMeter.per_message(cpu_start, cpu_mid, len(sustained)),
               "burst": CpuMeter.per_message(cpu_mid, meter.totals(), len(burst))}
        burst_agent, burst_missing = agent_latencies(poster, frames, f"{run_id}b", burst, numbers)
        s_distinct, s_rows = stored(sustained)
        b_distinct, b_rows = stored(burst)
    finally:
        meter.stop.set()
        stop_flag.set()
        stop(server, worker)
    result = {
        "benchmark": "WhatsApp ingest (signed webhook → stored → agent websocket)", "machine": common.machine(),
        "args": vars(args), "post_errors": poster.errors[:20], "post_error_count": len(poster.errors),
        "sustained": {"messages": len(sustained), "ack_ms": common.summary(sustained_acks),
                      "to_agent_ms": common.summary(sustained_agent) if sustained_agent else None,
                      "agent_frames_missing": sustained_missing, "stored_distinct": s_distinct, "stored_rows": s_rows},
        "burst": {"messages": len(burst), "ack_ms": common.summary(burst_acks), "drain_s": drained_at,
                  "to_agent_ms": common.summary(burst_agent) if burst_agent else None,
                  "agent_frames_missing": burst_missing, "stored_distinct": b_distinct, "stored_rows": b_rows},
        "cpu_ms_per_message": cpu,
        "targets": {"ack_p99_ms": TARGET_ACK_P99_MS, "agent_p95_ms": TARGET_AGENT_P95_MS, "drain_s": TARGET_DRAIN_S},
    }
    s, b = result["sustained"], result["burst"]
    print(f"sustained {args.rate}/s × {args.duration:.0f}s: ack {s['ack_ms']}")
    print(f"  to the agent ({len(sustained_agent)} watched): {s['to_agent_ms']}, missing {sustained_missing}")
    print(f"  stored {s_distinct}/{len(sustained)} distinct, {s_rows} rows")
    print(f"burst {args.burst_rate}/s × {args.burst_seconds:.0f}s: ack {b['ack_ms']}")
    print(f"  drained in {drained_at if drained_at is None else round(drained_at, 1)} s; stored {b_distinct}/"
          f"{len(burst)} distinct, {b_rows} rows; to the agent {b['to_agent_ms']}")
    print(f"CPU ms per message (sustained / burst): {cpu.get('sustained')} / {cpu.get('burst')}")
    print(f"load average at the end {os.getloadavg()}")
    print(f"post errors: {len(poster.errors)}")
    print(f"saved {common.save('whatsapp_ingest', result)}")


if __name__ == "__main__":
    main()
