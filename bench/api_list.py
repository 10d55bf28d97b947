"""The REST conversation list, `GET /api/v1/accounts/{id}/conversations`, on the seeded bench database.

    .venv/bin/python -m bench.seed                    # once
    .venv/bin/python -m bench.api_list                # 200 timed requests per case after 20 warm-up ones
    .venv/bin/python -m bench.api_list -n 50 --persona admin

Requests go through django.test.Client in this process with an `api_access_token` header (the token of the
seeded administrator, or agent, from autonomia.queries.api_token_for): the full middleware stack, token
authentication, the per-token rate limit (kept on, with a budget high enough not to trip), the real view and
its JSON. Server time is the wall time of producing the response. The SQL query count of each case is taken
once with CaptureQueriesContext. Cases are timed round-robin so a shared machine's load spreads evenly.
Cases: page 1 of open conversations (Chatwoot's default), the same filtered by inbox_id + labels[], and page 2.
One client, one request at a time: latency, not throughput. Target p95 ≤ 150 ms.
"""

import argparse
import os

from bench import common

TARGET_P95_MS = 150


def cases(account, account_user) -> list[tuple[str, str]]:
    from django.db.models import Count

    from conversations.models import ConversationLabel
    from inboxes.queries import visible_inboxes

    base = f"/api/v1/accounts/{account.pk}/conversations"
    inbox = visible_inboxes(account_user).first()
    # The label with the most open conversations in that inbox, so the filtered page is full.
    label = (ConversationLabel.objects.filter(conversation__inbox=inbox, conversation__status=0)
             .values_list("title").annotate(n=Count("id")).order_by("-n").first()[0])
    return [
        ("open", base + "?status=open"),
        ("open_all_assignees", base + "?status=open&assignee_type=all"),
        ("filtered_inbox_label", base + f"?status=open&inbox_id={inbox.pk}&labels[]={label}"),
        ("page_2", base + "?status=open&page=2"),
    ]


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
        for name, url in cases(account, personas[persona]):
            if args.only and name not in args.only:
                continue
            combos.append({"persona": persona, "case": name, "url": url, "headers": {"api_access_token": token},
                           "wall": [], "sql": [], "cpu": []})

    def request(combo):
        response = client.get(combo["url"], headers=combo["headers"])
        assert response.status_code == 200, (combo["url"], response.status_code, response.content[:300])
        return response

    for combo in combos:
        for _ in range(args.warmup):
            request(combo)
        with CaptureQueriesContext(connection) as ctx:
            response = request(combo)
        data = response.json()["data"]
        combo["rows"] = len(data["payload"])
        combo["all_count"] = data["meta"]["all_count"]
        combo["bytes"] = len(response.content)
        combo["queries"] = len(ctx.captured_queries)
        combo["slowest"] = max(ctx.captured_queries, key=lambda q: float(q["time"]))["sql"][:400]

    common.time_round_robin(combos, args.n, lambda combo: client.get(combo["url"], headers=combo["headers"]))

    results = []
    for combo in combos:
        stats = common.summary(combo["wall"])
        row = {k: combo[k] for k in ("persona", "case", "url", "rows", "all_count", "bytes", "queries")}
        row.update(stats)
        row.update({"sql_p50": common.summary(combo["sql"])["p50"], "sql_p95": common.summary(combo["sql"])["p95"],
                    "app_cpu_p50": common.summary(combo["cpu"])["p50"], "slowest_query": combo["slowest"],
                    "ok": stats["p95"] <= TARGET_P95_MS})
        results.append(row)
        print(f"{row['persona']:6} {row['case']:22} {row['rows']:3} rows  p50 {row['p50']:7.1f}  p95 {row['p95']:7.1f}"
              f"  p99 {row['p99']:7.1f}  max {row['max']:7.1f} ms  (sql p50 {row['sql_p50']:6.1f}, app cpu p50 "
              f"{row['app_cpu_p50']:6.1f})  {row['queries']:2} queries  {'ok' if row['ok'] else 'MISS'}", flush=True)
    from bench.conversation_list import dataset_summary

    return {"benchmark": "REST conversation list (in-process, sequential)", "machine": common.machine(),
            "loadavg_at_start": load_at_start, "n": args.n, "warmup": args.warmup,
            "targets": {"p95_ms": TARGET_P95_MS}, "dataset": dataset_summary(account), "results": results}


def table(data: dict) -> str:
    lines = ["| persona | case | rows | p50 ms | p95 ms | p99 ms | max ms | SQL p50 ms | app CPU p50 ms | queries "
             "| p95 ≤ 150 ms |", "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---|"]
    for r in data["results"]:
        lines.append(f"| {r['persona']} | {r['case']} | {r['rows']} | {r['p50']} | {r['p95']} | {r['p99']} | "
                     f"{r['max']} | {r['sql_p50']} | {r['app_cpu_p50']} | {r['queries']} "
                     f"| {'yes' if r['ok'] else '**no**'} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-n", type=int, default=200, help="timed requests per case")
    parser.add_argument("--warmup", type=int, default=20)
    parser.add_argument("--persona", type=lambda s: s.split(","), default=["admin", "agent"])
    parser.add_argument("--only", type=lambda s: s.split(","), default=None, help="comma-separated case names")
    args = parser.parse_args()

    os.environ.setdefault("ALLOWED_HOSTS", "testserver")
    # The rate limit stays on (its cache round trip is part of every request) but must not trip.
    os.environ.setdefault("API_RATE_PER_TOKEN", "1000000/m")
    common.setup_django()
    data = run(args)
    print()
    print(table(data))
    print(f"saved {common.save('api_list', data)}")


if __name__ == "__main__":
    main()
