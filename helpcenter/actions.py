"""Writes for the help center: portals, members, categories, articles, revisions, images, reader feedback,
views and search terms. Every authoring write is atomic and audit-logged; no realtime events are emitted.

Slugs are unique per portal and locale: an explicit slug that is taken is refused with a clear error, a
generated one gets a -2, -3… suffix. Deleting a category leaves its articles in place, uncategorised.
Writes to articles and categories replace the portal's public version on commit (`_public_changed`), so the
cached parts of public article pages (related articles, translations) are rebuilt at once.
"""

import datetime as dt
import io
import secrets

from django.contrib.auth.hashers import make_password
from django.core.cache import cache
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _
from PIL import Image, UnidentifiedImageError

from autonomia.actions import DomainError, audit
from helpcenter.models import (LOCALE_NAMES, Article, ArticleFeedback, ArticleRevision, Category, Portal,
                               PortalImage, PortalMember, SearchTerm)
from helpcenter.queries import VERSION_CACHE_SECONDS, public_version_key
from helpcenter.rendering import render_article
from helpcenter.search import index_article

IMAGE_TYPES = {"PNG": "image/png", "JPEG": "image/jpeg", "GIF": "image/gif", "WEBP": "image/webp"}
MAX_IMAGE_BYTES = 5 * 1024 * 1024
AUTOSAVE_COALESCE = dt.timedelta(minutes=10)
POSITION_STEP = 10
PORTAL_FIELDS = ("name", "slug", "custom_domain", "color", "header_text", "page_title", "homepage_link",
                 "default_locale", "locales", "visibility", "inbox", "archived")


# --- Validation helpers ---------------------------------------------------------------------

def _clean_slug(value: str, *, field: str = "slug") -> str:
    slug = slugify(value or "")[:100].strip("-")
    if not slug:
        raise DomainError(_("Use letters, numbers or hyphens in the slug."), field=field)
    return slug


def _check_locale(portal: Portal, locale: str) -> str:
    if locale not in portal.allowed_locales:
        raise DomainError(_("This language is not enabled in the portal."), field="locale")
    return locale


def _clean_locales(default_locale: str, locales) -> list[str]:
    codes = [code for code in [default_locale, *(locales or [])] if code]
    unknown = [code for code in codes if code not in LOCALE_NAMES]
    if unknown:
        raise DomainError(_("Unknown language: %(code)s.") % {"code": unknown[0]}, field="locales")
    return list(dict.fromkeys(codes))


def _clean_domain(value: str | None) -> str | None:
    domain = (value or "").strip().lower().removeprefix("https://").removeprefix("http://").split("/")[0]
    if domain and ("." not in domain or " " in domain):
        raise DomainError(_("Enter a host name such as ajuda.suaempresa.com.br."), field="custom_domain")
    return domain or None


def _free_slug(model, portal: Portal, locale: str, base: str, *, exclude_pk=None) -> str:
    """`base`, or `base-2`, `base-3`… whichever is free in the portal and locale."""
    taken = set(model.objects.filter(portal=portal, locale=locale, slug__startswith=base[:90])
                .exclude(pk=exclude_pk).values_list("slug", flat=True))
    slug, n = base[:100], 2
    while slug in taken:
        slug, n = f"{base[:95]}-{n}", n + 1
    return slug


def _check_slug_free(model, portal: Portal, locale: str, slug: str, *, exclude_pk=None) -> None:
    if model.objects.filter(portal=portal, locale=locale, slug=slug).exclude(pk=exclude_pk).exists():
        message = (_("Another article in this language already uses this slug.") if model is Article
                   else _("Another category in this language already uses this slug."))
        raise DomainError(message, field="slug")


def _next_position(qs) -> int:
    last = qs.order_by("-position").values_list("position", flat=True).first()
    return (last or 0) + POSITION_STEP


# --- Portals --------------------------------------------------------------------------------

@transaction.atomic
def create_portal(account, *, actor, name: str, slug: str = "", default_locale: str = "pt-BR",
                  locales=None, **fields) -> Portal:
    """Create a portal; the slug (from the name when empty) must be free across all accounts."""
    if not (name or "").strip():
        raise DomainError(_("The portal needs a name."), field="name")
    slug = _clean_slug(slug or name)
    if Portal.objects.filter(slug=slug).exists():
        raise DomainError(_("This slug is already taken by another portal."), field="slug")
    portal = Portal(account=account, name=name.strip(), slug=slug, default_locale=default_locale)
    portal.locales = _clean_locales(default_locale, locales)
    _apply_portal_fields(portal, fields)
    _save_portal(portal)
    audit(account.pk, actor, "create", portal, {"name": portal.name, "slug": slug})
    return portal


