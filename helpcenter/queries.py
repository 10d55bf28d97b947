"""Reads and permission checks for the help center: authoring access, public readers, search, analytics.

Authoring: administrators manage every portal of the account; an agent may write the articles of the portals
that list them as members (Chatwoot's portal members) and sees no other portal. Reading: a public portal is
open to everyone; a restricted one to signed-in members of the account; a password-protected one to browsers
that entered the password (kept in the session). A reader without access learns nothing: pages ask for the
password or a sign-in, and search, sitemap and suggestions return nothing.
"""

import secrets
from dataclasses import dataclass, field

from django.core.cache import cache
from django.db.models import Count, F, Q, QuerySet
from django.http import Http404, HttpRequest
from django.utils.safestring import SafeString, mark_safe

from autonomia.models import AccountUser
from helpcenter.models import Article, ArticleRevision, Category, Portal, PortalImage, SearchTerm
from helpcenter.rendering import render_article
from helpcenter.search import SearchHit, run_search

DOMAIN_CACHE_SECONDS = 60
NOT_LISTED = ("content", "body_text", "search_vector", "search_head")  # columns lists never show
# Article pages: the rendered body is cached under the article's `updated_at`; its related articles and
# translations under the portal's public version, which every authoring action replaces after commit.
BODY_CACHE_SECONDS = 3600
LINKS_CACHE_SECONDS = 300
VERSION_CACHE_SECONDS = 86400


# --- Authoring ------------------------------------------------------------------------------

def visible_portals(account_user: AccountUser) -> QuerySet[Portal]:
    """Portals the member may author: all of the account for administrators, those they belong to for agents."""
    qs = Portal.objects.filter(account_id=account_user.account_id)
    if not account_user.is_administrator:
        qs = qs.filter(portalmember__user_id=account_user.user_id)
    return qs.order_by("name")


