"""The public portal: /hc/<portal_slug>/… or the same paths at the root of a portal's custom domain.

Every page goes through `portal_view`, which resolves the portal (by slug, or by Host via
`helpcenter.middleware`), decides whether this browser may read it (`queries.portal_reader`) and shows the
password or sign-in gate otherwise. Links inside the portal are built from `hc_base` ("/hc/<slug>" or "" on
a custom domain), so the same templates serve both.
"""

import functools
import secrets

from django.conf import settings
from django.contrib.auth.hashers import check_password
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.csp import csp_override
from django.views.decorators.http import require_GET, require_POST

from helpcenter import actions, queries
from helpcenter.models import LOCALE_NAMES, Article, Portal
from helpcenter.rendering import FRAME_SOURCES

READER_COOKIE = "hc_reader"
SEARCH_COOKIE = "hc_last_search"
SEARCH_PAGE_SIZE = 10
INSTANT_RESULTS = 6
# Article pages may show YouTube/Vimeo players and images from https sources.
ARTICLE_CSP = {**settings.SECURE_CSP, "frame-src": ["'self'", *FRAME_SOURCES], "img-src": [*settings.SECURE_CSP["img-src"], "https:"]}


def portal_view(view=None, *, gate_exempt: bool = False):
    """Resolve the portal and the reader; a reader without access gets the gate page, unless the view is
    `gate_exempt` (robots.txt, sitemap, the password form, logo) and decides itself."""
    if view is None:
        return functools.partial(portal_view, gate_exempt=gate_exempt)

    @functools.wraps(view)
    def wrapper(request: HttpRequest, portal_slug: str | None = None, **kwargs):
        portal = getattr(request, "hc_domain_portal", None) or queries.public_portal(portal_slug)
        request.portal, request.reader = portal, queries.portal_reader(request, portal)
        request.hc_base = "" if getattr(request, "hc_domain_portal", None) else f"/hc/{portal.slug}"
        if "locale" in kwargs and kwargs["locale"] not in portal.allowed_locales:
            raise Http404
        if not request.reader.granted and not gate_exempt:
            return gate(request, portal)
        return view(request, **kwargs)

    return wrapper


def context(request: HttpRequest, locale: str, **extra) -> dict:
    portal = request.portal
    return {"portal": portal, "locale": locale, "hc_base": request.hc_base, "reader": request.reader,
            "locale_name": LOCALE_NAMES.get(locale, locale),
            "locales": [(code, LOCALE_NAMES.get(code, code)) for code in portal.allowed_locales],
            "indexable": portal.is_public, "widget_token": widget_token(portal),
            "absolute_base": request.build_absolute_uri(request.hc_base or "/").rstrip("/"), **extra}


def widget_token(portal: Portal) -> str:
    """The website token of the portal's inbox widget ("Talk to us"), when the inbox is a website inbox."""
    widget = getattr(portal.inbox, "web_widget", None) if portal.inbox_id else None
    return getattr(widget, "website_token", "") or ""


def gate(request: HttpRequest, portal: Portal, *, error: str = "") -> HttpResponse:
    locale = portal.default_locale
    login_url = reverse("login") + "?next=" + request.get_full_path()
    return render(request, "helpcenter/portal/gate.html", context(
        request, locale, error=error, login_url=login_url, indexable=False,
        needs_password=portal.visibility == Portal.Visibility.PASSWORD), status=401 if error else 403)


# --- Pages -----------------------------------------------------------------------------------

@portal_view
@require_GET
def portal_root(request: HttpRequest) -> HttpResponse:
    return redirect(f"{request.hc_base}/{request.portal.default_locale}/")


@portal_view
@require_GET
def home(request: HttpRequest, locale: str) -> HttpResponse:
    portal = request.portal
    return render(request, "helpcenter/portal/home.html", context(
        request, locale, categories=queries.home_categories(portal, locale),
        popular=queries.popular_articles(portal, locale), canonical=f"/{locale}/"))


@portal_view
@require_GET
def category(request: HttpRequest, locale: str, category_slug: str) -> HttpResponse:
    found = queries.public_category(request.portal, locale, category_slug)
    return render(request, "helpcenter/portal/category.html", context(
        request, locale, category=found, articles=queries.category_articles(found),
        canonical=f"/{locale}/categories/{found.slug}/"))


