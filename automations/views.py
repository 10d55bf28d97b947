"""Canned responses settings (administrators): list, create, edit, delete."""

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from autonomia.actions import DomainError
from autonomia.forms import add_domain_error
from autonomia.views import admin_view
from autonomia.views_settings import form_status
from automations import actions
from automations.forms import CannedResponseForm
from automations.queries import access_canned_response, visible_canned_responses


@admin_view
def canned_list(request: HttpRequest) -> HttpResponse:
    query = request.GET.get("q", "").strip()
    canned = visible_canned_responses(request.account)
    if query:
        canned = canned.filter(short_code__icontains=query) | canned.filter(content__icontains=query)
    return render(request, "settings/canned/list.html", {"canned_responses": canned, "query": query})


@admin_view
def canned_edit(request: HttpRequest, canned_id: int | None = None) -> HttpResponse:
    canned = access_canned_response(request.account_user, canned_id) if canned_id is not None else None
    form = CannedResponseForm(request.POST or None, canned=canned)
    if request.method == "POST" and form.is_valid():
        try:
            if canned is None:
                canned = actions.create_canned_response(request.account, actor=request.user, **form.cleaned_data)
            else:
                actions.update_canned_response(canned, actor=request.user, **form.cleaned_data)
        except DomainError as error:
            add_domain_error(form, error)
        else:
            messages.success(request, _("Canned response “%(code)s” saved.") % {"code": canned.short_code})
            return redirect("automations:canned", account_id=request.account.pk)
    return render(request, "settings/canned/edit.html", {"form": form, "canned": canned},
                  status=form_status(form))


@admin_view
def canned_delete(request: HttpRequest, canned_id: int) -> HttpResponse:
    canned = access_canned_response(request.account_user, canned_id)
    if request.method == "POST":
        actions.delete_canned_response(canned, actor=request.user)
        messages.success(request, _("Canned response “%(code)s” deleted.") % {"code": canned.short_code})
        return redirect("automations:canned", account_id=request.account.pk)
    return render(request, "settings/confirm_delete.html", {
        "title": _("Delete the canned response “%(code)s”?") % {"code": canned.short_code},
        "message": _("Agents will no longer be able to insert it."),
        "cancel_url": reverse("automations:canned", kwargs={"account_id": request.account.pk}),
        "confirm_label": _("Delete canned response"), "section": "canned",
    })
