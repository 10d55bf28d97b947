"""Webhook fan-out: 1,000 message events × 3 subscribed account webhooks, delivered by a real Celery worker.

    .venv/bin/python -m bench.seed                    # once
    .venv/bin/python -m bench.webhook_fanout          # 1,000 events, 3 receivers, the deployment's worker shape
    .venv/bin/python -m bench.webhook_fanout --events 200 --worker-args="--pool threads --concurrency 8"

Three local receivers (http.server, one thread per request) answer 200 and record each delivery's
X-Chatwoot-Delivery id and arrival time. Three account webhooks subscribed to `message_created` point at them
(WEBHOOK_ALLOW_PRIVATE_URLS=1, for loopback). A Celery worker subprocess (`celery -A autonomia worker -Q
webhooks --pool threads --concurrency 16`, the `webhooks` service of docker-compose.yml) runs on the bench database with a private
Redis database as broker. This process stores 1,000 incoming messages (conversations.actions.receive_message,
the same action every channel's ingestion calls) on open conversations of "Bench A5" (not the target account
the other benchmarks read), one after another; each commits one WebhookDelivery row per webhook and enqueues
its task.

Two modes. `backlog` (default, the fan-out itself): the events are stored first, then the worker is launched
and the clock runs from its launch (Django boot included) to the 3,000th delivery received. `live`: the
worker already runs while the events are stored one by one; the clock runs from the first event to the last
delivery, so the single producer's ingestion speed (about 40 ms of SQL per event plus realtime broadcasts and
commits) dominates. Target ≤ 30 s. Also: the production time, first → last arrival, each delivery's latency
(receive_message called → received; in backlog mode it includes the wait for the worker), duplicates, retries.
Afterwards the messages, webhooks and deliveries are deleted and the conversations' rows restored.
"""

import argparse
import os
import shlex
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from bench import common

TARGET_SECONDS = 30
ACCOUNT = "Bench A5"
REDIS_DB_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/13")


class Receiver:
    """One local endpoint; records (delivery id, arrival time) under a lock."""

    def __init__(self, name: str):
        self.name, self.lock, self.arrivals = name, threading.Lock(), []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            # Buffer the answer and send it in one write: unbuffered, the headers and the body left in two
            # small segments, and Nagle + delayed ACK stalled every response ~40 ms (no real receiver does that).
            wbufsize = 65536

            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                self.rfile.read(length)
                now = time.time()
                with receiver.lock:
                    receiver.arrivals.append((self.headers.get("X-Chatwoot-Delivery"), now))
                self.send_response(200)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook/{name}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def count(self) -> int:
        with self.lock:
            return len(self.arrivals)

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def start_worker(worker_args: str) -> subprocess.Popen:
    env = dict(os.environ)
    env.update({"DATABASE_URL": os.environ["DATABASE_URL"], "REDIS_URL": REDIS_DB_URL,
                "WEBHOOK_ALLOW_PRIVATE_URLS": "1", "DJANGO_SETTINGS_MODULE": "autonomia.settings",
                "CELERY_TASK_ALWAYS_EAGER": "0"})
    cmd = [sys.executable, "-m", "celery", "-A", "autonomia", "worker", "-l", "warning", "--without-gossip",
           "--without-mingle", "--without-heartbeat", *shlex.split(worker_args)]
    print("worker:", " ".join(cmd[2:]), flush=True)
    return subprocess.Popen(cmd, cwd=common.ROOT, env=env)


def wait_for_worker(process: subprocess.Popen, timeout: float = 60) -> None:
    from autonomia.celery import app

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit("the Celery worker exited")
        if app.control.ping(timeout=1.0):
            return
    raise SystemExit("the Celery worker did not answer a ping")


def stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()


