"""The help center: portals, categories, articles (with revisions), uploaded images, feedback and search terms.

Search columns (`Article.search_vector` and `search_head`, the `HelpWord` lexicon) are maintained by
`helpcenter/search.py`, called from the actions; PostgreSQL objects they rely on (unaccent, pg_trgm, the `hc_*`
text search configurations and indexes) are created by migration 0002.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from autonomia.models import Account

class TsVectorField(models.Field):
    """A `tsvector` column on PostgreSQL (plain text, unused, on the embedded SQLite)."""

    def db_type(self, connection) -> str:
        return "tsvector" if connection.vendor == "postgresql" else "text"


LOCALES = [("pt-BR", "Português (Brasil)"), ("pt-PT", "Português (Portugal)"), ("en", "English"),
           ("es", "Español"), ("fr", "Français"), ("de", "Deutsch"), ("it", "Italiano")]
LOCALE_NAMES = dict(LOCALES)


class Portal(models.Model):
    """A help center: a public (or restricted) site of categories and articles, per account."""

    class Visibility(models.IntegerChoices):
        PUBLIC = 0, _("Public")
        SIGNED_IN = 1, _("Restricted to signed-in users")
        PASSWORD = 2, _("Password-protected")

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="portals")
    name = models.CharField(_("name"), max_length=255)
    slug = models.SlugField(_("slug"), max_length=100, unique=True)
    custom_domain = models.CharField(_("custom domain"), max_length=255, unique=True, null=True, blank=True)
    color = models.CharField(_("colour"), max_length=7, default="#1f6feb")
    header_text = models.CharField(_("header text"), max_length=255, blank=True)
    page_title = models.CharField(_("page title"), max_length=255, blank=True)
    homepage_link = models.URLField(_("home page link"), blank=True)
    logo = models.ImageField(_("logo"), upload_to="helpcenter/logos/", blank=True)
    favicon = models.ImageField(_("favicon"), upload_to="helpcenter/favicons/", blank=True)
    default_locale = models.CharField(_("default language"), max_length=10, default="pt-BR")
    locales = models.JSONField(_("languages"), default=list, blank=True)  # every allowed locale, default included
    visibility = models.IntegerField(_("visibility"), choices=Visibility.choices, default=Visibility.PUBLIC)
    password_hash = models.CharField(max_length=255, blank=True)
    # The website widget opened by "Talk to us" (Chatwoot's channel_web_widget_id).
    inbox = models.ForeignKey("inboxes.Inbox", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    archived = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def allowed_locales(self) -> list[str]:
        locales = [self.default_locale] + [code for code in self.locales if code != self.default_locale]
        return locales

    @property
    def is_public(self) -> bool:
        return self.visibility == self.Visibility.PUBLIC and not self.archived


class Category(models.Model):
    """A group of articles in one locale; translations share `associated_category`."""

    portal = models.ForeignKey(Portal, on_delete=models.CASCADE, related_name="categories")
    locale = models.CharField(_("language"), max_length=10)
    name = models.CharField(_("name"), max_length=255)
    slug = models.SlugField(_("slug"), max_length=100)
    description = models.TextField(_("description"), blank=True)
    icon = models.CharField(_("icon"), max_length=16, blank=True)  # an emoji
    position = models.IntegerField(default=0)
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="children")
    associated_category = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL,
                                            related_name="translations")
    related = models.ManyToManyField("self", blank=True, symmetrical=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["position", "id"]
        constraints = [models.UniqueConstraint(fields=["portal", "locale", "slug"], name="hc_category_slug_unique")]

    def __str__(self) -> str:
        return self.name


class Article(models.Model):
    """A Markdown article; `associated_article` links translations (Chatwoot's associated_article_id)."""

    class Status(models.IntegerChoices):
        DRAFT = 0, _("Draft")
        PUBLISHED = 1, _("Published")
        ARCHIVED = 2, _("Archived")

    portal = models.ForeignKey(Portal, on_delete=models.CASCADE, related_name="articles")
    category = models.ForeignKey(Category, null=True, blank=True, on_delete=models.SET_NULL, related_name="articles")
    locale = models.CharField(_("language"), max_length=10)
    title = models.CharField(_("title"), max_length=255)
    slug = models.SlugField(_("slug"), max_length=150)
    description = models.CharField(_("description for search engines"), max_length=300, blank=True)
    content = models.TextField(_("content"), blank=True)
    body_text = models.TextField(blank=True)  # the content as plain text: snippets, Alú's grounding
    status = models.IntegerField(_("status"), choices=Status.choices, default=Status.DRAFT)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                               related_name="+")
    position = models.IntegerField(default=0)
    associated_article = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL,
                                           related_name="translations")
    meta = models.JSONField(default=dict, blank=True)  # {"title", "description", "tags"} (Chatwoot's SEO meta)
    views = models.PositiveIntegerField(default=0)
    widget_views = models.PositiveIntegerField(default=0)
    helpful_count = models.PositiveIntegerField(default=0)
    not_helpful_count = models.PositiveIntegerField(default=0)
    search_vector = TsVectorField(null=True, editable=False)
    search_head = TsVectorField(null=True, editable=False)  # title and description only: cheap to rank
    published_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["position", "id"]
        constraints = [models.UniqueConstraint(fields=["portal", "locale", "slug"], name="hc_article_slug_unique")]
        indexes = [models.Index(fields=["portal", "locale", "status", "category"], name="hc_article_listing"),
                   models.Index(fields=["portal", "status", "-views"], name="hc_article_popular")]

    def __str__(self) -> str:
        return self.title

    @property
    def is_published(self) -> bool:
        return self.status == self.Status.PUBLISHED

    @property
    def status_name(self) -> str:
        return self.Status(self.status).name.lower()

    @property
    def translation_root_id(self) -> int:
        return self.associated_article_id or self.pk

    @property
    def helpful_ratio(self) -> float | None:
        votes = self.helpful_count + self.not_helpful_count
        return self.helpful_count / votes if votes else None


