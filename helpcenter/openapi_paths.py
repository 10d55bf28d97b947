"""The help center's part of the OpenAPI document (merged by autonomia/openapi.py)."""

from autonomia.openapi import ACCOUNT, ID, PAGE, body, operation, props, query
from autonomia.openapi_components import BOOL, INT, OBJ, STR, array, enum, null

TAG = "Help center"
NULL_INT = {"type": ["integer", "string", "null"]}


def _loose(**fields) -> dict:
    return {"type": "object", "properties": fields}


PORTAL = _loose(id=INT, name=STR, slug=STR, color=STR, custom_domain=null(STR), header_text=STR, page_title=STR,
                homepage_link=STR, archived=BOOL, account_id=INT, config=OBJ, meta=OBJ, logo=null(OBJ),
                visibility=STR, inbox_id=null(INT))
CATEGORY = _loose(id=INT, name=STR, slug=STR, locale=STR, description=STR, position=INT, icon=STR, account_id=INT,
                  portal_id=INT, linked_categories=array(OBJ), parent_category=null(OBJ), meta=OBJ)
ARTICLE = _loose(id=INT, title=STR, slug=STR, content=STR, description=STR, status=STR, locale=STR, position=INT,
                 category_id=null(INT), account_id=INT, portal_id=INT, updated_at=INT, views=INT, meta=OBJ,
                 associated_article_id=null(INT), category=null(OBJ), author=null(OBJ))
PORTAL_FIELDS = props(name=STR, slug=STR, custom_domain=null(STR), color=STR, header_text=STR, page_title=STR,
                      homepage_link=STR, archived=BOOL,
                      config=props(default_locale=STR, allowed_locales=array({"type": ["string", "object"]})))
CATEGORY_FIELDS = props(name=STR, slug=STR, locale=STR, description=STR, icon=STR, parent_category_id=NULL_INT,
                        associated_category_id=NULL_INT, related_category_ids=array(INT))
ARTICLE_FIELDS = props(title=STR, slug=STR, content=STR, description=STR, locale=STR,
                       status=enum("draft", "published", "archived"), category_id=NULL_INT,
                       associated_article_id=NULL_INT, position=INT, meta=OBJ)


def helpcenter_paths() -> dict:
    acc = ID("account_id")
    slug = {"name": "portal_slug", "in": "path", "required": True, "schema": {"type": "string", "pattern": "^[^/]+$"},
            "description": "The portal's slug."}
    P = ACCOUNT + "/portals/{portal_slug}"
    T = {"tag": TAG}
    payload = lambda schema: _loose(payload=schema)  # noqa: E731
    return {
        ACCOUNT + "/portals": {
            "parameters": [acc],
            "get": operation("List portals", _loose(payload=array(PORTAL), meta=OBJ), errors=(404,), **T),
            "post": operation("Create a portal (administrators)", PORTAL, request=body(
                {**PORTAL_FIELDS, "required": ["name"]}, example={"name": "Central de Ajuda", "slug": "ajuda-api"}),
                **T)},
        P: {
            "parameters": [acc, slug],
            "get": operation("Show a portal", PORTAL, errors=(404,), **T),
            **{m: operation("Update a portal (administrators)", PORTAL, request=body(PORTAL_FIELDS), **T)
               for m in ("patch", "put")},
            "delete": operation("Delete a portal (administrators)", None, **T)},
        P + "/archive": {"parameters": [acc, slug],
                         "patch": operation("Archive a portal (administrators)", PORTAL, **T)},
        P + "/logo": {"parameters": [acc, slug], "delete": operation("Remove the portal's logo", None, **T)},
        P + "/categories": {
            "parameters": [acc, slug],
            "get": operation("List categories", _loose(payload=array(CATEGORY), meta=OBJ),
                             params=(query("locale", STR),), errors=(404,), **T),
            "post": operation("Create a category (administrators)", payload(CATEGORY), request=body(
                {**CATEGORY_FIELDS, "required": ["name"]}, example={"name": "Pedidos", "locale": "pt-BR"}), **T)},
        P + "/categories/{category_id}": {
            "parameters": [acc, slug, ID("category_id")],
            "get": operation("Show a category", payload(CATEGORY), errors=(404,), **T),
            **{m: operation("Update a category (administrators)", payload(CATEGORY), request=body(CATEGORY_FIELDS),
                            **T) for m in ("patch", "put")},
            "delete": operation("Delete a category (its articles become uncategorised)", None, **T)},
        P + "/articles": {
            "parameters": [acc, slug],
            "get": operation("List articles", _loose(payload=array(ARTICLE), meta=OBJ), errors=(404,), params=(
                query("locale", STR), query("status", enum("draft", "published", "archived")),
                query("category_slug", STR), query("query", STR), query("author_id", STR), PAGE), **T),
            "post": operation("Create an article", payload(ARTICLE), request=body(
                {**ARTICLE_FIELDS, "required": ["title"]}, example={"title": "Como trocar", "content": "Texto"}),
                **T)},
        P + "/articles/reorder": {
            "parameters": [acc, slug],
            "post": operation("Reorder articles", None, request=body(
                {**props(positions_hash=OBJ), "required": ["positions_hash"]}, form=False), **T)},
        P + "/articles/{article_id}": {
            "parameters": [acc, slug, ID("article_id")],
            "get": operation("Show an article", payload(ARTICLE), errors=(404,), **T),
            **{m: operation("Update an article", payload(ARTICLE), request=body(ARTICLE_FIELDS), **T)
               for m in ("patch", "put")},
            "delete": operation("Delete an article", None, **T)},
    }