@csp_override(ARTICLE_CSP)
@portal_view
@require_GET
def article(request: HttpRequest, locale: str, article_slug: str) -> HttpResponse:
    found = queries.public_article(request.portal, locale, article_slug)
    actions.record_article_view(found)
    page = queries.article_page(found)
    return render(request, "helpcenter/portal/article.html", context(
        request, locale, article=found, body=page.body, toc=page.toc, related=page.related,
        translations=page.translations, canonical=f"/{locale}/articles/{found.slug}/",
        voted=_previous_vote(request, found)))


@portal_view
@require_GET
def article_redirect(request: HttpRequest, article_slug: str) -> HttpResponse:
    """Chatwoot's locale-less article URL → the canonical one."""
    found = queries.published_article_by_slug(request.portal, article_slug)
    return redirect(f"{request.hc_base}/{found.locale}/articles/{found.slug}/", permanent=True)


# --- Search ----------------------------------------------------------------------------------

def _page(request: HttpRequest) -> int:
    try:
        return max(1, min(int(request.GET.get("page", 1)), 100))
    except ValueError:
        return 1


@portal_view
@require_GET
def search(request: HttpRequest, locale: str) -> HttpResponse:
    """The results page, and (for htmx) the as-you-type dropdown partial."""
    query = request.GET.get("q", "").strip()[:200]
    instant = request.htmx and request.GET.get("instant")
    limit = INSTANT_RESULTS if instant else SEARCH_PAGE_SIZE
    page = _page(request)
    hits = queries.search_articles(request.portal, query, locale=locale, limit=limit + 1,
                                   offset=(page - 1) * limit, viewer=request.reader)
    ctx = context(request, locale, query=query, hits=hits[:limit], has_more=len(hits) > limit, page=page,
                  canonical=f"/{locale}/search/", indexable=False)
    template = "helpcenter/portal/search.html" + ("#instant-results" if instant else "")
    response = render(request, template, ctx)
    _record_search(request, response, locale, query, len(hits))
    return response


@portal_view
@require_GET
def search_json(request: HttpRequest, locale: str) -> JsonResponse:
    """Chatwoot's `/hc/:slug/:locale/articles` JSON: `query`, `page`, `per_page` (≤ 100). Used by the widget."""
    query = (request.GET.get("query") or request.GET.get("q") or "").strip()[:200]
    try:
        per_page = max(1, min(int(request.GET.get("per_page", SEARCH_PAGE_SIZE)), 100))
    except ValueError:
        per_page = SEARCH_PAGE_SIZE
    page = _page(request)
    hits = queries.search_articles(request.portal, query, locale=locale, limit=per_page, offset=(page - 1) * per_page,
                                   viewer=request.reader)
    base = request.build_absolute_uri(request.hc_base or "/").rstrip("/")
    payload = [{"id": hit.article.pk, "title": hit.article.title, "slug": hit.article.slug,
                "locale": hit.article.locale, "description": hit.article.description,
                "title_html": hit.title_html, "snippet_html": hit.snippet_html,
                "category_id": hit.article.category_id, "views": hit.article.views,
                "link": f"{base}/{hit.article.locale}/articles/{hit.article.slug}/"} for hit in hits]
    response = JsonResponse({"payload": payload, "meta": {"current_page": page, "articles_count": len(payload),
                                                          "query": query, "locale": locale}},
                            json_dumps_params={"ensure_ascii": False})
    if request.portal.is_public:
        response["Access-Control-Allow-Origin"] = "*"  # public data, no credentials
    if request.GET.get("record", "1") != "0":
        _record_search(request, response, locale, query, len(payload))
    return response


def _record_search(request: HttpRequest, response: HttpResponse, locale: str, query: str, results: int) -> None:
    """Count the term; the previous term of this browser (a signed cookie) is replaced when this one extends it."""
    if len(query) < 2 or request.GET.get("page", "1") != "1":
        return
    term = " ".join(query.lower().split())[:100]
    previous = request.get_signed_cookie(SEARCH_COOKIE, default="", salt="hc-search")
    prefix = f"{request.portal.pk}:{locale}:"
    replaces = previous[len(prefix):] if previous.startswith(prefix) else ""
    if replaces == term:
        return
    actions.record_search(request.portal, locale=locale, term=term, results=results, replaces=replaces)
    response.set_signed_cookie(SEARCH_COOKIE, prefix + term, salt="hc-search", max_age=120, httponly=True,
                               samesite="Lax")


# --- Reader actions --------------------------------------------------------------------------

def _reader_key(request: HttpRequest) -> str:
    return request.COOKIES.get(READER_COOKIE, "")[:64]


