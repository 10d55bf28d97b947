"""Label settings (administrators): list, create, edit, delete."""

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from autonomia.actions import DomainError
from autonomia.forms import add_domain_error
from autonomia.views import admin_view
from autonomia.views_settings import form_status
from conversations import label_actions
from conversations.label_forms import PRESET_COLOURS, LabelForm
from conversations.label_queries import access_label, label_usage, visible_labels


@admin_view
def label_list(request: HttpRequest) -> HttpResponse:
    return render(request, "settings/labels/list.html", {"labels": visible_labels(request.account)})


@admin_view
def label_edit(request: HttpRequest, label_id: int | None = None) -> HttpResponse:
    label = access_label(request.account_user, label_id) if label_id is not None else None
    form = LabelForm(request.POST or None, label=label)
    if request.method == "POST" and form.is_valid():
        try:
            if label is None:
                label = label_actions.create_label(request.account, actor=request.user, **form.cleaned_data)
            else:
                label_actions.update_label(label, actor=request.user, **form.cleaned_data)
        except DomainError as error:
            add_domain_error(form, error)
        else:
            messages.success(request, _("Label “%(title)s” saved.") % {"title": label.title})
            return redirect("conversations:labels-settings", account_id=request.account.pk)
    return render(request, "settings/labels/edit.html", {"form": form, "label": label, "colours": PRESET_COLOURS},
                  status=form_status(form))


def _usage_message(count: int) -> str:
    return ngettext(
        "%(count)d conversation keeps the tag, but the label is no longer offered and leaves the sidebar.",
        "%(count)d conversations keep the tag, but the label is no longer offered and leaves the sidebar.",
        count) % {"count": count}


@admin_view
def label_delete(request: HttpRequest, label_id: int) -> HttpResponse:
    label = access_label(request.account_user, label_id)
    if request.method == "POST":
        label_actions.delete_label(label, actor=request.user)
        messages.success(request, _("Label “%(title)s” deleted.") % {"title": label.title})
        return redirect("conversations:labels-settings", account_id=request.account.pk)
    return render(request, "settings/confirm_delete.html", {
        "title": _("Delete the label “%(title)s”?") % {"title": label.title},
        "message": _usage_message(label_usage(label)),
        "cancel_url": reverse("conversations:labels-settings", kwargs={"account_id": request.account.pk}),
        "confirm_label": _("Delete label"), "section": "labels",
    })
