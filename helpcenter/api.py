"""Chatwoot's help center API: /api/v1/accounts/{id}/portals, …/portals/{slug}/categories, …/articles.

Portals are addressed by slug, as in Chatwoot. Writes to portals and categories need an administrator;
articles may be written by portal members too (agents of other portals get 404, as for any hidden object).
"""

from django.http import Http404

from autonomia.api import (api_view, bool_param, int_param, page_param, require_administrator, str_param,
                           unprocessable)
from helpcenter import actions, payloads, queries
from helpcenter.models import Article, Portal

PER_PAGE = 25
STATUSES = {"draft": Article.Status.DRAFT, "published": Article.Status.PUBLISHED,
            "archived": Article.Status.ARCHIVED, "0": 0, "1": 1, "2": 2}


def _member(request):
    if request.account_user is None:
        raise Http404
    return request.account_user


def _portal_fields(data) -> dict:
    fields = {}
    for name, length in (("name", 255), ("slug", 100), ("custom_domain", 255), ("color", 7), ("header_text", 255),
                         ("page_title", 255), ("homepage_link", 200)):
        if name in data:
            fields[name] = str_param(data, name, max_length=length) or ""
    config = data.get("config") if isinstance(data.get("config"), dict) else {}
    if "default_locale" in config:
        fields["default_locale"] = str_param(config, "default_locale", max_length=10)
    if "allowed_locales" in config:
        locales = config["allowed_locales"]
        if not isinstance(locales, list):
            raise unprocessable("config.allowed_locales must be a list", ["config"])
        fields["locales"] = [str(code.get("code") if isinstance(code, dict) else code) for code in locales]
    if "archived" in data:
        fields["archived"] = bool_param(data, "archived")
    return fields


@api_view(["GET", "POST"])
def portals(request):
    member = _member(request)
    if request.method == "GET":
        found = list(queries.visible_portals(member))
        return {"payload": [payloads.portal_payload(p) for p in found],
                "meta": {"current_page": 1, "portals_count": len(found)}}
    require_administrator(request)
    fields = _portal_fields(request.data)
    name = fields.pop("name", "")
    portal = actions.create_portal(request.account, actor=request.user, name=name, **fields)
    return payloads.portal_payload(portal)


@api_view(["GET", "PATCH", "PUT", "DELETE"])
def portal_detail(request, portal_slug):
    portal = queries.access_portal_by_slug(_member(request), portal_slug)
    if request.method == "GET":
        return payloads.portal_payload(portal)
    require_administrator(request)
    if request.method == "DELETE":
        actions.delete_portal(portal, actor=request.user)
        return None
    actions.update_portal(portal, actor=request.user, **_portal_fields(request.data))
    return payloads.portal_payload(portal)


@api_view(["PATCH"])
def portal_archive(request, portal_slug):
    portal = queries.access_portal_by_slug(_member(request), portal_slug)
    require_administrator(request)
    actions.update_portal(portal, actor=request.user, archived=True)
    return payloads.portal_payload(portal)


@api_view(["DELETE"])
def portal_logo(request, portal_slug):
    portal = queries.access_portal_by_slug(_member(request), portal_slug)
    require_administrator(request)
    actions.update_portal(portal, actor=request.user, logo=False)
    return None


# --- Categories -----------------------------------------------------------------------------

def _category_fields(request, portal: Portal) -> dict:
    data = request.data.get("category") if isinstance(request.data.get("category"), dict) else request.data
    fields = {}
    for name, length in (("name", 255), ("slug", 100), ("locale", 10), ("description", 5000), ("icon", 16)):
        if name in data:
            fields[name] = str_param(data, name, max_length=length) or ""
    for key, attr in (("parent_category_id", "parent"), ("associated_category_id", "associated_category")):
        if key in data:
            value = int_param(data, key)
            fields[attr] = queries.access_category(request.account_user, value, portal=portal) if value else None
    if "related_category_ids" in data:
        ids = data["related_category_ids"] if isinstance(data["related_category_ids"], list) else []
        fields["related"] = [queries.access_category(request.account_user, i, portal=portal) for i in ids]
    return fields


@api_view(["GET", "POST"])
def categories(request, portal_slug):
    portal = queries.access_portal_by_slug(_member(request), portal_slug)
    if request.method == "GET":
        found = list(queries.portal_categories(portal, request.GET.get("locale") or None))
        return {"payload": [payloads.category_payload(c) for c in found],
                "meta": {"current_page": 1, "categories_count": len(found)}}
    require_administrator(request)
    fields = _category_fields(request, portal)
    category = actions.create_category(portal, actor=request.user, name=fields.pop("name", ""), **fields)
    return {"payload": payloads.category_payload(category)}


