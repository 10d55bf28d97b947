"""Inbox settings (administrators): list, new inbox, general / assignment / configuration tabs, hours, members."""

from django.contrib import messages
from django.db import transaction
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from autonomia.actions import DomainError
from autonomia.forms import add_domain_error
from autonomia.queries import account_members
from autonomia.views import account_view, admin_view
from autonomia.views_settings import form_status, optional_url
from inboxes import actions
from inboxes.forms import (ApiChannelForm, InboxAssignmentForm, InboxGeneralForm, InboxHoursForm, InboxMembersForm,
                           InboxNewForm, hours_error_field)
from inboxes.models import Inbox
from inboxes.queries import access_inbox, inbox_list_rows, inbox_member_ids

# The channel picker: only the API channel ships in this issue; the others are shown as coming soon.
CHANNELS = [
    {"key": "api", "name": "API", "available": True,
     "description": gettext_lazy("Connect any system through Autonomia's Chatwoot-compatible API and webhooks.")},
    {"key": "webwidget", "name": gettext_lazy("Website"), "available": True,
     "description": gettext_lazy("A chat bubble on your website.")},
    {"key": "whatsapp", "name": "WhatsApp", "available": True,
     "description": gettext_lazy("WhatsApp Cloud API or Evolution API.")},
    {"key": "email", "name": gettext_lazy("Email"), "available": False,
     "description": gettext_lazy("Turn emails into conversations.")},
    {"key": "instagram", "name": "Instagram", "available": False,
     "description": gettext_lazy("Direct messages from Instagram.")},
    {"key": "messenger", "name": "Messenger", "available": False,
     "description": gettext_lazy("Messages from your Facebook page.")},
    {"key": "telegram", "name": "Telegram", "available": False,
     "description": gettext_lazy("Messages to your Telegram bot.")},
    {"key": "sms", "name": "SMS", "available": False, "description": gettext_lazy("Text messages.")},
]


def _settings_url(inbox: Inbox, tab: str = "general") -> str:
    url = reverse("inboxes:settings", kwargs={"account_id": inbox.account_id, "inbox_id": inbox.pk})
    return url if tab == "general" else f"{url}?tab={tab}"


def _page(request: HttpRequest, inbox: Inbox, tab: str, context: dict, status: int = 200) -> HttpResponse:
    context.update(inbox=inbox, tab=tab, avatar_url=_avatar_url(inbox))
    return render(request, f"settings/inboxes/{tab}.html", context, status=status)


def _avatar_url(inbox: Inbox) -> str | None:
    if not inbox.avatar:
        return None
    return optional_url("inboxes:avatar", account_id=inbox.account_id, inbox_id=inbox.pk)


@admin_view
def inbox_list(request: HttpRequest) -> HttpResponse:
    return render(request, "settings/inboxes/list.html", {"inboxes": inbox_list_rows(request.account_user)})


@admin_view
def inbox_new(request: HttpRequest) -> HttpResponse:
    if (request.POST.get("channel") or request.GET.get("channel")) == "webwidget":
        from inboxes.widget_settings import new_website_inbox

        return new_website_inbox(request)
    if (request.POST.get("channel") or request.GET.get("channel")) == "whatsapp":
        return redirect("whatsapp:new", account_id=request.account.pk)  # inboxes/providers/whatsapp/views.py
    if (request.POST.get("channel") or request.GET.get("channel")) != "api":
        return render(request, "settings/inboxes/new.html", {"channels": CHANNELS})
    form = InboxNewForm(request.POST or None, memberships=account_members(request.account))
    if request.method == "POST" and form.is_valid():
        try:
            with transaction.atomic():
                inbox = actions.create_inbox(request.account, actor=request.user, name=form.cleaned_data["name"],
                                             channel_type=Inbox.ChannelType.API,
                                             member_ids=form.cleaned_data["member_ids"])
                actions.update_api_channel(inbox, actor=request.user, webhook_url=form.cleaned_data["webhook_url"])
        except DomainError as error:
            add_domain_error(form, error)
        else:
            messages.success(request, _("Inbox “%(name)s” created.") % {"name": inbox.name})
            return redirect(_settings_url(inbox, "configuration"))
    return render(request, "settings/inboxes/new_api.html", {"form": form}, status=form_status(form))


def _save_general(inbox: Inbox, form: InboxGeneralForm, actor) -> None:
    actions.update_inbox(inbox, actor=actor, max_assignment_limit=inbox.max_assignment_limit, **form.settings)
    if form.cleaned_data["avatar"] or form.cleaned_data["remove_avatar"]:
        actions.set_inbox_avatar(inbox, actor=actor, avatar=form.cleaned_data["avatar"] or None)


