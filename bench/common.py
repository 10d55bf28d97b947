"""Shared by the benchmark scripts: the bench database, Django set-up, the seeded personas, statistics."""

import json
import os
import platform
import statistics
import subprocess
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
BENCH_DB = os.environ.get("BENCH_DB", "autonomia_bench")
PG = os.environ.get("BENCH_PG", "postgres://postgres@127.0.0.1:5432")
BENCH_URL = f"{PG}/{BENCH_DB}"
PASSWORD = "bench-pass-123"

# The personas the benchmarks log in as (created by bench/seed.py in the target account).
TARGET_ACCOUNT = "Bench A1"
ADMIN_EMAIL = "admin1@a1.bench.test"
AGENT_EMAIL = "agent01@a1.bench.test"  # a plain agent, member of exactly 3 of the 10 inboxes


def configure_env() -> None:
    """Point Django at the bench database (never the development or test ones)."""
    os.environ.setdefault("DATABASE_URL", BENCH_URL)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "autonomia.settings")
    os.environ.setdefault("HTTPS", "0")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    if "bench" not in os.environ["DATABASE_URL"].rsplit("/", 1)[-1]:
        raise SystemExit(f"refusing to run on {os.environ['DATABASE_URL']}: the database name must contain 'bench'")


def setup_django() -> None:
    configure_env()
    import django

    django.setup()


def personas():
    """(account, admin AccountUser, agent AccountUser) of the seeded target account."""
    from autonomia.models import Account, AccountUser

    account = Account.objects.get(name=TARGET_ACCOUNT)
    members = AccountUser.objects.select_related("user", "account").filter(account=account)
    return account, members.get(user__email=ADMIN_EMAIL), members.get(user__email=AGENT_EMAIL)


def percentile(values: list[float], p: float) -> float:
    """Nearest-rank percentile (p in 0..100) of a non-empty list."""
    ordered = sorted(values)
    k = max(0, min(len(ordered) - 1, int(round(p / 100 * len(ordered) + 0.5)) - 1))
    return ordered[k]


def summary(values_ms: list[float]) -> dict:
    return {
        "n": len(values_ms),
        "p50": round(statistics.median(values_ms), 2),
        "p95": round(percentile(values_ms, 95), 2),
        "p99": round(percentile(values_ms, 99), 2),
        "max": round(max(values_ms), 2),
        "mean": round(statistics.fmean(values_ms), 2),
    }


def machine() -> dict:
    def run(cmd):
        try:
            return subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, timeout=10).stdout.strip()
        except (OSError, subprocess.SubprocessError):
            return ""

    return {
        "date": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
        "nproc": os.cpu_count(),
        # The box is shared: other processes' load shows up in the latencies.
        "loadavg_1_5_15": [round(x, 2) for x in os.getloadavg()],
        "fdatasync_8k_ops_per_s": fdatasync_ops(),
        "commit": run(["git", "rev-parse", "--short", "HEAD"]),
        "dirty": bool(run(["git", "status", "--porcelain", "--untracked-files=no"])),
        "python": platform.python_version(),
        "postgres": run(["psql", "-h", "127.0.0.1", "-U", "postgres", "-Atc", "show server_version"]),
    }


def fdatasync_ops() -> float | None:
    """pg_test_fsync's one-8kB-write fdatasync rate (1 s per test), or None without the tool."""
    import glob
    import re
    import tempfile

    tools = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_test_fsync"))
    if not tools:
        return None
    with tempfile.TemporaryDirectory() as tmp:
        try:
            out = subprocess.run([tools[-1], "-s", "1", "-f", f"{tmp}/probe"], capture_output=True, text=True,
                                 timeout=60).stdout
        except (OSError, subprocess.SubprocessError):
            return None
    found = re.search(r"^\s*fdatasync\s+([\d.]+) ops/sec", out, re.MULTILINE)
    return float(found.group(1)) if found else None


def save(name: str, data: dict) -> Path:
    """Write a run's raw results to bench/results/<name>-<timestamp>.json (git-ignored)."""
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / f"{name}-{time.strftime('%Y%m%d-%H%M%S')}.json"
    path.write_text(json.dumps(data, indent=2, default=str))
    return path


class SqlTimer:
    """Adds up the time spent in the database driver (execute_wrapper), to split SQL from Python time."""

    def __init__(self):
        self.seconds = 0.0

    def __call__(self, execute, sql, params, many, context):
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.seconds += time.perf_counter() - started


def time_round_robin(combos: list[dict], rounds: int, get, *, progress_every: int = 50) -> None:
    """Time `get(combo)` (a request returning a response) once per combo per round, round-robin, so a shared
    machine's load spreads evenly over the cases; appends wall, app-CPU and SQL milliseconds to each combo's
    "wall", "cpu" and "sql" lists and checks every answer is a 200."""
    from django.db import connection

    timer = SqlTimer()
    with connection.execute_wrapper(timer):
        for i in range(rounds):
            for combo in combos:
                timer.seconds = 0.0
                cpu, started = time.process_time(), time.perf_counter()
                response = get(combo)
                combo["wall"].append((time.perf_counter() - started) * 1000)
                combo["cpu"].append((time.process_time() - cpu) * 1000)
                combo["sql"].append(timer.seconds * 1000)
                assert response.status_code == 200, (combo.get("url"), response.status_code)
            if (i + 1) % progress_every == 0:
                print(f"  {i + 1}/{rounds} rounds, load average {os.getloadavg()[0]:.2f}", flush=True)