def _previous_vote(request: HttpRequest, found: Article):
    key = _reader_key(request)
    return found.feedback.filter(reader_key=key).first() if key else None


@portal_view
@require_POST
def feedback(request: HttpRequest, locale: str, article_slug: str) -> HttpResponse:
    """'Was this helpful?': the vote, then an optional comment (the same form posts both)."""
    found = queries.public_article(request.portal, locale, article_slug)
    key = _reader_key(request) or secrets.token_urlsafe(24)
    helpful = request.POST.get("helpful")
    if helpful not in ("1", "0"):
        previous = found.feedback.filter(reader_key=key).first()
        if previous is None:
            return HttpResponse(status=400)
        helpful = "1" if previous.helpful else "0"
    vote = actions.record_feedback(found, reader_key=key, helpful=helpful == "1",
                                   comment=request.POST.get("comment", "").strip())
    ctx = context(request, locale, article=found, voted=vote, thanked=bool(request.POST.get("comment")))
    if request.htmx:
        response = render(request, "helpcenter/portal/article.html#feedback", ctx)
    else:
        response = redirect(f"{request.hc_base}/{locale}/articles/{found.slug}/#feedback")
    response.set_cookie(READER_COOKIE, key, max_age=365 * 86400, httponly=True, samesite="Lax")
    return response


@csrf_exempt
@portal_view
@require_POST
def record_view(request: HttpRequest, article_id: int) -> HttpResponse:
    """The widget reports that a visitor opened an article (`?source=widget` by default)."""
    found = request.portal.articles.filter(pk=article_id, status=Article.Status.PUBLISHED).first()
    if found is None:
        raise Http404
    actions.record_article_view(found, source=request.GET.get("source", "widget"))
    response = HttpResponse(status=204)
    if request.portal.is_public:
        response["Access-Control-Allow-Origin"] = "*"
    return response


@portal_view(gate_exempt=True)
@require_POST
def unlock(request: HttpRequest) -> HttpResponse:
    """The password gate's form."""
    portal = request.portal
    if portal.visibility != Portal.Visibility.PASSWORD or not portal.password_hash:
        raise Http404
    if not check_password(request.POST.get("password", ""), portal.password_hash):
        return gate(request, portal, error=_("That password is not right."))
    request.session[queries.session_key(portal)] = portal.password_hash[-16:]
    request.session.cycle_key()
    return redirect(f"{request.hc_base}/{portal.default_locale}/")



# --- SEO and assets --------------------------------------------------------------------------

@portal_view(gate_exempt=True)
@require_GET
def robots(request: HttpRequest) -> HttpResponse:
    portal = request.portal
    base = request.build_absolute_uri(request.hc_base or "/").rstrip("/")
    if not portal.is_public:
        return HttpResponse("User-agent: *\nDisallow: /\n", content_type="text/plain")
    return HttpResponse(f"User-agent: *\nAllow: /\nSitemap: {base}/sitemap.xml\n", content_type="text/plain")


@portal_view(gate_exempt=True)
@require_GET
def sitemap(request: HttpRequest) -> HttpResponse:
    """Home pages, categories and published articles of a public portal; nothing for the others."""
    portal = request.portal
    ctx = {"base": request.build_absolute_uri(request.hc_base or "/").rstrip("/"), "portal": portal,
           "articles": [], "categories": [], "locales": []}
    if portal.is_public:
        ctx.update(articles=queries.sitemap_articles(portal), categories=portal.categories.all().only("slug", "locale"),
                   locales=portal.allowed_locales)
    return render(request, "helpcenter/portal/sitemap.xml", ctx, content_type="application/xml")


def _asset(field) -> HttpResponse:
    if not field:
        raise Http404
    response = FileResponse(field.open("rb"))
    response["Cache-Control"] = "public, max-age=3600"
    response["Content-Security-Policy"] = "default-src 'none'"
    return response


@portal_view(gate_exempt=True)
@require_GET
def logo(request: HttpRequest) -> HttpResponse:
    return _asset(request.portal.logo)


@portal_view(gate_exempt=True)
@require_GET
def favicon(request: HttpRequest) -> HttpResponse:
    return _asset(request.portal.favicon)


@portal_view
@require_GET
def image(request: HttpRequest, image_id: int, name: str) -> HttpResponse:
    """An image uploaded in the editor, for readers of the portal."""
    found = queries.access_image(request.portal, image_id)
    response = _asset(found.file)
    response["Content-Type"] = found.content_type
    response["X-Content-Type-Options"] = "nosniff"
    return response

