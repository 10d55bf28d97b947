"""Chatwoot's help center API: portals, categories, articles; permissions and hidden objects."""

import pytest

from helpcenter import actions
from helpcenter.models import Article, Category, PortalMember
from tests.api.client import call

pytestmark = pytest.mark.django_db


@pytest.fixture
def base(account):
    return f"/api/v1/accounts/{account.pk}/portals"


def test_portal_crud_and_shapes(admin, base):
    response = call(admin, "POST", base, {"name": "Central", "slug": "central", "color": "#112233",
                                          "config": {"default_locale": "pt-BR", "allowed_locales": ["pt-BR", "en"]}})
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["slug"] == "central" and body["config"]["allowed_locales"] == [{"code": "pt-BR"}, {"code": "en"}]
    assert body["meta"]["all_articles_count"] == 0
    listing = call(admin, "GET", base).json()
    assert listing["meta"]["portals_count"] == 1 and listing["payload"][0]["name"] == "Central"
    assert call(admin, "PATCH", f"{base}/central", {"header_text": "Olá"}).json()["header_text"] == "Olá"
    assert call(admin, "PATCH", f"{base}/central/archive").json()["archived"] is True
    duplicate = call(admin, "POST", base, {"name": "Outra", "slug": "central"})
    assert duplicate.status_code == 422 and duplicate.json()["attributes"] == ["slug"]
    assert call(admin, "DELETE", f"{base}/central").status_code == 200
    assert call(admin, "GET", f"{base}/central").status_code == 404


def test_categories_and_articles_crud(admin, base, portal):
    created = call(admin, "POST", f"{base}/ajuda/categories", {"name": "Pagamentos", "locale": "pt-BR"}).json()
    category_id = created["payload"]["id"]
    assert created["payload"]["slug"] == "pagamentos"
    article = call(admin, "POST", f"{base}/ajuda/articles", {
        "title": "Pix", "content": "Pague com **Pix**.", "category_id": category_id, "status": "published"}).json()
    assert article["payload"]["status"] == "published" and article["payload"]["category"]["id"] == category_id
    article_id = article["payload"]["id"]
    same_slug = call(admin, "POST", f"{base}/ajuda/articles", {"title": "Outro", "slug": "pix"})
    assert same_slug.status_code == 422 and same_slug.json()["attributes"] == ["slug"]
    listing = call(admin, "GET", f"{base}/ajuda/articles?status=published").json()
    assert [a["id"] for a in listing["payload"]] == [article_id] and listing["meta"]["published_count"] == 1
    updated = call(admin, "PATCH", f"{base}/ajuda/articles/{article_id}", {"title": "Pix e boleto"}).json()
    assert updated["payload"]["title"] == "Pix e boleto"
    assert call(admin, "DELETE", f"{base}/ajuda/categories/{category_id}").status_code == 200
    kept = Article.objects.get(pk=article_id)
    assert kept.category_id is None  # a deleted category keeps its articles, uncategorised


def test_reorder_articles(admin, base, portal):
    first = actions.create_article(portal, actor=admin, title="A")
    second = actions.create_article(portal, actor=admin, title="B")
    response = call(admin, "POST", f"{base}/ajuda/articles/reorder",
                    {"positions_hash": {str(first.pk): 2, str(second.pk): 1}})
    assert response.status_code == 200
    assert list(portal.articles.order_by("position").values_list("title", flat=True)) == ["B", "A"]


def test_agents_write_articles_only_in_their_portals(agent, admin, base, portal):
    assert call(agent, "GET", f"{base}/ajuda").status_code == 404
    PortalMember.objects.create(portal=portal, user=agent)
    assert call(agent, "POST", f"{base}/ajuda/articles", {"title": "Do agente"}).status_code == 200
    assert call(agent, "POST", f"{base}/ajuda/categories", {"name": "X"}).status_code == 401
    assert call(agent, "PATCH", f"{base}/ajuda", {"name": "X"}).status_code == 401


def test_another_accounts_token_gets_404_everywhere(outsider, admin, account, base, portal, category, article):
    paths = [("GET", f"{base}/ajuda"), ("PATCH", f"{base}/ajuda"), ("GET", f"{base}/ajuda/categories"),
             ("GET", f"{base}/ajuda/categories/{category.pk}"), ("GET", f"{base}/ajuda/articles"),
             ("GET", f"{base}/ajuda/articles/{article.pk}"), ("DELETE", f"{base}/ajuda/articles/{article.pk}"),
             ("POST", f"{base}/ajuda/articles/reorder")]
    for method, path in paths:
        response = call(outsider, method, path, None if method == "GET" else {})
        assert response.status_code == 404, (method, path)
        assert response.json() == {"error": "Resource could not be found"}
    own = f"/api/v1/accounts/{outsider.account_users.get().account_id}/portals/ajuda"
    assert call(outsider, "GET", own).status_code == 404
    assert Article.objects.filter(pk=article.pk).exists() and Category.objects.filter(pk=category.pk).exists()


def test_an_article_created_with_a_position_keeps_it(admin, base, portal):
    """Found by schemathesis: `position` in a create body used to be a 500."""
    response = call(admin, "POST", f"{base}/ajuda/articles", {"title": "Troca", "position": 7})
    assert response.status_code == 200, response.content
    assert Article.objects.get(pk=response.json()["payload"]["id"]).position == 7
