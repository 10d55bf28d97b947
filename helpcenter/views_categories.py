"""Help center categories (administrators): list with drag-and-drop order, create, edit, delete."""

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from autonomia.actions import DomainError
from autonomia.forms import add_domain_error
from autonomia.views import account_view
from autonomia.views_settings import form_status
from helpcenter import actions, queries
from helpcenter.forms import CategoryForm
from helpcenter.views import _require_admin


def _list_url(portal) -> str:
    return reverse("helpcenter:categories", kwargs={"account_id": portal.account_id, "portal_id": portal.pk})


@account_view
@require_GET
def category_list(request: HttpRequest, portal_id: int) -> HttpResponse:
    portal = queries.access_portal(request.account_user, portal_id)
    _require_admin(request)
    return render(request, "helpcenter/settings/categories.html", {
        "portal": portal, "categories": queries.portal_categories(portal)})


@account_view
def category_edit(request: HttpRequest, portal_id: int, category_id: int | None = None) -> HttpResponse:
    portal = queries.access_portal(request.account_user, portal_id)
    _require_admin(request)
    category = queries.access_category(request.account_user, category_id, portal=portal) if category_id else None
    initial = ({"name": category.name, "slug": category.slug, "locale": category.locale,
                "description": category.description, "icon": category.icon, "parent": category.parent_id,
                "associated_category": category.associated_category_id,
                "related": list(category.related.values_list("pk", flat=True))}
               if category else {"locale": request.GET.get("locale", portal.default_locale)})
    form = CategoryForm(request.POST or None, portal=portal, category=category, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        data["related"] = list(data["related"])
        try:
            if category is None:
                category = actions.create_category(portal, actor=request.user, **data)
            else:
                actions.update_category(category, actor=request.user, **data)
        except DomainError as error:
            add_domain_error(form, error)
        else:
            messages.success(request, _("Category “%(name)s” saved.") % {"name": category.name})
            return redirect(_list_url(portal))
    return render(request, "helpcenter/settings/category_edit.html",
                  {"form": form, "portal": portal, "category": category}, status=form_status(form))


@account_view
def category_delete(request: HttpRequest, portal_id: int, category_id: int) -> HttpResponse:
    portal = queries.access_portal(request.account_user, portal_id)
    _require_admin(request)
    category = queries.access_category(request.account_user, category_id, portal=portal)
    if request.method == "POST":
        moved = actions.delete_category(category, actor=request.user)
        messages.success(request, _("Category deleted; %(count)s articles are now uncategorised.") % {"count": moved})
        return redirect(_list_url(portal))
    return render(request, "settings/confirm_delete.html", {
        "title": _("Delete the category “%(name)s”?") % {"name": category.name},
        "message": _("Its articles are kept and become uncategorised."),
        "cancel_url": _list_url(portal), "confirm_label": _("Delete category"), "section": "helpcenter"})


@account_view
@require_POST
def category_reorder(request: HttpRequest, portal_id: int) -> HttpResponse:
    portal = queries.access_portal(request.account_user, portal_id)
    _require_admin(request)
    actions.reorder_categories(portal, actor=request.user,
                               ids=[int(i) for i in request.POST.getlist("ids") if i.isdigit()])
    return HttpResponse(status=204)
