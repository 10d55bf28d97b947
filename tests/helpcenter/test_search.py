"""search_articles: Portuguese full-text search with accents, typos, ranking, locales and visibility."""

import pytest

from helpcenter import actions
from helpcenter.models import Article
from helpcenter.queries import Reader, search_articles
from tests.helpcenter.conftest import publish

pytestmark = pytest.mark.django_db


@pytest.fixture
def articles(portal, admin, article):
    publish(portal, admin, "Prazo de entrega", "Entregamos em até 5 dias úteis para todo o Brasil.")
    publish(portal, admin, "Formas de pagamento", "Aceitamos cartão, boleto e Pix.")
    publish(portal, admin, "Return policy", "You can return a product within 7 days.", locale="en")
    actions.create_article(portal, actor=admin, title="Rascunho sobre devolução", content="não publicado")
    return article


@pytest.mark.parametrize("query", ["devolução", "devolucao", "devoluçao", "devolucão", "DEVOLUCAO", "devol",
                                   "devolusao", "devoluçaõ", "devolucoa"])
def test_accents_typos_and_prefixes_find_devolucao(portal, articles, query):
    hits = search_articles(portal, query)
    assert [hit.article.title for hit in hits] == ["Como pedir a devolução de um produto"], query


def test_snippets_highlight_the_matched_words_and_escape_the_rest(portal, articles, admin):
    publish(portal, admin, "Cupom <b>grátis</b>", "Use o cupom <script>x</script> na devolução & troca.")
    hits = search_articles(portal, "cupom")
    assert hits[0].title_html == "<mark>Cupom</mark> &lt;b&gt;grátis&lt;/b&gt;"
    assert "<mark>cupom</mark>" in hits[0].snippet_html and "&amp; troca" in hits[0].snippet_html
    assert "<script" not in hits[0].snippet_html and "<b>" not in hits[0].snippet_html


def test_title_matches_rank_above_body_matches_and_helpfulness_breaks_ties(portal, admin, article):
    body = publish(portal, admin, "Trocas", "Para a devolução, veja o artigo de devolução.")
    hits = search_articles(portal, "devolução")
    assert hits[0].article == article and hits[1].article == body
    twin_a = publish(portal, admin, "Garantia estendida", "garantia")
    twin_b = publish(portal, admin, "Garantia do fabricante", "garantia")
    for n in range(3):
        actions.record_feedback(twin_b, reader_key=f"r{n}", helpful=True)
    actions.record_feedback(twin_a, reader_key="x", helpful=False)
    assert [h.article for h in search_articles(portal, "garantia")] == [twin_b, twin_a]


def test_all_words_must_match_unless_none_does(portal, articles):
    assert [h.article.title for h in search_articles(portal, "prazo entrega")] == ["Prazo de entrega"]
    # nothing has both words: any word may match
    titles = {h.article.title for h in search_articles(portal, "pix entrega")}
    assert titles == {"Prazo de entrega", "Formas de pagamento"}


def test_drafts_and_other_locales_are_not_found(portal, articles):
    assert all(h.article.status == Article.Status.PUBLISHED for h in search_articles(portal, "devolução"))
    assert [h.article.title for h in search_articles(portal, "return", locale="en")] == ["Return policy"]
    assert search_articles(portal, "return", locale="pt-BR") == []
    assert search_articles(portal, "") == [] and search_articles(portal, "!!! ??") == []


def test_restricted_and_password_portals_return_nothing_to_outsiders(private_portal, password_portal, account,
                                                                     admin):
    from autonomia.models import AccountUser

    for portal in (private_portal, password_portal):
        assert search_articles(portal, "devolução") == []
        assert search_articles(portal, "devolução", viewer=Reader(False)) == []
        assert len(search_articles(portal, "devolução", viewer=Reader(True))) == 1
        member = AccountUser.objects.get(account=account, user=admin)
        assert len(search_articles(portal, "devolucao", viewer=member)) == 1


def test_another_accounts_member_does_not_read_a_restricted_portal(private_portal, outsider):
    from autonomia.models import AccountUser

    assert search_articles(private_portal, "devolução", viewer=AccountUser.objects.get(user=outsider)) == []


def test_a_search_costs_three_queries_then_two_once_the_typo_lookup_is_cached(portal, articles,
                                                                           django_assert_num_queries):
    with django_assert_num_queries(3):  # typo corrections, ranking, the articles with their highlights
        hits = search_articles(portal, "devolusao")
    assert [hit.article.title for hit in hits] == ["Como pedir a devolução de um produto"]
    with django_assert_num_queries(2):
        assert [hit.article for hit in search_articles(portal, "devolusao")] == [hits[0].article]


def test_a_word_published_after_its_lookup_was_cached_is_found_at_once(portal, articles, admin):
    assert search_articles(portal, "reembolso") == []
    publish(portal, admin, "Reembolso no cartão", "O reembolso aparece na próxima fatura.")
    assert [hit.article.title for hit in search_articles(portal, "reembolso")] == ["Reembolso no cartão"]


def test_only_the_best_candidates_are_ranked_but_every_page_is_reachable(portal, admin, monkeypatch):
    from helpcenter import search

    for n in range(4):
        publish(portal, admin, f"Artigo {n}", "Fale com a loja sobre a garantia.")
    titled = publish(portal, admin, "Garantia do produto", "Detalhes do prazo.")
    monkeypatch.setattr(search, "CANDIDATES", 2)
    assert search_articles(portal, "garantia", limit=1)[0].article == titled  # a title match is a candidate
    assert len(search_articles(portal, "garantia", limit=10)) == 5  # never fewer candidates than offset + limit
    assert len(search_articles(portal, "garantia", limit=2, offset=4)) == 1


def test_an_edited_title_counts_for_the_candidates_at_once(portal, admin, monkeypatch):
    from helpcenter import search

    first = publish(portal, admin, "Trocas", "A garantia cobre defeitos.")
    second = publish(portal, admin, "Prazos", "A garantia vale um ano.")
    monkeypatch.setattr(search, "CANDIDATES", 1)
    assert search_articles(portal, "garantia", limit=1)[0].article == first
    actions.update_article(second, actor=admin, title="Garantia de um ano")
    assert search_articles(portal, "garantia", limit=1)[0].article == second
