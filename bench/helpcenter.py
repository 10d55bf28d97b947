"""Help center benchmark: 10,000 articles in 3 locales; portal search and article page server time and size.

    BENCH_DB=autonomia_bench_hc .venv/bin/python -m bench.helpcenter [--seed] [--searches 300] [--pages 300]

`--seed` (re)creates the "Bench HC" account's portal with 10,000 published articles (pt-BR, en, es), then
indexes them with the same SQL as `helpcenter.search.index_article`. Requests go through Django's full stack
in this process (test Client: middleware, view, search, template), so the times are server time without the
network. Queries mix accents, missing accents and typos ("devolucao", "devoluçao", "reembolço", "entega").
"""

import argparse
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
    from helpcenter.search import config_for

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
        with connection.cursor() as cursor:
            for locale in ("pt-BR", "en", "es"):
                config = config_for(locale)
                cursor.execute(
                    "UPDATE helpcenter_article SET search_vector = setweight(to_tsvector(%s::regconfig, title), 'A')"
                    " || setweight(to_tsvector(%s::regconfig, description), 'B')"
                    " || setweight(to_tsvector(%s::regconfig, body_text), 'C') WHERE portal_id = %s AND locale = %s",
                    [config, config, config, portal.pk, locale])
            cursor.execute(
                "INSERT INTO helpcenter_helpword (portal_id, word) SELECT DISTINCT a.portal_id, w"
                " FROM helpcenter_article a, regexp_split_to_table(lower(hc_unaccent(a.title || ' ' || a.description"
                " || ' ' || a.body_text)), '[^a-z0-9]+') AS w WHERE a.portal_id = %s AND length(w) BETWEEN 3 AND 40"
                " ON CONFLICT DO NOTHING", [portal.pk])
            cursor.execute("ANALYZE helpcenter_article; ANALYZE helpcenter_helpword")
    print(f"seeded {Article.objects.filter(portal=portal).count()} articles in {time.monotonic() - started:.1f}s",
          file=sys.stderr)


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
        times, sizes, hits = [], [], 0
        for i in range(searches):
            client.cookies.clear()
            query = QUERIES[i % len(QUERIES)]
            started = time.perf_counter()
            response = client.get(url_for(query), **headers)
            times.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200, response.status_code
            sizes.append(len(response.content))
            hits += b"<mark>" in response.content or b"\\u003cmark" in response.content or b"<mark" in response.content
        results[name] = {"ms": summary(times), "bytes_max": max(sizes), "bytes_p50": sorted(sizes)[len(sizes) // 2],
                         "with_results": hits}
    slugs = list(Article.objects.filter(portal__slug="bench-ajuda", locale="pt-BR").values_list("slug", flat=True))
    times, sizes = [], []
    for _ in range(pages):
        started = time.perf_counter()
        response = client.get(f"/hc/bench-ajuda/pt-BR/articles/{rng.choice(slugs)}/")
        times.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200
        sizes.append(len(response.content))
    results["article_page"] = {"ms": summary(times), "bytes_max": max(sizes)}
    return results


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
    if args.seed:
        seed()
    measure(20, 20)  # warm-up: connections, template and query caches
    data = {"machine": machine(), "articles": TOTAL, "results": measure(args.searches, args.pages)}
    print(save("helpcenter", data))
    import json

    print(json.dumps(data["results"], indent=2))


if __name__ == "__main__":
    main()
