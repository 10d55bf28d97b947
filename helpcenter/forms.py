"""Forms of the help center's settings pages; they only parse input, the actions decide."""

from django import forms
from django.utils.translation import gettext_lazy as _

from autonomia.forms import StyledForm
from helpcenter.models import LOCALES, Article, Category, Portal


class PortalForm(StyledForm):
    name = forms.CharField(label=_("Name"), max_length=255)
    slug = forms.SlugField(label=_("Slug"), max_length=100, required=False,
                           help_text=_("The portal's address: /hc/<slug>/. Taken from the name when empty."))
    custom_domain = forms.CharField(label=_("Custom domain"), max_length=255, required=False,
                                    help_text=_("For example ajuda.suaempresa.com.br, pointed at this server."))
    color = forms.CharField(label=_("Colour"), max_length=7, initial="#1f6feb",
                            widget=forms.TextInput(attrs={"type": "color"}))
    header_text = forms.CharField(label=_("Header text"), max_length=255, required=False)
    page_title = forms.CharField(label=_("Page title"), max_length=255, required=False)
    homepage_link = forms.URLField(label=_("Home page link"), required=False, assume_scheme="https")
    default_locale = forms.ChoiceField(label=_("Default language"), choices=LOCALES, initial="pt-BR")
    locales = forms.MultipleChoiceField(label=_("Further languages"), choices=LOCALES, required=False,
                                        widget=forms.CheckboxSelectMultiple)
    visibility = forms.TypedChoiceField(label=_("Visibility"), choices=Portal.Visibility.choices, coerce=int,
                                        initial=Portal.Visibility.PUBLIC)
    password = forms.CharField(label=_("Password"), required=False, widget=forms.PasswordInput(render_value=False),
                               help_text=_("Readers type it once to open a password-protected portal. "
                                           "Leave empty to keep the current one."))
    inbox = forms.ModelChoiceField(label=_("Website inbox for “Talk to us”"), queryset=None, required=False)
    members = forms.MultipleChoiceField(label=_("Agents who may write articles"), required=False,
                                        widget=forms.CheckboxSelectMultiple)
    logo = forms.ImageField(label=_("Logo"), required=False)
    favicon = forms.ImageField(label=_("Favicon"), required=False)

    def __init__(self, *args, account, **kwargs):
        super().__init__(*args, **kwargs)
        from autonomia.queries import account_members
        from inboxes.models import Inbox

        self.fields["inbox"].queryset = Inbox.objects.filter(account=account)
        self.fields["members"].choices = [(str(m.user_id), m.user.available_name) for m in account_members(account)
                                          if not m.is_administrator]

    @staticmethod
    def initial_for(portal: Portal, member_ids) -> dict:
        return {"name": portal.name, "slug": portal.slug, "custom_domain": portal.custom_domain or "",
                "color": portal.color, "header_text": portal.header_text, "page_title": portal.page_title,
                "homepage_link": portal.homepage_link, "default_locale": portal.default_locale,
                "locales": [c for c in portal.locales if c != portal.default_locale],
                "visibility": portal.visibility, "inbox": portal.inbox_id, "members": [str(i) for i in member_ids]}


class CategoryForm(StyledForm):
    name = forms.CharField(label=_("Name"), max_length=255)
    slug = forms.SlugField(label=_("Slug"), max_length=100, required=False)
    locale = forms.ChoiceField(label=_("Language"), choices=())
    description = forms.CharField(label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
    icon = forms.CharField(label=_("Icon (an emoji)"), max_length=16, required=False)
    parent = forms.ModelChoiceField(label=_("Parent category"), queryset=None, required=False)
    associated_category = forms.ModelChoiceField(label=_("Translation of"), queryset=None, required=False)
    related = forms.ModelMultipleChoiceField(label=_("Related categories"), queryset=None, required=False,
                                             widget=forms.CheckboxSelectMultiple)

    def __init__(self, *args, portal: Portal, category: Category | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        others = portal.categories.exclude(pk=getattr(category, "pk", None)).order_by("locale", "position")
        self.fields["locale"].choices = [(code, code) for code in portal.allowed_locales]
        for name in ("parent", "associated_category", "related"):
            self.fields[name].queryset = others
        self.fields["parent"].label_from_instance = self.fields["associated_category"].label_from_instance = (
            lambda c: f"{c.name} ({c.locale})")
        self.fields["related"].label_from_instance = lambda c: f"{c.name} ({c.locale})"


class NewArticleForm(StyledForm):
    title = forms.CharField(label=_("Title"), max_length=255)
    locale = forms.ChoiceField(label=_("Language"), choices=())
    category = forms.ModelChoiceField(label=_("Category"), queryset=None, required=False,
                                      empty_label=_("Uncategorised"))

    def __init__(self, *args, portal: Portal, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["locale"].choices = [(code, code) for code in portal.allowed_locales]
        self.fields["category"].queryset = portal.categories.order_by("locale", "position")
        self.fields["category"].label_from_instance = lambda c: f"{c.name} ({c.locale})"


class ArticleForm(StyledForm):
    title = forms.CharField(label=_("Title"), max_length=255)
    content = forms.CharField(label=_("Content"), required=False, widget=forms.Textarea(attrs={"rows": 22}))
    description = forms.CharField(label=_("Description for search engines"), max_length=300, required=False,
                                  widget=forms.Textarea(attrs={"rows": 2}))
    slug = forms.SlugField(label=_("Slug"), max_length=150, required=False)
    category = forms.ModelChoiceField(label=_("Category"), queryset=None, required=False,
                                      empty_label=_("Uncategorised"))
    status = forms.TypedChoiceField(label=_("Status"), choices=Article.Status.choices, coerce=int)
    tags = forms.CharField(label=_("Search tags"), max_length=255, required=False,
                           help_text=_("Extra words readers may search for, separated by commas."))

    def __init__(self, *args, article: Article, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].queryset = article.portal.categories.filter(locale=article.locale)

    @staticmethod
    def initial_for(article: Article) -> dict:
        return {"title": article.title, "content": article.content, "description": article.description,
                "slug": article.slug, "category": article.category_id, "status": article.status,
                "tags": article.meta.get("tags", "")}
