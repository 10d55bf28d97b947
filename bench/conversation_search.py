"""The API's conversation search over message text, `GET /api/v1/accounts/{id}/conversations/search?q=`, on the
seeded bench database (1.4M messages), with and without the pg_trgm index (migration conversations 0003).

    .venv/bin/python -m bench.seed                                 # once
    .venv/bin/python manage.py migrate conversations               # on the bench database: the trigram index
    .venv/bin/python -m bench.conversation_search -n 30

Requests go through django.test.Client in this process with the administrator's or agent's `api_access_token`
(as bench/api_list.py). Cases: a text no message contains (the index answers "none" without reading messages),
a phrase of ~4 % of the messages (the seed has 26 distinct texts, so real searches are rarer than this), and a
contact name. Each `noindex_` case runs the same request with bitmap scans off for the session: GIN indexes are
read only through bitmap scans, so that is the search without the trigram indexes (btree scans stay on).
Cases are timed round-robin; one request at a time.
"""

import argparse
import os
import time

from bench import common

CASES = [("no_match", "pedido 99887"), ("common_phrase", "prazo de entrega"), ("contact_name", "silva")]


def run(args) -> dict:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from autonomia.queries import api_token_for

    account, admin, agent = common.personas()
    personas = {"admin": admin, "agent": agent}
    load_at_start = [round(x, 2) for x in os.getloadavg()]
    client = Client()
    combos = []
    for persona in args.persona:
        token = api_token_for("User", personas[persona].user_id)
        for name, q in CASES:
            for indexed in (True, False):
                combos.append({"persona": persona, "case": name if indexed else f"noindex_{name}", "q": q,
                               "indexed": indexed, "headers": {"api_access_token": token}, "wall": []})
    url = f"/api/v1/accounts/{account.pk}/conversations/search"

    def request(combo):
        if not combo["indexed"]:
            with connection.cursor() as cursor:
                cursor.execute("SET enable_bitmapscan = off")
        try:
            started = time.perf_counter()
            response = client.get(url, {"q": combo["q"]}, headers=combo["headers"])
            elapsed = (time.perf_counter() - started) * 1000
        finally:
            with connection.cursor() as cursor:
                cursor.execute("RESET enable_bitmapscan")
        assert response.status_code == 200, (combo["q"], response.status_code, response.content[:300])
        return response, elapsed

    for combo in combos:
        for _ in range(args.warmup):
            request(combo)
        with CaptureQueriesContext(connection) as ctx:
            response, _ = request(combo)
        data = response.json()["data"]
        combo.update(rows=len(data["payload"]), all_count=data["meta"]["all_count"],
                     queries=len(ctx.captured_queries))
    for i in range(args.n):
        for combo in combos:
            combo["wall"].append(request(combo)[1])
        if (i + 1) % 10 == 0:
            print(f"  {i + 1}/{args.n} rounds, load average {os.getloadavg()[0]:.2f}", flush=True)

    results = []
    for combo in combos:
        row = {k: combo[k] for k in ("persona", "case", "q", "rows", "all_count", "queries")}
        row.update(common.summary(combo["wall"]))
        results.append(row)
        print(f"{row['persona']:6} {row['case']:24} {row['all_count']:6} found  p50 {row['p50']:8.1f}  "
              f"p95 {row['p95']:8.1f} ms  {row['queries']} queries", flush=True)
    return {"benchmark": "REST conversation search over message text", "machine": common.machine(),
            "loadavg_at_start": load_at_start, "loadavg_at_end": [round(x, 2) for x in os.getloadavg()],
            "n": args.n, "warmup": args.warmup, "results": results}


def table(data: dict) -> str:
    lines = ["| persona | case | q | found | p50 ms | p95 ms | queries |", "|---|---|---|---:|---:|---:|---:|"]
    for r in data["results"]:
        lines.append(f"| {r['persona']} | {r['case']} | `{r['q']}` | {r['all_count']} | {r['p50']} | {r['p95']} "
                     f"| {r['queries']} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-n", type=int, default=20, help="timed requests per case")
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--persona", type=lambda s: s.split(","), default=["admin", "agent"])
    args = parser.parse_args()
    os.environ.setdefault("ALLOWED_HOSTS", "testserver")
    os.environ.setdefault("API_RATE_PER_TOKEN", "1000000/m")
    common.setup_django()
    data = run(args)
    print()
    print(table(data))
    print(f"saved {common.save('conversation_search', data)}")


if __name__ == "__main__":
    main()
