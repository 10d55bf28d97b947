"""B2, the agent conversation list: server time and SQL queries per request, on the seeded bench database.

    .venv/bin/python -m bench.seed                    # once
    .venv/bin/python -m bench.conversation_list       # 200 timed requests per case after 20 warm-up ones
    .venv/bin/python -m bench.conversation_list -n 50 --only list,filtered --persona agent

Requests go through django.test.Client in this process (the full middleware stack, sessions in the
database, the real views and templates); server time is the wall time of producing the response. The SQL
query count of every case is taken once with CaptureQueriesContext and must not change with the page size.
Each case runs with 25 and with 100 conversations per page (CONVERSATION_RESULTS_PER_PAGE). The cases
are timed round-robin (one request of each per round), so a shared machine's load spreads evenly over them;
besides wall time, the app process's CPU time per request and the time spent in SQL are recorded.
One client, one request at a time: this measures latency, not throughput under concurrency.
"""

import argparse
import os

from bench import common

TARGET_P50_MS = 80
TARGET_P95_MS = 200
TARGET_QUERIES = 12
HX = {"HX-Request": "true"}


def cases(account, account_user) -> list[tuple[str, str, dict, object]]:
    """(name, URL template, headers, per page -> URL template values) for one persona."""
    from django.db.models import Count

    from conversations.models import ConversationLabel
    from inboxes.queries import visible_inboxes

    base = f"/app/accounts/{account.pk}/conversations/"
    inbox = visible_inboxes(account_user).first()
    # The label with the most conversations in that inbox, so the filtered page is full.
    label = (ConversationLabel.objects.filter(conversation__inbox=inbox, conversation__status=0)
             .values_list("title").annotate(n=Count("id")).order_by("-n").first()[0])
    return [
        # The whole inbox page (folders with their counts, the list, the empty pane), as on a direct load.
        ("full_page", base, {}, None),
        # The htmx list partial (what every folder, tab and filter click fetches): open, all assignees.
        ("list", base + "list/", HX, None),
        ("list_all_statuses", base + "list/?status=all", HX, None),
        ("filtered", base + f"list/?status=open&inbox_id={inbox.pk}&label={label}", HX, None),
        ("mine", base + "list/?assignee_type=me", HX, None),
        ("next_page", base + "list/?page=2", HX, None),
        # The same depth (~5,000 rows in) whatever the page size; offset pagination.
        ("deep_page", base + "list/?page={deep}", HX, lambda per_page: {"deep": 5000 // per_page + 1}),
        ("search", base + "list/?q=silva&status=all", HX, None),
        # The folders column, refreshed live by htmx.
        ("folders", base, {**HX, "HX-Target": "folders"}, None),
    ]


def run(args) -> dict:
    from django.db import connection
    from django.test import Client, override_settings
    from django.test.utils import CaptureQueriesContext

    account, admin, agent = common.personas()
    personas = {"admin": admin, "agent": agent}
    load_at_start = [round(x, 2) for x in os.getloadavg()]
    combos = []
    for persona in args.persona:
        client = Client()
        client.force_login(personas[persona].user)
        for name, path, headers, extra in cases(account, personas[persona]):
            if args.only and name not in args.only:
                continue
            for per_page in args.page_sizes:
                url = path.format(**(extra(per_page) if extra else {}))
                combos.append({"persona": persona, "case": name, "per_page": per_page, "url": url,
                               "client": client, "headers": headers, "wall": [], "sql": [], "cpu": []})

    def request(combo):
        with override_settings(CONVERSATION_RESULTS_PER_PAGE=combo["per_page"]):
            response = combo["client"].get(combo["url"], headers=combo["headers"])
        assert response.status_code == 200, (combo["url"], response.status_code)
        return response

    for combo in combos:  # warm up, then count the queries of one request
        for _ in range(args.warmup):
            request(combo)
        with CaptureQueriesContext(connection) as ctx:
            response = request(combo)
        combo["rows"] = response.content.decode().count('<li class="conv-row')
        combo["bytes"] = len(response.content)
        combo["queries"] = len(ctx.captured_queries)
        combo["slowest"] = max(ctx.captured_queries, key=lambda q: float(q["time"]))["sql"][:400]

    def timed(combo):
        with override_settings(CONVERSATION_RESULTS_PER_PAGE=combo["per_page"]):
            return combo["client"].get(combo["url"], headers=combo["headers"])

    common.time_round_robin(combos, args.n, timed)

    results = []
    for combo in combos:
        stats = common.summary(combo["wall"])
        row = {k: combo[k] for k in ("persona", "case", "per_page", "url", "rows", "bytes", "queries")}
        row.update(stats)
        row.update({"sql_p50": common.summary(combo["sql"])["p50"], "sql_p95": common.summary(combo["sql"])["p95"],
                    "app_cpu_p50": common.summary(combo["cpu"])["p50"], "slowest_query": combo["slowest"],
                    "ok": stats["p95"] <= TARGET_P95_MS and combo["queries"] <= TARGET_QUERIES})
        results.append(row)
        print(f"{row['persona']:6} {row['case']:18} {row['per_page']:4} {row['rows']:4} rows  p50 {row['p50']:7.1f}  "
              f"p95 {row['p95']:7.1f}  p99 {row['p99']:7.1f}  max {row['max']:7.1f} ms  (sql p50 "
              f"{row['sql_p50']:6.1f}, app cpu p50 {row['app_cpu_p50']:6.1f})  {row['queries']:2} queries  "
              f"{'ok' if row['ok'] else 'MISS'}", flush=True)
    from django.conf import settings

    return {"benchmark": "B2 conversation list (in-process, sequential)", "machine": common.machine(),
            "cache": settings.CACHES["default"]["BACKEND"],
            "loadavg_at_start": load_at_start, "n": args.n, "warmup": args.warmup,
            "targets": {"p50_ms": TARGET_P50_MS, "p95_ms": TARGET_P95_MS, "queries": TARGET_QUERIES},
            "queries_flat_across_page_sizes": check_flat(results), "dataset": dataset_summary(account),
            "results": results}


def check_flat(results: list[dict]) -> bool:
    """Whether every (persona, case) used the same number of queries for every page size."""
    by_case: dict[tuple, set] = {}
    for r in results:
        by_case.setdefault((r["persona"], r["case"]), set()).add(r["queries"])
    return all(len(counts) == 1 for counts in by_case.values())


def dataset_summary(account) -> dict:
    from conversations.models import Conversation, Message

    return {"account": account.name, "conversations": Conversation.objects.filter(account=account).count(),
            "messages": Message.objects.filter(account_id=account.pk).count(),
            "all_conversations": Conversation.objects.count(), "all_messages": Message.objects.count()}


def table(data: dict) -> str:
    """A Markdown table of the results (for docs/benchmarks.md)."""
    lines = ["| persona | case | per page | rows | p50 ms | p95 ms | p99 ms | max ms | SQL p50 ms | app CPU p50 ms "
             "| queries | p95 ≤ 200 ms |",
             "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|"]
    for r in data["results"]:
        lines.append(f"| {r['persona']} | {r['case']} | {r['per_page']} | {r['rows']} | {r['p50']} | {r['p95']} | "
                     f"{r['p99']} | {r['max']} | {r['sql_p50']} | {r['app_cpu_p50']} | {r['queries']} "
                     f"| {'yes' if r['p95'] <= TARGET_P95_MS else '**no**'} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-n", type=int, default=200, help="timed requests per case and page size")
    parser.add_argument("--warmup", type=int, default=20)
    parser.add_argument("--persona", type=lambda s: s.split(","), default=["admin", "agent"])
    parser.add_argument("--page-sizes", type=lambda s: [int(x) for x in s.split(",")], default=[25, 100])
    parser.add_argument("--only", type=lambda s: s.split(","), default=None, help="comma-separated case names")
    parser.add_argument("--embedded-cache", action="store_true", help="no REDIS_URL: the in-process cache")
    args = parser.parse_args()

    # The test client's host; sessions in the bench database and the cache (list rows, label counts) in Redis,
    # like production. --embedded-cache measures the embedded mode's in-process cache instead.
    os.environ.setdefault("ALLOWED_HOSTS", "testserver")
    if not args.embedded_cache:
        os.environ.setdefault("REDIS_URL", os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/0"))
    common.setup_django()
    data = run(args)
    print()
    print(table(data))
    print(f"\nqueries identical for every page size: {data['queries_flat_across_page_sizes']}")
    print(f"saved {common.save('conversation_list', data)}")


if __name__ == "__main__":
    main()
