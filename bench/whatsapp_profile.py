"""WhatsApp ingest, per event: CPU, wall and SQL of the webhook ack and of processing one stored event.

    .venv/bin/python -m bench.whatsapp_profile                 # 200 events, summary table
    .venv/bin/python -m bench.whatsapp_profile --cprofile 30   # plus the top functions of 30 events

Runs in this process against the WhatsApp bench database (`autonomia_wa_bench`, see bench/whatsapp_ingest.py)
with the real Redis channel layer, so it is much less sensitive to a busy machine than the end-to-end bench:
- ack: a signed POST through the whole Django stack (test client: middleware, view, one INSERT);
- ack (uvicorn): the server process's CPU per signed POST, sequential, through a real uvicorn (1 process);
- process: `tasks.process_event` of one stored text message (claim, contact, conversation, message,
  notifications, broadcasts), the work a Celery worker does per event.
"""

import argparse
import cProfile
import hashlib
import hmac
import io
import os
import pstats
import statistics
import time

from bench import common, whatsapp_ingest


def _measure(fn, n: int) -> dict:
    from django.db import connection

    timer = common.SqlTimer()
    wall, cpu, sql, queries = [], [], [], []
    pg_before = _postgres_cpu()
    with connection.execute_wrapper(timer):
        for i in range(n):
            from django.test.utils import CaptureQueriesContext

            timer.seconds = 0.0
            with CaptureQueriesContext(connection) as captured:
                c0, w0 = time.process_time(), time.perf_counter()
                fn(i)
                wall.append((time.perf_counter() - w0) * 1000)
                cpu.append((time.process_time() - c0) * 1000)
            sql.append(timer.seconds * 1000)
            queries.append(len(captured))
    pg = (_postgres_cpu() - pg_before) * 1000 / n
    return {"n": n, "wall_ms": round(statistics.median(wall), 2), "cpu_ms": round(statistics.median(cpu), 2),
            "pg_cpu_ms": round(pg, 2),
            "sql_ms": round(statistics.median(sql), 2), "queries": statistics.median(queries),
            "queries_max": max(queries)}


def _uvicorn_ack(numbers: list[str], posts: int, run: str) -> dict:
    """Server CPU per webhook POST through uvicorn (wake-ups really published; their events are marked done)."""
    import subprocess
    import sys

    import requests

    from bench.live_latency import free_port
    from inboxes.providers.whatsapp.models import ReceivedEvent

    env = dict(os.environ, CELERY_TASK_ALWAYS_EAGER="0")
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "autonomia.asgi:application", "--host", "127.0.0.1", "--port", str(port),
         "--log-level", "warning", "--lifespan", "off"], cwd=common.ROOT, env=env)
    session = requests.Session()
    try:
        for _ in range(100):
            try:
                session.get(f"http://127.0.0.1:{port}/healthz", timeout=1)
                break
            except requests.RequestException:
                time.sleep(0.2)
        url = f"http://127.0.0.1:{port}/webhooks/whatsapp/{whatsapp_ingest.PHONE[1:]}"
        times = []

        def post(i: int) -> None:
            data = whatsapp_ingest.body(f"wamid.{run}u.{i}", numbers[i % len(numbers)], f"{run}u-{i} olá")
            signature = "sha256=" + hmac.new(whatsapp_ingest.APP_SECRET.encode(), data, hashlib.sha256).hexdigest()
            started = time.perf_counter()
            response = session.post(url, data=data, headers={"Content-Type": "application/json",
                                                             "X-Hub-Signature-256": signature})
            times.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200, response.text

        for i in range(30):
            post(-1 - i)
        times.clear()
        before = _cpu_seconds(server.pid)
        for i in range(posts):
            post(i)
        cpu = _cpu_seconds(server.pid) - before
    finally:
        server.terminate()
        server.wait(15)
        ReceivedEvent.objects.filter(body__contains=f"{run}u-").update(status=ReceivedEvent.Status.PROCESSED)
    return {"cpu_ms": round(cpu * 1000 / posts, 2), "p50": round(statistics.median(times), 2)}


def _drain(channel, numbers: list[str], args, run: str) -> dict:
    """Processing throughput alone: N events stored at once, woken in batches, drained by a real worker."""
    import subprocess
    import sys

    from bench.whatsapp_ingest import CpuMeter
    from inboxes.providers.whatsapp.models import ReceivedEvent
    from inboxes.providers.whatsapp.tasks import process_events_task

    rows = [ReceivedEvent(channel=channel, provider=channel.provider, event="messages",
                          body=whatsapp_ingest.body(f"wamid.{run}d.{i}", numbers[i % len(numbers)],
                                                    f"{run}d-{i} olá").decode()) for i in range(args.drain)]
    ids = [row.pk for row in ReceivedEvent.objects.bulk_create(rows)]
    env = dict(os.environ, CELERY_TASK_ALWAYS_EAGER="0")
    worker = subprocess.Popen([sys.executable, "-m", "celery", "-A", "autonomia", "worker", "-Q", "ingest",
                               "--pool", args.pool, "--concurrency", str(args.concurrency),
                               "--loglevel", "WARNING", "-n", f"wadrain{os.getpid()}@%h"], cwd=common.ROOT, env=env)
    try:
        time.sleep(8)  # started and connected
        meter = CpuMeter({"worker": worker.pid})
        before, started = meter.totals(), time.perf_counter()
        from django.conf import settings

        settings.CELERY_TASK_ALWAYS_EAGER = False
        from autonomia.celery import app

        app.conf.task_always_eager = False
        for i in range(0, len(ids), args.batch):
            process_events_task.apply_async((ids[i:i + args.batch],))
        pending = ReceivedEvent.objects.filter(pk__in=ids, status=ReceivedEvent.Status.PENDING)
        while pending.exists():
            time.sleep(0.2)
        elapsed = time.perf_counter() - started
        cpu = CpuMeter.per_message(before, meter.totals(), len(ids))
        meter.stop.set()
    finally:
        worker.terminate()
        worker.wait(30)
    return {"rate": round(len(ids) / elapsed, 1), "cpu": cpu}


