"""Help center benchmark: 10,000 articles in 3 locales; portal search and article page server time and size.

    BENCH_DB=autonomia_bench_hc REDIS_URL=redis://127.0.0.1:6379/7 \
        .venv/bin/python -m bench.helpcenter [--seed] [--searches 300] [--pages 300]

`--seed` (re)creates the "Bench HC" account's portal with 10,000 published articles (pt-BR, en, es), then
indexes them with `helpcenter.search.index_portal` (the same SQL as `index_article`) and vacuums. Requests go
through Django's full stack in this process (test Client: middleware, view, search, template), so the times are
server time without the network. Queries mix accents, missing accents and typos ("devolucao", "devoluçao",
"reembolço", "entega"). Besides wall time, each request's CPU time in this process and in the PostgreSQL
backend and its number of queries are reported: unlike the wall time they hardly move with the machine's load.
With REDIS_URL the cache is Redis as in production (a fresh key prefix per run), else in-process memory.
"""

import argparse
import os
import random
import sys
import time

from bench.common import machine, save, setup_django, summary

WORDS = {
    "pt-BR": ("devolução troca reembolso pedido entrega frete prazo pagamento cartão boleto pix cupom desconto "
              "garantia produto tamanho cor estoque nota fiscal cadastro senha conta endereço rastreio transportadora "
              "cancelamento assinatura plano fatura cobrança atendimento loja aplicativo notificação").split(),
    "en": ("return exchange refund order delivery shipping deadline payment card invoice coupon discount warranty "
           "product size colour stock account password address tracking carrier cancellation subscription plan "
           "billing support store app notification").split(),
    "es": ("devolución cambio reembolso pedido entrega envío plazo pago tarjeta factura cupón descuento garantía "
           "producto talla color existencias cuenta contraseña dirección seguimiento transportista cancelación "
           "suscripción plan cobro soporte tienda aplicación notificación").split(),
}
FILLER = {"pt-BR": "como fazer para o a de no na com sem mais quando onde".split(),
          "en": "how to do for the a of in on with without more when where".split(),
          "es": "cómo hacer para el la de en con sin más cuando donde".split()}
QUERIES = ["devolução", "devolucao", "devoluçao", "devolucão", "reembolço", "entega do pedido", "nota fiscal",
           "cartao de credito", "rastreio", "senha da conta", "cupom desconto", "troca tamanho", "pix", "frete gratis",
           "cancelamento assinatura", "garantia produto", "endereco de entrega", "boleto vencido", "atendimento",
           "notificacao aplicativo"]
TOTAL = 10_000


def sentence(rng: random.Random, locale: str, n: int) -> str:
    words = WORDS[locale] + FILLER[locale] * 2
    return " ".join(rng.choice(words) for _ in range(n)).capitalize() + "."