class ArticleRevision(models.Model):
    """A saved version of an article (explicit saves, autosaves coalesced per author, restores)."""

    class Kind(models.IntegerChoices):
        SAVE = 0, _("Saved")
        AUTOSAVE = 1, _("Autosaved")
        RESTORE = 2, _("Restored")
        PUBLISH = 3, _("Published")

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="revisions")
    kind = models.IntegerField(choices=Kind.choices, default=Kind.SAVE)
    title = models.CharField(max_length=255)
    description = models.CharField(max_length=300, blank=True)
    content = models.TextField(blank=True)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                               related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]


class PortalImage(models.Model):
    """An image uploaded in the article editor (PNG, JPEG, GIF or WebP; never SVG)."""

    portal = models.ForeignKey(Portal, on_delete=models.CASCADE, related_name="images")
    file = models.ImageField(upload_to="helpcenter/images/")
    content_type = models.CharField(max_length=50)
    file_name = models.CharField(max_length=255)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)


class ArticleFeedback(models.Model):
    """A reader's 'was this helpful?' vote (one per reader and article; a later vote replaces it)."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="feedback")
    reader_key = models.CharField(max_length=64)  # a random id kept in a cookie, never personal data
    helpful = models.BooleanField()
    comment = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["article", "reader_key"], name="hc_feedback_once")]


class SearchTerm(models.Model):
    """How often readers searched a term, and how many results the last search found (analytics)."""

    portal = models.ForeignKey(Portal, on_delete=models.CASCADE, related_name="search_terms")
    locale = models.CharField(max_length=10)
    term = models.CharField(max_length=100)
    searches = models.PositiveIntegerField(default=0)
    last_results = models.PositiveIntegerField(default=0)
    last_searched_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["portal", "locale", "term"], name="hc_search_term_unique")]


class HelpWord(models.Model):
    """A word that occurs in a portal's articles, unaccented and lower-case: typo correction by trigrams."""

    portal = models.ForeignKey(Portal, on_delete=models.CASCADE, related_name="+")
    word = models.CharField(max_length=60)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["portal", "word"], name="hc_word_unique")]


class PortalMember(models.Model):
    """An agent allowed to write the portal's articles (administrators always may)."""

    portal = models.ForeignKey(Portal, on_delete=models.CASCADE)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["portal", "user"], name="hc_portal_member_unique")]