@transaction.atomic
def update_portal(portal: Portal, *, actor, **fields) -> Portal:
    """Change the portal's settings (only the fields given)."""
    before = {key: str(getattr(portal, key)) for key in fields if key in PORTAL_FIELDS}
    if "name" in fields and not (fields["name"] or "").strip():
        raise DomainError(_("The portal needs a name."), field="name")
    if "slug" in fields:
        fields["slug"] = _clean_slug(fields["slug"])
        if Portal.objects.filter(slug=fields["slug"]).exclude(pk=portal.pk).exists():
            raise DomainError(_("This slug is already taken by another portal."), field="slug")
    default_locale = fields.pop("default_locale", portal.default_locale)
    locales = fields.pop("locales", portal.locales)
    portal.default_locale, portal.locales = default_locale, _clean_locales(default_locale, locales)
    old_domain = portal.custom_domain
    _apply_portal_fields(portal, fields)
    _save_portal(portal)
    for domain in {old_domain, portal.custom_domain} - {None}:
        cache.delete(f"hc:domain:{domain}")
    audit(portal.account_id, actor, "update", portal, {"before": before})
    return portal


def _apply_portal_fields(portal: Portal, fields: dict) -> None:
    password = fields.pop("password", None)
    for key in ("logo", "favicon"):
        upload = fields.pop(key, None)
        if upload:
            getattr(portal, key).save(upload.name, _checked_image(upload, field=key), save=False)
        elif upload is False:
            getattr(portal, key).delete(save=False)
    for key, value in fields.items():
        if key not in PORTAL_FIELDS:
            raise DomainError(_("Unknown field: %(field)s.") % {"field": key}, field=key)
        if key == "custom_domain":
            value = _clean_domain(value)
        if key in ("color",) and value and not (len(value) == 7 and value.startswith("#")):
            raise DomainError(_("Use a colour like #1f6feb."), field="color")
        setattr(portal, key, value if value is not None else getattr(portal, key))
    if portal.inbox_id and portal.inbox.account_id != portal.account_id:
        raise DomainError(_("Choose an inbox of this account."), field="inbox")
    if password:
        portal.password_hash = make_password(password)
    if portal.visibility == Portal.Visibility.PASSWORD and not portal.password_hash:
        raise DomainError(_("Set a password for a password-protected portal."), field="password")


def _save_portal(portal: Portal) -> None:
    try:
        with transaction.atomic():
            portal.save()
    except IntegrityError:
        raise DomainError(_("This custom domain is already used by another portal."), field="custom_domain") from None


@transaction.atomic
def delete_portal(portal: Portal, *, actor) -> None:
    """Delete the portal with its categories, articles and images."""
    audit(portal.account_id, actor, "delete", portal, {"name": portal.name, "slug": portal.slug})
    if portal.custom_domain:
        cache.delete(f"hc:domain:{portal.custom_domain}")
    portal.delete()


@transaction.atomic
def set_portal_members(portal: Portal, *, actor, user_ids: list[int]) -> None:
    """Replace the agents allowed to write the portal's articles (users of the account only)."""
    from autonomia.models import AccountUser

    valid = set(AccountUser.objects.filter(account_id=portal.account_id, user_id__in=user_ids)
                .values_list("user_id", flat=True))
    PortalMember.objects.filter(portal=portal).exclude(user_id__in=valid).delete()
    existing = set(PortalMember.objects.filter(portal=portal).values_list("user_id", flat=True))
    PortalMember.objects.bulk_create([PortalMember(portal=portal, user_id=uid) for uid in valid - existing])
    audit(portal.account_id, actor, "update_members", portal, {"user_ids": sorted(valid)})


def _public_changed(portal: Portal) -> None:
    """After commit, give the portal a new public version: cached article pages rebuild their links."""
    key = public_version_key(portal.pk)
    transaction.on_commit(lambda: cache.set(key, secrets.token_hex(8), VERSION_CACHE_SECONDS))


# --- Categories -----------------------------------------------------------------------------