def access_portal(account_user: AccountUser, portal_id) -> Portal:
    """A portal the member may author, or 404."""
    try:
        return visible_portals(account_user).get(pk=int(portal_id))
    except (Portal.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def access_portal_by_slug(account_user: AccountUser, slug) -> Portal:
    """A portal (by slug, as the Chatwoot API names it) the member may author, or 404."""
    try:
        return visible_portals(account_user).get(slug=str(slug))
    except Portal.DoesNotExist:
        raise Http404 from None


def access_category(account_user: AccountUser, category_id, *, portal: Portal | None = None) -> Category:
    """A category of a portal the member may author, or 404."""
    qs = Category.objects.select_related("portal").filter(portal__in=visible_portals(account_user))
    if portal is not None:
        qs = qs.filter(portal=portal)
    try:
        return qs.get(pk=int(category_id))
    except (Category.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def access_article(account_user: AccountUser, article_id, *, portal: Portal | None = None) -> Article:
    """An article (any status) of a portal the member may author, or 404."""
    qs = Article.objects.select_related("portal", "category", "author").filter(
        portal__in=visible_portals(account_user))
    if portal is not None:
        qs = qs.filter(portal=portal)
    try:
        return qs.get(pk=int(article_id))
    except (Article.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def access_revision(article: Article, revision_id) -> ArticleRevision:
    """A revision of the (already accessed) article, or 404."""
    try:
        return article.revisions.select_related("author").get(pk=int(revision_id))
    except (ArticleRevision.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def portal_categories(portal: Portal, locale: str | None = None) -> QuerySet[Category]:
    """The portal's categories (of one locale when given) with their article counts, in position order."""
    qs = portal.categories.annotate(articles_count=Count("articles"))
    if locale:
        qs = qs.filter(locale=locale)
    return qs.order_by("locale", "position", "id")


def portal_articles(portal: Portal, *, locale: str | None = None, status: int | None = None,
                    category_id=None, query: str = "", author_id: int | None = None) -> QuerySet[Article]:
    """The portal's articles for authoring lists, filtered; `category_id="none"` means uncategorised."""
    qs = portal.articles.select_related("category", "author").defer(*NOT_LISTED)
    if locale:
        qs = qs.filter(locale=locale)
    if status is not None:
        qs = qs.filter(status=status)
    if category_id == "none":
        qs = qs.filter(category__isnull=True)
    elif category_id:
        qs = qs.filter(category_id=category_id)
    if author_id:
        qs = qs.filter(author_id=author_id)
    if query:
        qs = qs.filter(Q(title__icontains=query) | Q(slug__icontains=query))
    return qs.order_by("position", "id")


def article_counts(portal: Portal) -> dict:
    """Counts by status for the portal (Chatwoot's portal meta)."""
    rows = dict(portal.articles.values_list("status").annotate(n=Count("id")))
    return {"all": sum(rows.values()), "draft": rows.get(Article.Status.DRAFT, 0),
            "published": rows.get(Article.Status.PUBLISHED, 0), "archived": rows.get(Article.Status.ARCHIVED, 0)}


def article_translations(article: Article) -> list[Article]:
    """The other-locale versions of the article (any status), linked through the translation root."""
    root = article.translation_root_id
    return list(Article.objects.filter(Q(pk=root) | Q(associated_article_id=root)).exclude(pk=article.pk)
                .defer(*NOT_LISTED).order_by("locale"))


def latest_autosave(article: Article, user) -> ArticleRevision | None:
    """The member's autosaved version newer than the article's last save, if any."""
    return (article.revisions.filter(kind=ArticleRevision.Kind.AUTOSAVE, author=user,
                                     updated_at__gt=article.updated_at).first())


def access_image(portal: Portal, image_id) -> PortalImage:
    try:
        return portal.images.get(pk=int(image_id))
    except (PortalImage.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


# --- Public readers ---------------------------------------------------------------------------

@dataclass
class Reader:
    """Who reads a portal: whether they may, and the member (signed-in agent) when there is one."""

    granted: bool
    account_user: AccountUser | None = None


def public_portal(slug: str) -> Portal:
    """A non-archived portal by slug, or 404 (access is decided by `portal_reader`)."""
    try:
        return Portal.objects.select_related("inbox__web_widget").get(slug=slug, archived=False)
    except Portal.DoesNotExist:
        raise Http404 from None


def portal_for_host(host: str) -> Portal | None:
    """The portal whose custom domain is `host` (cached for a minute: every request on an unknown host asks)."""
    host = host.split(":")[0].lower().rstrip(".")
    key = f"hc:domain:{host}"
    portal_id = cache.get(key)
    if portal_id is None:
        portal_id = Portal.objects.filter(custom_domain=host, archived=False).values_list("pk", flat=True).first() or 0
        cache.set(key, portal_id, DOMAIN_CACHE_SECONDS)
    return Portal.objects.select_related("inbox__web_widget").filter(pk=portal_id).first() if portal_id else None


def session_key(portal: Portal) -> str:
    return f"hc_portal_{portal.pk}"


def portal_reader(request: HttpRequest, portal: Portal) -> Reader:
    """Whether this browser may read the portal (see the module docstring); a public portal needs no lookup."""
    if portal.archived:
        return Reader(False)
    if portal.visibility == Portal.Visibility.PUBLIC:
        return Reader(True)
    member = None
    if request.user.is_authenticated:
        member = AccountUser.objects.filter(account_id=portal.account_id, user=request.user).first()
    if member is not None:
        return Reader(True, member)
    if portal.visibility == Portal.Visibility.PASSWORD:
        granted = request.session.get(session_key(portal)) == portal.password_hash[-16:]
        return Reader(bool(portal.password_hash) and granted, None)
    return Reader(False, None)


def can_read(portal: Portal, viewer) -> bool:
    """`viewer`: None (anonymous), a `Reader`, or an AccountUser acting in the account (agents, Alú)."""
    if isinstance(viewer, Reader):
        return viewer.granted and not portal.archived
    if isinstance(viewer, AccountUser):
        return viewer.account_id == portal.account_id
    return portal.is_public


def search_articles(portal: Portal, query: str, *, locale: str | None = None, limit: int = 10, viewer=None,
                    offset: int = 0, category_id: int | None = None) -> list[SearchHit]:
    """Published articles of the portal matching `query` (accent- and typo-tolerant), best first.

    The only search of the help center: portal pages, the JSON endpoint, inbox and widget suggestions and
    Alú's retrieval all call it. Returns nothing when `viewer` may not read the portal.
    """
    if not can_read(portal, viewer):
        return []
    locale = locale if locale in portal.allowed_locales else portal.default_locale
    return run_search(portal, query, locale=locale, limit=max(1, min(limit, 100)), offset=max(0, offset),
                      category_id=category_id)


def published_articles(portal: Portal, locale: str) -> QuerySet[Article]:
    """Published articles of the portal in a locale, lists only (no bodies)."""
    return (portal.articles.filter(locale=locale, status=Article.Status.PUBLISHED)
            .defer(*NOT_LISTED))


def home_categories(portal: Portal, locale: str, per_category: int = 5) -> list[Category]:
    """Top-level categories of the locale that have published articles, each with its first articles."""
    categories = list(portal.categories.filter(locale=locale).annotate(
        published=Count("articles", filter=Q(articles__status=Article.Status.PUBLISHED))).filter(published__gt=0)
        .order_by("position", "id"))
    by_category: dict[int, list[Article]] = {}
    for article in published_articles(portal, locale).filter(category__in=categories).order_by("position", "id"):
        bucket = by_category.setdefault(article.category_id, [])
        if len(bucket) < per_category:
            bucket.append(article)
    for category in categories:
        category.top_articles = by_category.get(category.pk, [])
    return categories


def popular_articles(portal: Portal, locale: str, limit: int = 6) -> list[Article]:
    """The most viewed published articles of the locale."""
    return list(published_articles(portal, locale).order_by("-views", "position", "id")[:limit])


def public_category(portal: Portal, locale: str, slug: str) -> Category:
    try:
        return portal.categories.get(locale=locale, slug=slug)
    except Category.DoesNotExist:
        raise Http404 from None


def category_articles(category: Category) -> list[Article]:
    return list(published_articles(category.portal, category.locale).filter(category=category)
                .order_by("position", "id"))


def public_article(portal: Portal, locale: str, slug: str) -> Article:
    """A published article by locale and slug, or 404."""
    try:
        return portal.articles.select_related("category", "author").defer("search_vector", "search_head").get(
            locale=locale, slug=slug, status=Article.Status.PUBLISHED)
    except Article.DoesNotExist:
        raise Http404 from None


def published_article_by_slug(portal: Portal, slug: str) -> Article:
    """A published article by slug in any locale (default locale first), for Chatwoot's locale-less URL."""
    articles = portal.articles.filter(slug=slug, status=Article.Status.PUBLISHED).only("locale", "slug")
    article = sorted(articles, key=lambda a: a.locale != portal.default_locale)[:1]
    if not article:
        raise Http404
    return article[0]


def published_translations(article: Article) -> list[Article]:
    """Published versions of the article in the portal's other locales (hreflang, the language menu)."""
    root = article.translation_root_id
    return list(Article.objects.filter(Q(pk=root) | Q(associated_article_id=root), status=Article.Status.PUBLISHED,
                                       portal_id=article.portal_id).exclude(pk=article.pk)
                .only("id", "locale", "slug", "title").order_by("locale"))


def related_articles(article: Article, limit: int = 5) -> list[Article]:
    """Published articles of the same category, then of related categories."""
    qs = published_articles(article.portal, article.locale).exclude(pk=article.pk).only("slug", "title")
    related: list[Article] = []
    if article.category_id:
        related = list(qs.filter(category_id=article.category_id).order_by("position", "id")[:limit])
        if len(related) < limit:
            others = article.category.related.values_list("pk", flat=True)
            related += list(qs.filter(category_id__in=list(others)).order_by("-views")[:limit - len(related)])
    if not related:
        related = list(qs.order_by("-views")[:limit])
    return related


@dataclass
class ArticlePage:
    """What the article page shows besides the article: its body, table of contents and links."""

    body: SafeString
    toc: list = field(default_factory=list)
    related: list[dict] = field(default_factory=list)  # {"slug", "title"}
    translations: list[dict] = field(default_factory=list)  # {"locale", "slug", "title"}


def public_version_key(portal_id: int) -> str:
    return f"hc:public:{portal_id}"


def _body_key(article: Article) -> str:
    return f"hc:body:{article.pk}:{article.updated_at.timestamp()}"


def _render_body(article: Article) -> tuple[str, list]:
    rendered = render_article(article.content)
    body = (str(rendered.html), rendered.toc)
    cache.set(_body_key(article), body, BODY_CACHE_SECONDS)
    return body


def article_body_html(article: Article) -> str:
    """The article's sanitised HTML, cached per edit like the portal page's (the widget's article view)."""
    body = cache.get(_body_key(article)) or _render_body(article)
    return body[0]


def article_page(article: Article) -> ArticlePage:
    """The published article's rendered body, related articles and translations, from the cache when still
    valid (one cache round trip, no query): the body is keyed on `updated_at`, the links on the portal's
    public version, which the authoring actions replace on commit, so an edit or unpublish shows at once."""
    version_key, links_key, body_key = public_version_key(article.portal_id), f"hc:links:{article.pk}", \
        _body_key(article)
    cached = cache.get_many([version_key, links_key, body_key])
    if body_key not in cached:
        cached[body_key] = _render_body(article)
    version = cached.get(version_key)
    if version is None:
        cache.add(version_key, secrets.token_hex(8), VERSION_CACHE_SECONDS)
        version = cache.get(version_key)
    links = cached.get(links_key)
    if not links or links[0] != version:
        links = (version, [{"slug": a.slug, "title": a.title} for a in related_articles(article)],
                 [{"locale": a.locale, "slug": a.slug, "title": a.title} for a in published_translations(article)])
        cache.set(links_key, links, LINKS_CACHE_SECONDS)
    html, toc = cached[body_key]
    return ArticlePage(body=mark_safe(html), toc=toc, related=links[1], translations=links[2])


def sitemap_articles(portal: Portal) -> QuerySet[Article]:
    return (portal.articles.filter(status=Article.Status.PUBLISHED).only("slug", "locale", "updated_at")
            .order_by("locale", "id"))


# --- Suggestions and analytics ----------------------------------------------------------------

def portal_for_inbox(account_id: int, inbox_id: int) -> Portal | None:
    """The portal linked to the inbox, else the account's first live portal."""
    qs = Portal.objects.filter(account_id=account_id, archived=False)
    return qs.filter(inbox_id=inbox_id).first() or qs.order_by("id").first()


def analytics_articles(portal: Portal, limit: int = 50) -> list[Article]:
    """Published and archived articles by views, with helpfulness counts."""
    return list(portal.articles.exclude(status=Article.Status.DRAFT).defer(*NOT_LISTED)
                .order_by(F("views") + F("widget_views")).reverse()[:limit])


def top_searches(portal: Portal, limit: int = 20) -> list[SearchTerm]:
    return list(portal.search_terms.order_by("-searches", "term")[:limit])


def failed_searches(portal: Portal, limit: int = 20) -> list[SearchTerm]:
    """Terms whose last search found nothing: articles to write."""
    return list(portal.search_terms.filter(last_results=0).order_by("-searches", "term")[:limit])