def seed() -> None:
    from django.db import connection, transaction

    from autonomia.models import Account, AccountUser, User
    from helpcenter import actions
    from helpcenter.models import Article, Category, Portal
    from helpcenter.search import index_portal

    rng = random.Random(7)
    Portal.objects.filter(slug="bench-ajuda").delete()
    account = Account.objects.filter(name="Bench HC").first() or Account.objects.create(name="Bench HC")
    user = User.objects.filter(email="admin@hc.bench.test").first() or User.objects.create_user(
        "admin@hc.bench.test", "bench-pass-123", name="Bench Admin")
    AccountUser.objects.get_or_create(account=account, user=user, defaults={"role": AccountUser.Role.ADMINISTRATOR})
    portal = actions.create_portal(account, actor=user, name="Bench Ajuda", slug="bench-ajuda",
                                   default_locale="pt-BR", locales=["en", "es"])
    started = time.monotonic()
    with transaction.atomic():
        for locale in ("pt-BR", "en", "es"):
            categories = [Category.objects.create(portal=portal, locale=locale, name=f"{w.capitalize()} {i}",
                                                  slug=f"{locale.lower()}-{i}", position=i * 10)
                          for i, w in enumerate(WORDS[locale][:8])]
            rows = []
            for i in range(TOTAL // 3 + (1 if locale == "pt-BR" else 0)):
                title = sentence(rng, locale, rng.randint(4, 8))[:-1]
                paragraphs = [sentence(rng, locale, rng.randint(14, 30)) for _ in range(rng.randint(4, 10))]
                content = f"## {sentence(rng, locale, 3)}\n\n" + "\n\n".join(paragraphs)
                rows.append(Article(portal=portal, locale=locale, category=rng.choice(categories), title=title,
                                    slug=f"{locale.lower()}-{i}", description=sentence(rng, locale, 12),
                                    content=content, body_text=content.replace("## ", ""),
                                    status=Article.Status.PUBLISHED, position=i * 10, views=rng.randint(0, 500),
                                    helpful_count=rng.randint(0, 20), not_helpful_count=rng.randint(0, 10)))
            Article.objects.bulk_create(rows, batch_size=1000)
        index_portal(portal.pk)
    with connection.cursor() as cursor:  # the UPDATE of every row left dead tuples: as autovacuum would
        cursor.execute("VACUUM ANALYZE helpcenter_article")
        cursor.execute("VACUUM ANALYZE helpcenter_helpword")
    print(f"seeded {Article.objects.filter(portal=portal).count()} articles in {time.monotonic() - started:.1f}s",
          file=sys.stderr)


def backend_cpu_ms(pid: int) -> float:
    """CPU time used so far by a PostgreSQL backend of this machine (utime + stime from /proc, 10 ms ticks)."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) * 1000 / os.sysconf("SC_CLK_TCK")
    except OSError:
        return 0.0


def timed(client, url: str, headers: dict, log: dict):
    """GET `url`; into `log`: wall ms, CPU ms of this process and of the database backend (load-independent,
    unlike the wall time; averaged over many requests since the kernel counts in ticks) and the queries."""
    from django.db import connection

    queries, db_cpu = [], []

    def count(execute, sql, *args):
        queries.append(sql)
        pid = connection.connection.info.backend_pid
        before = backend_cpu_ms(pid)
        try:
            return execute(sql, *args)
        finally:
            db_cpu.append(backend_cpu_ms(pid) - before)

    with connection.execute_wrapper(count):
        started, cpu = time.perf_counter(), time.process_time()
        response = client.get(url, **headers)
        log["ms"].append((time.perf_counter() - started) * 1000)
        log["cpu"].append((time.process_time() - cpu) * 1000)
    log["db_cpu"].append(sum(db_cpu))
    log["queries"].append(len(queries))
    assert response.status_code == 200, response.status_code
    log["sizes"].append(len(response.content))
    return response


def report(log: dict, **extra) -> dict:
    sizes, n = sorted(log["sizes"]), len(log["ms"])
    return {"ms": summary(log["ms"]), "app_cpu_ms_mean": round(sum(log["cpu"]) / n, 2),
            "db_cpu_ms_mean": round(sum(log["db_cpu"]) / n, 2), "queries_mean": round(sum(log["queries"]) / n, 2),
            "bytes_max": sizes[-1], "bytes_p50": sizes[n // 2], **extra}


def measure(searches: int, pages: int) -> dict:
    from django.test import Client

    from helpcenter.models import Article

    rng = random.Random(11)
    client = Client()
    results = {}
    for name, url_for, headers in (
        ("search_as_you_type", lambda q: f"/hc/bench-ajuda/pt-BR/search/?q={q}&instant=1", {"HTTP_HX_REQUEST": "true"}),
        ("search_page", lambda q: f"/hc/bench-ajuda/pt-BR/search/?q={q}", {}),
        ("search_json", lambda q: f"/hc/bench-ajuda/pt-BR/articles.json?query={q}", {}),
    ):
        log, hits = {"ms": [], "cpu": [], "db_cpu": [], "queries": [], "sizes": []}, 0
        for i in range(searches):
            client.cookies.clear()
            response = timed(client, url_for(QUERIES[i % len(QUERIES)]), headers, log)
            hits += b"<mark>" in response.content or b"\\u003cmark" in response.content or b"<mark" in response.content
        results[name] = report(log, with_results=hits)
    slugs = list(Article.objects.filter(portal__slug="bench-ajuda", locale="pt-BR").values_list("slug", flat=True))
    # Any article (mostly first views: nothing cached), then the 20 most read ones (what most readers open).
    popular = list(Article.objects.filter(portal__slug="bench-ajuda", locale="pt-BR").order_by("-views", "id")
                   .values_list("slug", flat=True)[:20])
    for name, pool in (("article_page", slugs), ("article_page_popular", popular)):
        log = {"ms": [], "cpu": [], "db_cpu": [], "queries": [], "sizes": []}
        for _ in range(pages):
            timed(client, f"/hc/bench-ajuda/pt-BR/articles/{rng.choice(pool)}/", {}, log)
        results[name] = report(log)
    return results


def ranking_check() -> dict:
    """The candidate cut against ranking every match: how many queries keep the same first 10 results."""
    from helpcenter import search
    from helpcenter.models import Portal
    from helpcenter.queries import search_articles

    portal = Portal.objects.get(slug="bench-ajuda")
    same, overlap = 0, 0
    for query in QUERIES:
        cut = [hit.article.pk for hit in search_articles(portal, query, limit=10)]
        search.CANDIDATES, default = 10**6, getattr(search, "CANDIDATES", None)
        try:
            full = [hit.article.pk for hit in search_articles(portal, query, limit=10)]
        finally:
            search.CANDIDATES = default
        same += cut == full
        overlap += len(set(cut) & set(full))
    return {"queries": len(QUERIES), "same_top10": same, "mean_top10_overlap": round(overlap / len(QUERIES), 1)}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seed", action="store_true")
    parser.add_argument("--searches", type=int, default=300)
    parser.add_argument("--pages", type=int, default=300)
    args = parser.parse_args()
    setup_django()
    from django.conf import settings

    settings.ALLOWED_HOSTS = ["*", "testserver"]
    settings.RATELIMIT_ENABLE = False
    # A fresh cache namespace per run (before the first cache use), so article pages start uncached.
    settings.CACHES["default"]["KEY_PREFIX"] = f"bench-hc-{os.getpid()}-{int(time.time())}"
    if args.seed:
        seed()
    measure(20, 20)  # warm-up: connections, template and query caches
    data = {"machine": machine(), "articles": TOTAL, "results": measure(args.searches, args.pages),
            "ranking": ranking_check()}
    print(save("helpcenter", data))
    import json

    print(json.dumps({**data["results"], "ranking": data["ranking"]}, indent=2))


if __name__ == "__main__":
    main()