@transaction.atomic
def create_category(portal: Portal, *, actor, name: str, locale: str = "", slug: str = "", description: str = "",
                    icon: str = "", parent: Category | None = None, associated_category: Category | None = None,
                    related: list[Category] | None = None) -> Category:
    """Create a category in one of the portal's locales."""
    if not (name or "").strip():
        raise DomainError(_("The category needs a name."), field="name")
    locale = _check_locale(portal, locale or portal.default_locale)
    slug = _clean_slug(slug or name)
    _check_slug_free(Category, portal, locale, slug)
    category = Category.objects.create(
        portal=portal, locale=locale, name=name.strip(), slug=slug, description=description or "", icon=icon or "",
        parent=_same_portal(portal, parent), associated_category=_same_portal(portal, associated_category),
        position=_next_position(portal.categories.filter(locale=locale)))
    if related:
        category.related.set([c for c in related if c.portal_id == portal.pk and c.pk != category.pk])
    audit(portal.account_id, actor, "create", category, {"name": category.name, "locale": locale})
    _public_changed(portal)
    return category


def _same_portal(portal: Portal, obj):
    if obj is not None and obj.portal_id != portal.pk:
        raise DomainError(_("Choose something from the same portal."), field="parent")
    return obj


@transaction.atomic
def update_category(category: Category, *, actor, **fields) -> Category:
    """Change a category's name, slug, description, icon, locale, parent, translation link or related ones."""
    portal = category.portal
    related = fields.pop("related", None)
    if "name" in fields and not (fields["name"] or "").strip():
        raise DomainError(_("The category needs a name."), field="name")
    if "locale" in fields:
        fields["locale"] = _check_locale(portal, fields["locale"] or category.locale)
    if "slug" in fields:
        fields["slug"] = _clean_slug(fields["slug"] or fields.get("name") or category.name)
    for key in ("parent", "associated_category"):
        if key in fields:
            fields[key] = _same_portal(portal, fields[key])
            if fields[key] is not None and fields[key].pk == category.pk:
                raise DomainError(_("A category cannot point to itself."), field=key)
    for key, value in fields.items():
        setattr(category, key, value)
    _check_slug_free(Category, portal, category.locale, category.slug, exclude_pk=category.pk)
    category.save()
    if related is not None:
        category.related.set([c for c in related if c.portal_id == portal.pk and c.pk != category.pk])
    audit(portal.account_id, actor, "update", category, {"fields": sorted(fields)})
    _public_changed(portal)
    return category


@transaction.atomic
def delete_category(category: Category, *, actor) -> int:
    """Delete a category; its articles stay (uncategorised) and its subcategories move to the top level."""
    moved = Article.objects.filter(category=category).update(category=None)
    Category.objects.filter(parent=category).update(parent=None)
    audit(category.portal.account_id, actor, "delete", category, {"name": category.name, "articles_moved": moved})
    category.delete()
    _public_changed(category.portal)
    return moved


@transaction.atomic
def reorder_categories(portal: Portal, *, actor, ids: list[int]) -> None:
    """Give the listed categories positions 10, 20, 30… in that order (others keep theirs)."""
    _reorder(portal.categories.all(), ids)
    audit(portal.account_id, actor, "reorder_categories", portal, {"ids": ids[:200]})
    _public_changed(portal)


def _reorder(qs, ids: list[int]) -> None:
    known = set(qs.filter(pk__in=ids).values_list("pk", flat=True))
    for index, pk in enumerate(i for i in dict.fromkeys(ids) if i in known):
        qs.filter(pk=pk).update(position=(index + 1) * POSITION_STEP)


# --- Articles -------------------------------------------------------------------------------

