"""Help center authoring (Settings → Help center): portals, categories, the article editor with live
preview, autosave, revisions (diff and restore), drag-and-drop ordering, image uploads, analytics.

Administrators manage portals and categories; agents listed as a portal's members write its articles.
"""

import difflib

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from autonomia.actions import DomainError
from autonomia.forms import add_domain_error
from autonomia.views import account_view
from autonomia.views_settings import form_status
from helpcenter import actions, queries
from helpcenter.forms import ArticleForm, NewArticleForm, PortalForm
from helpcenter.models import LOCALE_NAMES, Article, PortalMember
from helpcenter.rendering import render_article


def _require_admin(request: HttpRequest) -> None:
    if not request.account_user.is_administrator:
        raise PermissionDenied


def _portal_url(portal, name: str = "helpcenter:articles") -> str:
    return reverse(name, kwargs={"account_id": portal.account_id, "portal_id": portal.pk})


def _article_url(article) -> str:
    return reverse("helpcenter:article-edit", kwargs={"account_id": article.portal.account_id,
                                                      "article_id": article.pk})


# --- Portals --------------------------------------------------------------------------------

@account_view
@require_GET
def portal_list(request: HttpRequest) -> HttpResponse:
    portals = list(queries.visible_portals(request.account_user))
    for portal in portals:
        portal.counts = queries.article_counts(portal)
    return render(request, "helpcenter/settings/portals.html", {"portals": portals})


@account_view
def portal_edit(request: HttpRequest, portal_id: int | None = None) -> HttpResponse:
    portal = queries.access_portal(request.account_user, portal_id) if portal_id is not None else None
    _require_admin(request)
    member_ids = PortalMember.objects.filter(portal=portal).values_list("user_id", flat=True) if portal else []
    form = PortalForm(request.POST or None, request.FILES or None, account=request.account,
                      initial=PortalForm.initial_for(portal, member_ids) if portal else None)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        members = [int(i) for i in data.pop("members")]
        for key in ("logo", "favicon"):
            if not data[key]:
                data.pop(key)
        try:
            if portal is None:
                portal = actions.create_portal(request.account, actor=request.user, **data)
            else:
                actions.update_portal(portal, actor=request.user, **data)
            actions.set_portal_members(portal, actor=request.user, user_ids=members)
        except DomainError as error:
            add_domain_error(form, error)
        else:
            messages.success(request, _("Portal “%(name)s” saved.") % {"name": portal.name})
            return redirect(_portal_url(portal))
    return render(request, "helpcenter/settings/portal_edit.html", {"form": form, "portal": portal},
                  status=form_status(form))


@account_view
def portal_delete(request: HttpRequest, portal_id: int) -> HttpResponse:
    portal = queries.access_portal(request.account_user, portal_id)
    _require_admin(request)
    if request.method == "POST":
        actions.delete_portal(portal, actor=request.user)
        messages.success(request, _("Portal “%(name)s” deleted.") % {"name": portal.name})
        return redirect("helpcenter:portals", account_id=request.account.pk)
    return render(request, "settings/confirm_delete.html", {
        "title": _("Delete the portal “%(name)s”?") % {"name": portal.name},
        "message": _("Its categories and articles are deleted too, and its public pages stop working."),
        "cancel_url": _portal_url(portal), "confirm_label": _("Delete portal"), "section": "helpcenter"})


# --- Articles list ----------------------------------------------------------------------------

@account_view
@require_GET
def article_list(request: HttpRequest, portal_id: int) -> HttpResponse:
    portal = queries.access_portal(request.account_user, portal_id)
    locale = request.GET.get("locale") if request.GET.get("locale") in portal.allowed_locales else portal.default_locale
    status = request.GET.get("status", "")
    category_id = request.GET.get("category", "")
    query = request.GET.get("q", "").strip()[:100]
    articles = queries.portal_articles(portal, locale=locale, status=int(status) if status.isdigit() else None,
                                       category_id=category_id if category_id == "none" or category_id.isdigit()
                                       else None, query=query)
    return render(request, "helpcenter/settings/articles.html", {
        "portal": portal, "articles": articles[:500], "locale": locale, "status": status, "category_id": category_id,
        "query": query, "categories": queries.portal_categories(portal, locale), "counts": queries.article_counts(portal),
        "locales": [(code, LOCALE_NAMES.get(code, code)) for code in portal.allowed_locales],
        "statuses": Article.Status.choices, "can_reorder": not (status or query)})


@account_view
@require_POST
def article_reorder(request: HttpRequest, portal_id: int) -> HttpResponse:
    portal = queries.access_portal(request.account_user, portal_id)
    ids = [int(i) for i in request.POST.getlist("ids") if i.isdigit()]
    actions.reorder_articles(portal, actor=request.user, ids=ids)
    return HttpResponse(status=204)


@account_view
def article_new(request: HttpRequest, portal_id: int) -> HttpResponse:
    portal = queries.access_portal(request.account_user, portal_id)
    form = NewArticleForm(request.POST or None, portal=portal,
                          initial={"locale": request.GET.get("locale", portal.default_locale)})
    if request.method == "POST" and form.is_valid():
        try:
            article = actions.create_article(portal, actor=request.user, **form.cleaned_data)
        except DomainError as error:
            add_domain_error(form, error)
        else:
            return redirect(_article_url(article))
    return render(request, "helpcenter/settings/article_new.html", {"form": form, "portal": portal},
                  status=form_status(form))


# --- The editor -----------------------------------------------------------------------------