def _save_assignment(inbox: Inbox, form: InboxAssignmentForm, actor) -> None:
    actions.update_inbox(inbox, actor=actor, **form.cleaned_data)


def _save_configuration(inbox: Inbox, form: ApiChannelForm, actor) -> None:
    actions.update_api_channel(inbox, actor=actor, webhook_url=form.cleaned_data["webhook_url"])


TABS = {
    "general": (InboxGeneralForm, _save_general),
    "assignment": (InboxAssignmentForm, _save_assignment),
    "configuration": (ApiChannelForm, _save_configuration),
}


@admin_view
def inbox_settings(request: HttpRequest, inbox_id: int) -> HttpResponse:
    """The General, Assignment and (API inboxes) Configuration tabs; `tab` picks the form."""
    inbox = access_inbox(request.account_user, inbox_id)
    tab = request.POST.get("tab") or request.GET.get("tab") or "general"
    if tab not in TABS or (tab == "configuration" and inbox.channel_type != Inbox.ChannelType.API):
        raise Http404
    form_class, save = TABS[tab]
    form = form_class(request.POST or None, request.FILES or None, inbox=inbox)
    if request.method == "POST" and form.is_valid():
        try:
            with transaction.atomic():
                save(inbox, form, request.user)
        except DomainError as error:
            add_domain_error(form, error)
        else:
            messages.success(request, _("Inbox settings saved."))
            return redirect(_settings_url(inbox, tab))
    return _page(request, inbox, tab, {"form": form}, status=form_status(form))


@admin_view
def inbox_hours(request: HttpRequest, inbox_id: int) -> HttpResponse:
    inbox = access_inbox(request.account_user, inbox_id)
    form = InboxHoursForm(request.POST or None, inbox=inbox, hours=list(inbox.working_hours.all()))
    if request.method == "POST" and form.is_valid():
        try:
            with transaction.atomic():
                actions.update_inbox(inbox, actor=request.user, max_assignment_limit=inbox.max_assignment_limit,
                                     **form.settings)
                actions.set_working_hours(inbox, actor=request.user, hours=form.hours)
        except DomainError as error:
            form.add_error(hours_error_field(form, error.field), error.message)
        else:
            messages.success(request, _("Business hours saved."))
            return redirect("inboxes:hours", account_id=inbox.account_id, inbox_id=inbox.pk)
    return _page(request, inbox, "hours", {"form": form}, status=form_status(form))


@admin_view
def inbox_members(request: HttpRequest, inbox_id: int) -> HttpResponse:
    inbox = access_inbox(request.account_user, inbox_id)
    memberships = account_members(request.account)
    form = InboxMembersForm(request.POST or None, memberships=memberships, member_ids=inbox_member_ids(inbox))
    if request.method == "POST" and form.is_valid():
        actions.set_inbox_members(inbox, actor=request.user, user_ids=form.cleaned_data["member_ids"])
        messages.success(request, _("Inbox agents saved."))
        return redirect("inboxes:members", account_id=inbox.account_id, inbox_id=inbox.pk)
    administrators = [m for m in memberships if m.is_administrator]
    return _page(request, inbox, "members", {"form": form, "administrators": administrators},
                 status=form_status(form))


@admin_view
def inbox_delete(request: HttpRequest, inbox_id: int) -> HttpResponse:
    inbox = access_inbox(request.account_user, inbox_id)
    if request.method == "POST":
        actions.delete_inbox(inbox, actor=request.user)
        messages.success(request, _("Inbox “%(name)s” deleted.") % {"name": inbox.name})
        return redirect("inboxes:list", account_id=request.account.pk)
    return render(request, "settings/confirm_delete.html", {
        "title": _("Delete inbox “%(name)s”?") % {"name": inbox.name},
        "message": _("Every conversation and message of this inbox is deleted too. This cannot be undone."),
        "cancel_url": _settings_url(inbox), "confirm_label": _("Delete inbox"), "section": "inboxes",
    })


@account_view
def inbox_avatar(request: HttpRequest, inbox_id: int) -> HttpResponse:
    """The inbox picture (needs the route "inboxes:avatar")."""
    inbox = access_inbox(request.account_user, inbox_id)
    if not inbox.avatar:
        raise Http404
    response = FileResponse(inbox.avatar.open("rb"), content_type="image/png")
    response["Cache-Control"] = "private, max-age=300"
    return response
