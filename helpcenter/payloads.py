"""Chatwoot's JSON shapes for portals, categories and articles (app/views/api/v1/accounts/…jbuilder)."""

from autonomia.api import epoch
from helpcenter import queries
from helpcenter.models import Article, Category, Portal


def portal_payload(portal: Portal) -> dict:
    counts = queries.article_counts(portal)
    return {
        "id": portal.pk, "color": portal.color, "custom_domain": portal.custom_domain, "header_text": portal.header_text,
        "homepage_link": portal.homepage_link, "name": portal.name, "page_title": portal.page_title,
        "slug": portal.slug, "archived": portal.archived, "account_id": portal.account_id,
        "config": {"allowed_locales": [{"code": code} for code in portal.allowed_locales],
                   "default_locale": portal.default_locale},
        "visibility": Portal.Visibility(portal.visibility).name.lower(),
        "inbox_id": portal.inbox_id,
        "logo": {"file_url": f"/hc/{portal.slug}/logo"} if portal.logo else None,
        "meta": {"all_articles_count": counts["all"], "archived_articles_count": counts["archived"],
                 "published_count": counts["published"], "draft_articles_count": counts["draft"],
                 "categories_count": portal.categories.count(), "default_locale": portal.default_locale},
    }


def _category_ref(category: Category | None) -> dict | None:
    if category is None:
        return None
    return {"id": category.pk, "name": category.name, "slug": category.slug, "locale": category.locale}


def category_payload(category: Category) -> dict:
    return {
        "id": category.pk, "name": category.name, "slug": category.slug, "locale": category.locale,
        "description": category.description, "position": category.position, "icon": category.icon,
        "account_id": category.portal.account_id, "portal_id": category.portal_id,
        "associated_category_id": category.associated_category_id,
        "linked_categories": [_category_ref(c) for c in category.related.all()],
        "parent_category": _category_ref(category.parent),
        "meta": {"articles_count": category.articles.count()},
    }


def article_payload(article: Article) -> dict:
    author = article.author
    return {
        "id": article.pk, "category_id": article.category_id, "title": article.title, "slug": article.slug,
        "content": article.content, "description": article.description,
        "status": Article.Status(article.status).name.lower(), "locale": article.locale,
        "position": article.position, "account_id": article.portal.account_id, "portal_id": article.portal_id,
        "updated_at": epoch(article.updated_at), "views": article.views, "meta": article.meta,
        "associated_article_id": article.associated_article_id,
        "category": _category_ref(article.category),
        "author": {"id": author.pk, "name": author.name, "available_name": author.available_name,
                   "email": author.email} if author else None,
    }