@api_view(["GET", "PATCH", "PUT", "DELETE"])
def category_detail(request, portal_slug, category_id):
    portal = queries.access_portal_by_slug(_member(request), portal_slug)
    category = queries.access_category(request.account_user, category_id, portal=portal)
    if request.method == "GET":
        return {"payload": payloads.category_payload(category)}
    require_administrator(request)
    if request.method == "DELETE":
        actions.delete_category(category, actor=request.user)
        return None
    actions.update_category(category, actor=request.user, **_category_fields(request, portal))
    return {"payload": payloads.category_payload(category)}


# --- Articles -------------------------------------------------------------------------------

def _article_fields(request, portal: Portal) -> dict:
    data = request.data.get("article") if isinstance(request.data.get("article"), dict) else request.data
    fields = {}
    for name, length in (("title", 255), ("slug", 150), ("description", 300), ("content", 150_000), ("locale", 10)):
        if name in data:
            fields[name] = str_param(data, name, max_length=length) or ""
    if "status" in data:
        status = str(data["status"])
        if status not in STATUSES:
            raise unprocessable("status must be draft, published or archived", ["status"])
        fields["status"] = STATUSES[status]
    if "category_id" in data:
        value = int_param(data, "category_id")
        fields["category"] = queries.access_category(request.account_user, value, portal=portal) if value else None
    if "associated_article_id" in data:
        value = int_param(data, "associated_article_id")
        fields["associated_article"] = (queries.access_article(request.account_user, value, portal=portal)
                                        if value else None)
    if "position" in data:
        fields["position"] = int_param(data, "position")
    if "meta" in data:
        if not isinstance(data["meta"], dict):
            raise unprocessable("meta must be an object", ["meta"])
        fields["meta"] = data["meta"]
    return fields


@api_view(["GET", "POST"])
def articles(request, portal_slug):
    portal = queries.access_portal_by_slug(_member(request), portal_slug)
    if request.method == "GET":
        status = request.GET.get("status")
        qs = queries.portal_articles(
            portal, locale=request.GET.get("locale") or None, status=STATUSES.get(status) if status else None,
            category_id=request.GET.get("category_slug") and portal.categories.filter(
                slug=request.GET["category_slug"]).values_list("pk", flat=True).first() or None,
            query=(request.GET.get("query") or "")[:100],
            author_id=request.user.pk if request.GET.get("author_id") == "me" else None)
        page = page_param(request)
        found = list(qs[(page - 1) * PER_PAGE: page * PER_PAGE])
        counts = queries.article_counts(portal)
        return {"payload": [payloads.article_payload(a) for a in found],
                "meta": {"current_page": page, "articles_count": len(found), "all_articles_count": counts["all"],
                         "published_count": counts["published"], "draft_articles_count": counts["draft"],
                         "archived_articles_count": counts["archived"]}}
    fields = _article_fields(request, portal)
    article = actions.create_article(portal, actor=request.user, title=fields.pop("title", ""), **fields)
    return {"payload": payloads.article_payload(article)}


@api_view(["GET", "PATCH", "PUT", "DELETE"])
def article_detail(request, portal_slug, article_id):
    portal = queries.access_portal_by_slug(_member(request), portal_slug)
    article = queries.access_article(request.account_user, article_id, portal=portal)
    if request.method == "GET":
        return {"payload": payloads.article_payload(article)}
    if request.method == "DELETE":
        actions.delete_article(article, actor=request.user)
        return None
    actions.update_article(article, actor=request.user, **_article_fields(request, portal))
    return {"payload": payloads.article_payload(article)}


@api_view(["POST"])
def articles_reorder(request, portal_slug):
    """Chatwoot's `{"positions_hash": {"<id>": position}}`: articles sorted by the given positions."""
    portal = queries.access_portal_by_slug(_member(request), portal_slug)
    positions = request.data.get("positions_hash")
    if not isinstance(positions, dict):
        raise unprocessable("positions_hash must be an object of article id → position", ["positions_hash"])
    try:
        ordered = sorted(((int(v), int(k)) for k, v in positions.items()))
    except (TypeError, ValueError):
        raise unprocessable("positions_hash must map ids to integers", ["positions_hash"]) from None
    actions.reorder_articles(portal, actor=request.user, ids=[pk for _, pk in ordered])
    return None