@account_view
def article_edit(request: HttpRequest, article_id: int) -> HttpResponse:
    article = queries.access_article(request.account_user, article_id)
    form = ArticleForm(request.POST or None, article=article, initial=ArticleForm.initial_for(article))
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        data["meta"] = {**article.meta, "tags": data.pop("tags")}
        try:
            actions.update_article(article, actor=request.user, **data)
        except DomainError as error:
            add_domain_error(form, error)
        else:
            messages.success(request, _("Article saved."))
            return redirect(_article_url(article))
    portal = article.portal
    rendered = render_article(form["content"].value() or "")
    missing = [code for code in portal.allowed_locales if code != article.locale and code not in
               {t.locale for t in queries.article_translations(article)}]
    return render(request, "helpcenter/settings/article_edit.html", {
        "article": article, "portal": portal, "form": form, "preview": rendered.html,
        "translations": queries.article_translations(article), "missing_locales": missing,
        "autosaved": queries.latest_autosave(article, request.user),
        "public_url": f"/hc/{portal.slug}/{article.locale}/articles/{article.slug}/"}, status=form_status(form))


@account_view
@require_POST
def article_preview(request: HttpRequest, article_id: int) -> HttpResponse:
    queries.access_article(request.account_user, article_id)
    return render(request, "helpcenter/settings/article_edit.html#preview",
                  {"preview": render_article(request.POST.get("content", "")).html})


@account_view
@require_POST
def article_autosave(request: HttpRequest, article_id: int) -> HttpResponse:
    article = queries.access_article(request.account_user, article_id)
    revision = actions.autosave_article(article, actor=request.user, title=request.POST.get("title", ""),
                                        description=request.POST.get("description", ""),
                                        content=request.POST.get("content", ""))
    return render(request, "helpcenter/settings/article_edit.html#autosave-status",
                  {"article": article, "saved_at": revision.updated_at})


@account_view
@require_POST
def article_status(request: HttpRequest, article_id: int) -> HttpResponse:
    article = queries.access_article(request.account_user, article_id)
    try:
        actions.set_article_status(article, actor=request.user, status=request.POST.get("status"))
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Article status: %(status)s.") % {"status": article.get_status_display()})
    return redirect(_article_url(article))


@account_view
@require_POST
def article_translate(request: HttpRequest, article_id: int) -> HttpResponse:
    article = queries.access_article(request.account_user, article_id)
    try:
        translation = actions.create_translation(article, actor=request.user, locale=request.POST.get("locale", ""))
    except DomainError as error:
        messages.error(request, error.message)
        return redirect(_article_url(article))
    return redirect(_article_url(translation))


@account_view
def article_delete(request: HttpRequest, article_id: int) -> HttpResponse:
    article = queries.access_article(request.account_user, article_id)
    if request.method == "POST":
        actions.delete_article(article, actor=request.user)
        messages.success(request, _("Article “%(title)s” deleted.") % {"title": article.title})
        return redirect(_portal_url(article.portal))
    return render(request, "settings/confirm_delete.html", {
        "title": _("Delete the article “%(title)s”?") % {"title": article.title},
        "message": _("Readers will no longer find it. Its translations are kept."),
        "cancel_url": _article_url(article), "confirm_label": _("Delete article"), "section": "helpcenter"})


# --- Revisions ------------------------------------------------------------------------------

@account_view
@require_GET
def revision_list(request: HttpRequest, article_id: int) -> HttpResponse:
    article = queries.access_article(request.account_user, article_id)
    return render(request, "helpcenter/settings/revisions.html", {
        "article": article, "portal": article.portal, "revisions": article.revisions.select_related("author")[:100]})


@account_view
@require_GET
def revision_diff(request: HttpRequest, article_id: int, revision_id: int) -> HttpResponse:
    article = queries.access_article(request.account_user, article_id)
    revision = queries.access_revision(article, revision_id)
    before = f"# {revision.title}\n\n{revision.description}\n\n{revision.content}".splitlines()
    after = f"# {article.title}\n\n{article.description}\n\n{article.content}".splitlines()
    lines = [line for line in difflib.unified_diff(before, after, lineterm="", n=3)][2:]
    return render(request, "helpcenter/settings/revision_diff.html", {
        "article": article, "portal": article.portal, "revision": revision, "lines": lines})


@account_view
@require_POST
def revision_restore(request: HttpRequest, article_id: int, revision_id: int) -> HttpResponse:
    article = queries.access_article(request.account_user, article_id)
    actions.restore_revision(article, queries.access_revision(article, revision_id), actor=request.user)
    messages.success(request, _("The version was restored."))
    return redirect(_article_url(article))


# --- Images ---------------------------------------------------------------------------------

@account_view
@require_POST
def image_upload(request: HttpRequest, portal_id: int) -> JsonResponse:
    """The editor's image upload: answers the Markdown to insert, or 422 with the reason."""
    portal = queries.access_portal(request.account_user, portal_id)
    upload = request.FILES.get("file")
    if upload is None:
        return JsonResponse({"error": _("Choose an image to upload.")}, status=422)
    try:
        image = actions.upload_image(portal, actor=request.user, upload=upload)
    except DomainError as error:
        return JsonResponse({"error": error.message}, status=422)
    url = f"/hc/{portal.slug}/images/{image.pk}/{image.file_name}"
    return JsonResponse({"url": url, "markdown": f"![{image.file_name}]({url})"})


# --- Analytics ------------------------------------------------------------------------------

@account_view
@require_GET
def analytics(request: HttpRequest, portal_id: int) -> HttpResponse:
    portal = queries.access_portal(request.account_user, portal_id)
    return render(request, "helpcenter/settings/analytics.html", {
        "portal": portal, "articles": queries.analytics_articles(portal), "top": queries.top_searches(portal),
        "failed": queries.failed_searches(portal)})
