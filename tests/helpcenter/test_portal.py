"""The public portal: pages, SEO, visibility rules, feedback, search pages and JSON, custom domains."""

import re

import pytest

from helpcenter import actions
from helpcenter.models import Article, ArticleFeedback, SearchTerm
from tests.helpcenter.conftest import publish

pytestmark = pytest.mark.django_db


def test_home_category_and_article_pages(client, portal, category, article):
    assert client.get("/hc/ajuda/").headers["Location"] == "/hc/ajuda/pt-BR/"
    home = client.get("/hc/ajuda/pt-BR/").content.decode()
    assert "Pedidos" in home and "Como pedir a devolução de um produto" in home and "Como podemos ajudar?" in home
    page = client.get("/hc/ajuda/pt-BR/categories/pedidos/").content.decode()
    assert "Como pedir a devolução" in page
    response = client.get("/hc/ajuda/pt-BR/articles/como-pedir-a-devolucao-de-um-produto/")
    html = response.content.decode()
    assert response.status_code == 200
    assert '<h2 id="h-prazo">Prazo</h2>' in html and 'href="#h-como-pedir"' in html  # table of contents
    assert '<link rel="canonical" href="http://testserver/hc/ajuda/pt-BR/articles/como-pedir-a-devolucao-de-um-produto/">' in html
    assert 'property="og:title" content="Como pedir a devolução de um produto"' in html
    assert "Was this article helpful?" in html or "Este artigo foi útil?" in html
    assert "frame-src 'self' https://www.youtube-nocookie.com" in response["Content-Security-Policy"]
    article.refresh_from_db()
    assert article.views == 1


def test_drafts_archived_and_unknown_locales_are_404(client, portal, admin, article):
    draft = actions.create_article(portal, actor=admin, title="Rascunho")
    assert client.get(f"/hc/ajuda/pt-BR/articles/{draft.slug}/").status_code == 404
    assert client.get("/hc/ajuda/xx/").status_code == 404
    actions.set_article_status(article, actor=admin, status=Article.Status.ARCHIVED)
    assert client.get(f"/hc/ajuda/pt-BR/articles/{article.slug}/").status_code == 404
    assert client.get("/hc/nao-existe/pt-BR/").status_code == 404


def test_translations_get_hreflang_and_the_locale_less_url_redirects(client, portal, admin, article):
    english = actions.create_translation(article, actor=admin, locale="en")
    actions.update_article(english, actor=admin, title="How to return a product", slug="return-a-product",
                           status=Article.Status.PUBLISHED)
    html = client.get(f"/hc/ajuda/pt-BR/articles/{article.slug}/").content.decode()
    assert 'hreflang="en" href="http://testserver/hc/ajuda/en/articles/return-a-product/"' in html
    assert client.get("/hc/ajuda/articles/return-a-product/").headers["Location"] == \
        "/hc/ajuda/en/articles/return-a-product/"


def test_sitemap_and_robots_of_a_public_portal(client, portal, category, article, admin):
    actions.create_article(portal, actor=admin, title="Rascunho secreto")
    xml = client.get("/hc/ajuda/sitemap.xml").content.decode()
    assert f"http://testserver/hc/ajuda/pt-BR/articles/{article.slug}/" in xml
    assert "/categories/pedidos/" in xml and "rascunho" not in xml
    assert "Sitemap: http://testserver/hc/ajuda/sitemap.xml" in client.get("/hc/ajuda/robots.txt").content.decode()


@pytest.mark.parametrize("fixture", ["private_portal", "password_portal"])
def test_closed_portals_leak_nothing(client, request, fixture):
    portal = request.getfixturevalue(fixture)
    base = f"/hc/{portal.slug}"
    article = portal.articles.get()
    for url in (f"{base}/pt-BR/", f"{base}/pt-BR/articles/{article.slug}/", f"{base}/pt-BR/search/?q=devolução",
                f"{base}/pt-BR/articles.json?query=devolução"):
        response = client.get(url)
        assert response.status_code == 403, url
        assert "devolução" not in response.content.decode().lower(), url
    assert "<url>" not in client.get(f"{base}/sitemap.xml").content.decode()
    assert "Disallow: /" in client.get(f"{base}/robots.txt").content.decode()
    assert client.post(f"{base}/articles/{article.pk}/view").status_code == 403