def _postgres_cpu() -> float:
    """CPU seconds of the PostgreSQL backends serving the bench database (mean per event: `pg cpu`)."""
    total = 0.0
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/cmdline", "rb") as f:
                    cmd = f.read().replace(b"\0", b" ").decode(errors="replace")
                if cmd.startswith("postgres") and f" {whatsapp_ingest.DB} " in cmd:
                    total += _cpu_seconds(int(entry))
            except OSError:
                continue
    return total


def _cpu_seconds(pid: int) -> float:
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=200)
    parser.add_argument("--phones", type=int, default=10)
    parser.add_argument("--server-posts", type=int, default=300, help="POSTs to the real uvicorn (0: skip)")
    parser.add_argument("--drain", type=int, default=0,
                        help="also store this many events at once and time a real Celery worker draining them")
    parser.add_argument("--pool", default="threads")
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--batch", type=int, default=10, help="events per task in the drain test")
    parser.add_argument("--cprofile", type=int, default=0, help="profile this many more events (process)")
    args = parser.parse_args()

    whatsapp_ingest.configure()
    os.environ["CELERY_TASK_ALWAYS_EAGER"] = "1"  # no worker here: a wake-up would run the task inline
    whatsapp_ingest.ensure_database()
    common.setup_django()
    from django.conf import settings
    from django.test import Client

    from inboxes.providers.whatsapp import tasks
    from inboxes.providers.whatsapp.models import ReceivedEvent, WhatsappChannel

    settings.ALLOWED_HOSTS = ["*"]
    _account, _membership, _watched, numbers = whatsapp_ingest.prepare(args.phones)
    channel = WhatsappChannel.objects.get(phone_number_id=whatsapp_ingest.PNID)
    run = f"p{int(time.time())}"
    client = Client()
    url = f"/webhooks/whatsapp/{whatsapp_ingest.PHONE[1:]}"

    def post(i: int) -> None:
        data = whatsapp_ingest.body(f"wamid.{run}a.{i}", numbers[i % len(numbers)], f"{run}a-{i} olá")
        signature = "sha256=" + hmac.new(whatsapp_ingest.APP_SECRET.encode(), data, hashlib.sha256).hexdigest()
        response = client.post(url, data=data, content_type="application/json",
                               headers={"X-Hub-Signature-256": signature})
        assert response.status_code == 200, response.content

    # The ack: store only (the inline task is turned off by marking the stored events processed right away
    # would cost queries in the timed part, so the wake-up is silenced instead).
    from inboxes.providers.whatsapp import queueing

    original_wake = queueing.wake_event_processing
    queueing.wake_event_processing = lambda event_id: None
    try:
        post(-1)
        ack = _measure(post, args.events)
    finally:
        queueing.wake_event_processing = original_wake
    ReceivedEvent.objects.filter(body__contains=f"{run}a-").update(status=ReceivedEvent.Status.PROCESSED)

    def stored_event(prefix: str, i: int) -> int:
        data = whatsapp_ingest.body(f"wamid.{prefix}.{i}", numbers[i % len(numbers)], f"{prefix}-{i} olá")
        return ReceivedEvent.objects.create(channel=channel, provider=channel.provider, event="messages",
                                            body=data.decode()).pk

    ids = [stored_event(f"{run}b", i) for i in range(args.events + 1)]
    tasks.process_event(ids[-1])  # warm-up
    process = _measure(lambda i: tasks.process_event(ids[i]), args.events)
    server = _uvicorn_ack(numbers, args.server_posts, run) if args.server_posts else None
    print(f"load average {os.getloadavg()[0]:.2f}")
    print(f"{'step':<10} {'wall p50':>9} {'cpu p50':>8} {'sql p50':>8} {'pg cpu':>7} {'queries':>8}")
    for name, row in (("ack", ack), ("process", process)):
        print(f"{name:<10} {row['wall_ms']:>9} {row['cpu_ms']:>8} {row['sql_ms']:>8} {row['pg_cpu_ms']:>7}"
              f" {row['queries']:>5} (max {row['queries_max']})")
    if args.drain:
        drained = _drain(channel, numbers, args, run)
        print(f"drain ({args.drain} stored events, {args.pool} × {args.concurrency}, {args.batch} per task): "
              f"{drained['rate']} messages/s; CPU ms per message {drained['cpu']}")
    if server:
        print(f"ack (uvicorn, 1 process, {args.server_posts} sequential POSTs): server CPU {server['cpu_ms']} ms"
              f" per POST, round trip p50 {server['p50']} ms")
    if args.cprofile:
        ids = [stored_event(f"{run}c", i) for i in range(args.cprofile)]
        profiler = cProfile.Profile(time.process_time)  # CPU, not time waiting for PostgreSQL
        profiler.enable()
        tasks.process_events(ids)
        profiler.disable()
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats(os.environ.get("SORT", "cumulative")).print_stats(60)
        print(out.getvalue())


if __name__ == "__main__":
    main()