@transaction.atomic
def create_article(portal: Portal, *, actor, title: str, locale: str = "", category: Category | None = None,
                   content: str = "", description: str = "", slug: str = "", status: int = Article.Status.DRAFT,
                   associated_article: Article | None = None, meta: dict | None = None,
                   author=None, position: int | None = None) -> Article:
    """Create an article (a draft unless told otherwise, last of its category unless given a position)
    with its first revision."""
    if not (title or "").strip():
        raise DomainError(_("The article needs a title."), field="title")
    if category is not None:
        _same_portal(portal, category)
        locale = locale or category.locale
    locale = _check_locale(portal, locale or portal.default_locale)
    if category is not None and category.locale != locale:
        raise DomainError(_("The category is in another language."), field="category_id")
    if slug:
        slug = _clean_slug(slug)
        _check_slug_free(Article, portal, locale, slug)
    else:
        slug = _free_slug(Article, portal, locale, _clean_slug(title, field="title"))
    if associated_article is not None:
        _same_portal(portal, associated_article)
        associated_article = associated_article.associated_article or associated_article
    article = Article(portal=portal, locale=locale, category=category, title=title.strip(), slug=slug,
                      description=description or "", content=content or "", meta=meta or {},
                      author=author or (actor if getattr(actor, "is_authenticated", False) else None),
                      associated_article=associated_article,
                      position=position if position is not None else _next_position(
                          portal.articles.filter(locale=locale, category=category)))
    _set_status(article, status)
    _derive(article)
    article.save()
    index_article(article)
    _revision(article, actor, ArticleRevision.Kind.SAVE)
    audit(portal.account_id, actor, "create", article, {"title": article.title, "locale": locale})
    _public_changed(portal)
    return article


def _derive(article: Article) -> None:
    """Columns computed from the Markdown: plain text for search and snippets."""
    article.body_text = render_article(article.content).text


def _set_status(article: Article, status) -> None:
    try:
        status = Article.Status(int(status))
    except (TypeError, ValueError):
        raise DomainError(_("Unknown status."), field="status") from None
    if status == Article.Status.PUBLISHED and article.published_at is None:
        article.published_at = timezone.now()
    article.status = status


def _revision(article: Article, actor, kind: int) -> ArticleRevision:
    return ArticleRevision.objects.create(article=article, kind=kind, title=article.title,
                                          description=article.description, content=article.content,
                                          author=actor if getattr(actor, "is_authenticated", False) else None)


@transaction.atomic
def update_article(article: Article, *, actor, **fields) -> Article:
    """Save the article's fields (title, slug, description, content, category, locale, status, meta,
    author, position, associated_article) and record a revision when the text changed."""
    portal = article.portal
    text_before = (article.title, article.description, article.content)
    if "title" in fields and not (fields["title"] or "").strip():
        raise DomainError(_("The article needs a title."), field="title")
    if "status" in fields:
        _set_status(article, fields.pop("status"))
    if "locale" in fields:
        fields["locale"] = _check_locale(portal, fields["locale"] or article.locale)
    if "category" in fields and fields["category"] is not None:
        _same_portal(portal, fields["category"])
        fields.setdefault("locale", fields["category"].locale)
        if fields["category"].locale != fields["locale"]:
            raise DomainError(_("The category is in another language."), field="category_id")
    if "slug" in fields:
        fields["slug"] = _clean_slug(fields["slug"]) if fields["slug"] else article.slug
    if "associated_article" in fields and fields["associated_article"] is not None:
        _same_portal(portal, fields["associated_article"])
        root = fields["associated_article"]
        fields["associated_article"] = None if root.pk == article.pk else (root.associated_article or root)
    for key, value in fields.items():
        setattr(article, key, value.strip() if key == "title" else value)
    _check_slug_free(Article, portal, article.locale, article.slug, exclude_pk=article.pk)
    _derive(article)
    article.save()
    index_article(article)
    if (article.title, article.description, article.content) != text_before:
        _revision(article, actor, ArticleRevision.Kind.SAVE)
    audit(portal.account_id, actor, "update", article, {"fields": sorted(fields)})
    _public_changed(portal)
    return article


@transaction.atomic
def autosave_article(article: Article, *, actor, title: str, description: str, content: str) -> ArticleRevision:
    """Keep the editor's unsaved text: drafts are updated in place; a published article keeps serving its saved
    text and the autosave waits as a revision. Autosaves by one author within 10 minutes share one revision."""
    recent = (article.revisions.filter(kind=ArticleRevision.Kind.AUTOSAVE, author=actor,
                                       updated_at__gte=timezone.now() - AUTOSAVE_COALESCE).first())
    revision = recent or ArticleRevision(article=article, kind=ArticleRevision.Kind.AUTOSAVE, author=actor)
    revision.title, revision.description, revision.content = (title or article.title)[:255], description[:300], content
    revision.save()
    if article.status == Article.Status.DRAFT and (title or "").strip():
        article.title, article.description, article.content = title.strip()[:255], description[:300], content
        _derive(article)
        article.save(update_fields=["title", "description", "content", "body_text", "updated_at"])
        index_article(article)
        ArticleRevision.objects.filter(pk=revision.pk).update(updated_at=article.updated_at)
    return revision