def test_the_password_opens_a_protected_portal(client, password_portal):
    wrong = client.post("/hc/parceiros/unlock/", {"password": "errada"})
    assert wrong.status_code == 401
    assert client.post("/hc/parceiros/unlock/", {"password": "senha-dos-parceiros"}).status_code == 302
    data = client.get("/hc/parceiros/pt-BR/articles.json?query=devolucao").json()
    assert [a["title"] for a in data["payload"]] == ["Tabela de devolução para parceiros"]


def test_signed_in_members_read_a_restricted_portal(admin_client, outsider_client, private_portal):
    assert admin_client.get("/hc/interno/pt-BR/").status_code == 200
    assert outsider_client.get("/hc/interno/pt-BR/").status_code == 403


def test_feedback_vote_then_comment_and_change_of_mind(client, portal, article):
    url = f"/hc/ajuda/pt-BR/articles/{article.slug}/feedback/"
    response = client.post(url, {"helpful": "0"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200 and 'name="comment"' in response.content.decode()
    client.post(url, {"comment": "Faltou o endereço"}, HTTP_HX_REQUEST="true")
    client.post(url, {"helpful": "1"}, HTTP_HX_REQUEST="true")
    article.refresh_from_db()
    assert (article.helpful_count, article.not_helpful_count) == (1, 0)
    feedback = ArticleFeedback.objects.get()
    assert feedback.helpful and feedback.comment == "Faltou o endereço"


def test_search_page_instant_results_and_analytics_terms(client, portal, article):
    page = client.get("/hc/ajuda/pt-BR/search/?q=devolucao").content.decode()
    assert "<mark>devolução</mark>" in page
    client.cookies.clear()  # another reader types the same search, letter by letter
    for partial in ("de", "devol", "devolucao"):
        client.get(f"/hc/ajuda/pt-BR/search/?q={partial}&instant=1", HTTP_HX_REQUEST="true")
    client.get("/hc/ajuda/pt-BR/search/?q=frete gratis&instant=1", HTTP_HX_REQUEST="true")
    terms = {t.term: (t.searches, t.last_results) for t in SearchTerm.objects.all()}
    assert terms["devolucao"][0] == 2 and terms["frete gratis"] == (1, 0)
    assert "devol" not in terms and "de" not in terms  # a term that grows replaces its prefix


def test_json_search_for_the_widget_and_view_recording(client, portal, article):
    data = client.get("/hc/ajuda/pt-BR/articles.json?query=devoluçao&per_page=5").json()
    assert data["payload"][0]["id"] == article.pk
    assert data["payload"][0]["link"].endswith(f"/hc/ajuda/pt-BR/articles/{article.slug}/")
    assert "<mark>" in data["payload"][0]["snippet_html"]
    assert client.post(f"/hc/ajuda/articles/{article.pk}/view").status_code == 204
    article.refresh_from_db()
    assert article.widget_views == 1


def test_custom_domain_serves_the_portal_at_the_root(client, portal, article, admin, settings):
    settings.ALLOWED_HOSTS = ["*"]
    actions.update_portal(portal, actor=admin, custom_domain="ajuda.loja.com.br")
    response = client.get(f"/pt-BR/articles/{article.slug}/", HTTP_HOST="ajuda.loja.com.br")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'href="/pt-BR/"' in html and "/hc/ajuda" not in html
    assert f"http://ajuda.loja.com.br/pt-BR/articles/{article.slug}/" in client.get(
        "/sitemap.xml", HTTP_HOST="ajuda.loja.com.br").content.decode()
    assert client.get("/pt-BR/", HTTP_HOST="outro.example.com").status_code == 404


def test_xss_payloads_are_sanitised(client, portal, admin):
    payloads = ('<script>alert(1)</script>\n\n<img src=x onerror=alert(1)>\n\n[clique](javascript:alert(1))\n\n'
                '![x](javascript:alert(1))\n\n<iframe src="https://evil.example"></iframe>\n\n'
                '[a](JaVaScRiPt:alert(1)) <a href="x" onclick="alert(1)">x</a> <svg onload=alert(1)>')
    article = publish(portal, admin, "XSS <b>title</b>", payloads)
    html = client.get(f"/hc/ajuda/pt-BR/articles/{article.slug}/").content.decode()
    body = html.split('class="hc-prose">')[1].split("</div>")[0]
    lowered = " ".join(re.findall(r"<[^>]*>", body)).lower()  # the tags only: escaped text is harmless
    for bad in ("<script", "<iframe", "<svg", "<img src=\"x\"", 'href="javascript', "src=\"javascript", " onerror=\"",
                " onclick=\"", " onload=\""):
        assert bad not in lowered, bad
    assert "&lt;script&gt;" in body  # shown as text, never run
    assert "XSS &lt;b&gt;title&lt;/b&gt;" in html


def test_a_cached_article_page_costs_three_queries(client, portal, category, article, admin, inbox,
                                                   django_assert_num_queries):
    from inboxes.models import WebWidgetChannel

    widget = WebWidgetChannel.objects.create(inbox=inbox)
    actions.update_portal(portal, actor=admin, inbox=inbox)
    publish(portal, admin, "Prazo de entrega", "Entregamos em 5 dias.", category=category)
    url = f"/hc/ajuda/pt-BR/articles/{article.slug}/"
    client.get(url)  # renders the body and looks up the related articles once
    with django_assert_num_queries(3):  # the portal (with its widget), the article, the view count
        html = client.get(url).content.decode()
    assert "Prazo de entrega" in html and f'data-website-token="{widget.website_token}"' in html
    assert "7 dias" in html


def test_article_pages_show_edits_and_unpublished_related_articles_at_once(
        client, portal, category, article, admin, django_capture_on_commit_callbacks):
    other = publish(portal, admin, "Prazo de entrega", "Entregamos em 5 dias.", category=category)
    url = f"/hc/ajuda/pt-BR/articles/{article.slug}/"
    assert "Prazo de entrega" in client.get(url).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        actions.update_article(other, actor=admin, title="Prazo de envio")
    html = client.get(url).content.decode()
    assert "Prazo de envio" in html and "Prazo de entrega" not in html
    with django_capture_on_commit_callbacks(execute=True):
        actions.set_article_status(other, actor=admin, status=Article.Status.DRAFT)
    assert "Prazo de envio" not in client.get(url).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        actions.update_article(article, actor=admin, content="## Novo prazo\nAgora são 30 dias.")
    html = client.get(url).content.decode()
    assert '<h2 id="h-novo-prazo">Novo prazo</h2>' in html and "Agora são 30 dias." in html and "7 dias" not in html


def test_a_signed_in_member_reads_a_public_portal_without_a_membership_lookup(admin_client, portal, article):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    url = f"/hc/ajuda/pt-BR/articles/{article.slug}/"
    admin_client.get(url)
    with CaptureQueriesContext(connection) as queries:
        assert admin_client.get(url).status_code == 200
    assert not [q for q in queries.captured_queries if "autonomia_accountuser" in q["sql"]]


def test_the_widget_json_search_costs_three_queries(client, portal, article, django_assert_num_queries):
    url = "/hc/ajuda/pt-BR/articles.json?query=devoluçao&record=0"
    client.get(url)  # caches the typo lookup
    with django_assert_num_queries(3):  # the portal, the ranking, the articles with their highlights
        data = client.get(url).json()
    assert [a["title"] for a in data["payload"]] == ["Como pedir a devolução de um produto"]