def run(args) -> dict:
    from django.db import connection
    from django.db.models import Count

    from autonomia.models import Account, AccountUser
    from automations import webhooks
    from automations.models import Webhook, WebhookDelivery
    from conversations import actions
    from conversations.models import Conversation, Message

    account = Account.objects.get(name=ACCOUNT)
    admin = AccountUser.objects.filter(account=account, role=AccountUser.Role.ADMINISTRATOR).select_related(
        "user").first().user
    receivers = [Receiver(f"r{i}") for i in range(3)]
    hooks = [webhooks.create_webhook(account, actor=admin, url=r.url, name=f"bench-fanout-{r.name}",
                                     subscriptions=["message_created"]) for r in receivers]
    # Spread the events over open conversations (5 messages each), so they do not serialise on one row lock.
    per_conversation = 5
    conversations = list(Conversation.objects.filter(account=account, status=Conversation.Status.OPEN)
                         .select_related("contact").order_by("id")[:max(1, args.events // per_conversation)])
    fields = [f.attname for f in Conversation._meta.concrete_fields if not f.primary_key]
    snapshot = list(Conversation.objects.filter(pk__in=[c.pk for c in conversations]))
    expected = args.events * len(receivers)
    worker, message_ids, produced_at = None, [], {}
    try:
        if args.mode == "live":
            worker = start_worker(args.worker_args)
            wait_for_worker(worker)
        load_at_start = [round(x, 2) for x in os.getloadavg()]
        started = produce_started = time.time()
        for i in range(args.events):
            conversation = conversations[i % len(conversations)]
            # Clocked before the call: the action commits (and enqueues) before it returns, and in live mode
            # the worker may deliver before it has returned.
            called_at = time.time()
            message = actions.receive_message(conversation, sender=conversation.contact,
                                              content=f"bench fan-out event {i}")
            produced_at[message.pk] = called_at
            message_ids.append(message.pk)
        produced = time.time()
        print(f"  {args.events} events stored in {produced - started:.2f} s", flush=True)
        if args.mode == "backlog":
            # The 3,000 tasks wait in Redis; the clock starts when the worker process is launched (boot included).
            started = time.time()
            worker = start_worker(args.worker_args)
        deadline = started + args.timeout
        while sum(r.count() for r in receivers) < expected and time.time() < deadline:
            time.sleep(0.05)
        arrivals = [(r.name, delivery_id, at) for r in receivers for delivery_id, at in r.arrivals]
        finished = max((at for _, _, at in arrivals), default=time.time())
        received = len(arrivals)
        unique = len({delivery_id for _, delivery_id, _ in arrivals})
        time.sleep(1)  # let the worker record the last results
        rows = {row["delivery_id"].__str__(): row for row in WebhookDelivery.objects.filter(
            webhook__in=hooks).values("delivery_id", "message_id", "status", "attempts")}
        latencies = [(at - produced_at[rows[d]["message_id"]]) * 1000 for _, d, at in arrivals
                     if d in rows and rows[d]["message_id"] in produced_at]
        statuses = dict(WebhookDelivery.objects.filter(webhook__in=hooks).values_list("status").annotate(
            n=Count("id")).values_list("status", "n"))
        retried = WebhookDelivery.objects.filter(webhook__in=hooks, attempts__gt=1).count()
        total = finished - started
        result = {
            "events": args.events, "webhooks": len(receivers), "expected": expected, "received": received,
            "unique_deliveries": unique, "duplicates": received - unique, "missing": expected - unique,
            "rows_by_status": statuses, "retried_rows": retried,
            "mode": args.mode, "produce_seconds": round(produced - produce_started, 2),
            "total_seconds": round(total, 2), "drain_after_production_seconds": round(finished - produced, 2),
            "first_to_last_arrival_seconds": round(finished - min(at for _, _, at in arrivals), 2) if arrivals
            else None,
            "deliveries_per_second": round(received / total, 1) if total > 0 else None,
            "delivery_latency_ms": common.summary(latencies) if latencies else None,
            "per_receiver": {r.name: r.count() for r in receivers},
            "ok": unique == expected and total <= TARGET_SECONDS,
            "loadavg_at_start": load_at_start,
        }
    finally:
        if worker is not None:
            stop(worker)
        for r in receivers:
            r.close()
        # Leave the bench dataset as it was.
        WebhookDelivery.objects.filter(webhook__in=hooks).delete()
        WebhookDelivery.objects.filter(message_id__in=message_ids).delete()
        Message.objects.filter(pk__in=message_ids).delete()
        Conversation.objects.bulk_update(snapshot, fields, batch_size=500)
        Webhook.objects.filter(pk__in=[h.pk for h in hooks]).delete()
        connection.close()
    return {"benchmark": "webhook fan-out (1 producer, Celery worker on Redis)", "machine": common.machine(),
            "worker_args": args.worker_args, "target_seconds": TARGET_SECONDS, "result": result}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=1000)
    parser.add_argument("--mode", choices=["backlog", "live"], default="backlog",
                        help="backlog: store the events, then start the worker and time the drain; live: the "
                             "worker runs while the events are stored one by one (ingestion speed dominates)")
    parser.add_argument("--timeout", type=float, default=180, help="give up waiting after this many seconds")
    parser.add_argument("--worker-args", default="-Q webhooks --pool threads --concurrency 16",
                        help="extra arguments of `celery worker` (default: docker-compose.yml's)")
    args = parser.parse_args()

    os.environ["REDIS_URL"] = REDIS_DB_URL  # this process enqueues on the same private broker database
    os.environ["WEBHOOK_ALLOW_PRIVATE_URLS"] = "1"
    os.environ["CELERY_TASK_ALWAYS_EAGER"] = "0"
    common.setup_django()
    import redis

    redis.Redis.from_url(REDIS_DB_URL).flushdb()  # a private database: no stale tasks from an earlier run
    data = run(args)
    r = data["result"]
    lat = r["delivery_latency_ms"] or {}
    print(f"\n{r['received']}/{r['expected']} deliveries ({r['duplicates']} duplicates, {r['missing']} missing) in "
          f"{r['total_seconds']} s [{r['mode']}; first→last arrival {r['first_to_last_arrival_seconds']} s] "
          f"(events stored in {r['produce_seconds']} s, drained "
          f"{r['drain_after_production_seconds']} s later); {r['deliveries_per_second']} deliveries/s; latency "
          f"p50 {lat.get('p50')} p95 {lat.get('p95')} p99 {lat.get('p99')} max {lat.get('max')} ms; "
          f"rows {r['rows_by_status']}, retried {r['retried_rows']}  "
          f"{'ok' if r['ok'] else 'MISS'} (target ≤ {TARGET_SECONDS} s)")
    print(f"saved {common.save('webhook_fanout', data)}")


if __name__ == "__main__":
    main()