@transaction.atomic
def set_article_status(article: Article, *, actor, status: int) -> Article:
    """Publish, archive or return the article to draft."""
    before = article.status
    _set_status(article, status)
    article.save(update_fields=["status", "published_at", "updated_at"])
    index_article(article)
    if article.status == Article.Status.PUBLISHED and before != article.status:
        _revision(article, actor, ArticleRevision.Kind.PUBLISH)
    audit(article.portal.account_id, actor, "status", article, {"from": before, "to": article.status})
    _public_changed(article.portal)
    return article


@transaction.atomic
def delete_article(article: Article, *, actor) -> None:
    """Delete the article and its revisions; its translations stay (unlinked from it when it was the root)."""
    Article.objects.filter(associated_article=article).update(associated_article=None)
    audit(article.portal.account_id, actor, "delete", article, {"title": article.title, "slug": article.slug})
    article.delete()
    _public_changed(article.portal)


@transaction.atomic
def restore_revision(article: Article, revision: ArticleRevision, *, actor) -> Article:
    """Bring back a revision's title, description and content (recorded as a new 'restored' revision)."""
    article.title, article.description, article.content = revision.title, revision.description, revision.content
    _derive(article)
    article.save()
    index_article(article)
    _revision(article, actor, ArticleRevision.Kind.RESTORE)
    audit(article.portal.account_id, actor, "restore", article, {"revision_id": revision.pk})
    _public_changed(article.portal)
    return article


@transaction.atomic
def reorder_articles(portal: Portal, *, actor, ids: list[int]) -> None:
    """Give the listed articles positions 10, 20, 30… in that order (drag and drop in the authoring list)."""
    _reorder(portal.articles.all(), ids)
    audit(portal.account_id, actor, "reorder_articles", portal, {"ids": ids[:200]})
    _public_changed(portal)


@transaction.atomic
def create_translation(article: Article, *, actor, locale: str) -> Article:
    """A draft copy of the article in another locale, linked to it, in the matching category translation."""
    portal = article.portal
    _check_locale(portal, locale)
    root = article.translation_root_id
    existing = Article.objects.filter(portal=portal, locale=locale).filter(
        pk=root).first() or Article.objects.filter(portal=portal, locale=locale, associated_article_id=root).first()
    if existing is not None:
        raise DomainError(_("This article already has a version in that language."), field="locale")
    category = None
    if article.category_id:
        group = article.category.associated_category_id or article.category_id
        category = (Category.objects.filter(portal=portal, locale=locale).filter(pk=group).first()
                    or Category.objects.filter(portal=portal, locale=locale, associated_category_id=group).first())
    return create_article(portal, actor=actor, title=article.title, locale=locale, category=category,
                          content=article.content, description=article.description, associated_article=article,
                          slug=_free_slug(Article, portal, locale, article.slug))


@transaction.atomic
def draft_article_from_conversation(conversation, *, actor, portal: Portal) -> Article:
    """A draft prefilled with the conversation's latest customer question and the agent's answer to it."""
    from conversations.models import Message

    messages = list(conversation.messages.filter(private=False, message_type__in=[
        Message.MessageType.INCOMING, Message.MessageType.OUTGOING]).exclude(content="").order_by("-created_at", "-id")
        .values_list("message_type", "content")[:50])
    messages.reverse()
    question_index = max((i for i, (kind, _c) in enumerate(messages) if kind == Message.MessageType.INCOMING
                          and any(k == Message.MessageType.OUTGOING for k, _x in messages[i + 1:])), default=None)
    if question_index is None:
        question_index = max((i for i, (kind, _c) in enumerate(messages) if kind == Message.MessageType.INCOMING),
                             default=None)
    if question_index is None:
        raise DomainError(_("This conversation has no customer question yet."), field="conversation")
    question = messages[question_index][1].strip()
    answers = [c.strip() for k, c in messages[question_index + 1:] if k == Message.MessageType.OUTGOING]
    title = question.splitlines()[0][:120].rstrip("?!. ") or _("New article")
    content = "\n\n".join([f"> {line}" for line in question.splitlines() if line.strip()] + [""] + answers)
    return create_article(portal, actor=actor, title=title, content=content.strip(),
                          meta={"source_conversation": conversation.display_id})


# --- Images ---------------------------------------------------------------------------------

def _checked_image(upload, *, field: str = "file") -> ContentFile:
    """The upload if it is a real PNG/JPEG/GIF/WebP under 5 MB (SVG and anything else refused)."""
    if upload.size > MAX_IMAGE_BYTES:
        raise DomainError(_("The image is larger than 5 MB."), field=field)
    data = upload.read()
    try:
        with Image.open(io.BytesIO(data)) as image:
            kind = image.format
            image.verify()
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError):
        kind = None
    if kind not in IMAGE_TYPES:
        raise DomainError(_("Upload a PNG, JPEG, GIF or WebP image (SVG is not accepted)."), field=field)
    return ContentFile(data, name=upload.name)


@transaction.atomic
def upload_image(portal: Portal, *, actor, upload) -> PortalImage:
    """Store an image for articles of the portal (validated by content, not by name)."""
    content = _checked_image(upload)
    with Image.open(io.BytesIO(content.read())) as image:
        content_type = IMAGE_TYPES[image.format]
    content.seek(0)
    name = slugify(upload.name.rsplit(".", 1)[0])[:60] or "image"
    extension = {"image/png": "png", "image/jpeg": "jpg", "image/gif": "gif", "image/webp": "webp"}[content_type]
    image = PortalImage(portal=portal, content_type=content_type, file_name=f"{name}.{extension}",
                        uploaded_by=actor)
    image.file.save(f"{name}.{extension}", content, save=False)
    image.save()
    audit(portal.account_id, actor, "upload_image", image, {"name": image.file_name})
    return image


# --- Readers (public portal and widget) -------------------------------------------------------

def record_article_view(article: Article, *, source: str = "portal") -> None:
    """Count a view of the article (`source` "widget" counts separately); one UPDATE, no row lock held."""
    column = "widget_views" if source == "widget" else "views"
    Article.objects.filter(pk=article.pk).update(**{column: F(column) + 1})


@transaction.atomic
def record_feedback(article: Article, *, reader_key: str, helpful: bool, comment: str = "") -> ArticleFeedback:
    """Store a reader's vote (a second vote by the same reader replaces the first) and keep the counters."""
    feedback = ArticleFeedback.objects.select_for_update().filter(article=article, reader_key=reader_key).first()
    counters = {True: "helpful_count", False: "not_helpful_count"}
    if feedback is None:
        feedback = ArticleFeedback.objects.create(article=article, reader_key=reader_key, helpful=helpful,
                                                  comment=comment[:2000])
        Article.objects.filter(pk=article.pk).update(**{counters[helpful]: F(counters[helpful]) + 1})
        return feedback
    if feedback.helpful != helpful:
        Article.objects.filter(pk=article.pk).update(**{counters[helpful]: F(counters[helpful]) + 1,
                                                        counters[not helpful]: F(counters[not helpful]) - 1})
    feedback.helpful = helpful
    if comment:
        feedback.comment = comment[:2000]
    feedback.save()
    return feedback


def record_search(portal: Portal, *, locale: str, term: str, results: int, replaces: str = "") -> None:
    """Count a search term for analytics. Search as you type sends 'dev', 'devol', 'devolução': a term that
    extends the reader's previous one (`replaces`) takes its place instead of counting both."""
    term = " ".join((term or "").lower().split())[:100]
    if len(term) < 2:
        return
    now = timezone.now()
    with transaction.atomic():
        if replaces and replaces != term and (term.startswith(replaces) or replaces.startswith(term)):
            SearchTerm.objects.filter(portal=portal, locale=locale, term=replaces).update(searches=F("searches") - 1)
            SearchTerm.objects.filter(portal=portal, locale=locale, term=replaces, searches__lte=0).delete()
        updated = SearchTerm.objects.filter(portal=portal, locale=locale, term=term).update(
            searches=F("searches") + 1, last_results=results, last_searched_at=now)
        if not updated:
            try:
                with transaction.atomic():
                    SearchTerm.objects.create(portal=portal, locale=locale, term=term, searches=1,
                                              last_results=results, last_searched_at=now)
            except IntegrityError:
                SearchTerm.objects.filter(portal=portal, locale=locale, term=term).update(
                    searches=F("searches") + 1, last_results=results, last_searched_at=now)
