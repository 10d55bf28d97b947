"""Website inbox settings (administrators): create, the Widget tab, the pre-chat form and the installation
snippet with identity validation. The other tabs (general, assignment, hours, agents) are the shared ones."""

from django.conf import settings
from django.contrib import messages
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from autonomia.actions import DomainError
from autonomia.forms import add_domain_error
from autonomia.queries import account_members
from autonomia.views import admin_view
from autonomia.views_settings import form_status
from inboxes import actions, widget_actions
from inboxes.models import Inbox
from inboxes.queries import access_inbox
from inboxes.widget_forms import PreChatForm, WebsiteInboxNewForm, WidgetIdentityForm, WidgetSettingsForm


def _widget_inbox(request: HttpRequest, inbox_id: int) -> Inbox:
    inbox = access_inbox(request.account_user, inbox_id)
    if inbox.channel_type != Inbox.ChannelType.WEB_WIDGET:
        raise Http404
    return inbox


def _page(request: HttpRequest, inbox: Inbox, tab: str, context: dict, status: int = 200) -> HttpResponse:
    from inboxes.views import _avatar_url

    context.update(inbox=inbox, channel=inbox.web_widget, tab=tab, avatar_url=_avatar_url(inbox))
    return render(request, f"settings/inboxes/{tab}.html", context, status=status)


def embed_snippet(request: HttpRequest, inbox: Inbox) -> str:
    """The script tag the business pastes before </body> (Chatwoot's, with this server as baseUrl)."""
    base = settings.FRONTEND_URL.rstrip("/") if settings.FRONTEND_URL else request.build_absolute_uri("/")[:-1]
    return (
        "<script>\n"
        "  (function(d,t) {\n"
        f'    var BASE_URL="{base}";\n'
        '    var g=d.createElement(t),s=d.getElementsByTagName(t)[0];\n'
        '    g.src=BASE_URL+"/packs/js/sdk.js";\n'
        "    g.defer = true;\n"
        "    g.async = true;\n"
        "    s.parentNode.insertBefore(g,s);\n"
        "    g.onload=function(){\n"
        "      window.chatwootSDK.run({\n"
        f"        websiteToken: '{inbox.web_widget.website_token}',\n"
        "        baseUrl: BASE_URL\n"
        "      })\n"
        "    }\n"
        '  })(document,"script");\n'
        "</script>"
    )


def new_website_inbox(request: HttpRequest) -> HttpResponse:
    """Called by inboxes.views.inbox_new (already @admin_view) for ?channel=webwidget."""
    form = WebsiteInboxNewForm(request.POST or None, memberships=account_members(request.account))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            inbox = widget_actions.create_web_widget_inbox(
                request.account, actor=request.user, name=data["name"], website_url=data["website_url"],
                allowed_domains=data["allowed_domains"], welcome_title=data["welcome_title"],
                welcome_tagline=data["welcome_tagline"], widget_color=data["widget_color"],
                member_ids=data["member_ids"])
        except DomainError as error:
            add_domain_error(form, error)
        else:
            messages.success(request, _("Website inbox “%(name)s” created. Add the code below to your site.")
                             % {"name": inbox.name})
            return redirect("inboxes:widget-install", account_id=inbox.account_id, widget_inbox_id=inbox.pk)
    return render(request, "settings/inboxes/new_webwidget.html", {"form": form}, status=form_status(form))


@admin_view
def widget_settings(request: HttpRequest, widget_inbox_id: int) -> HttpResponse:
    """Appearance, texts, availability and features of the chat window."""
    inbox = _widget_inbox(request, widget_inbox_id)
    form = WidgetSettingsForm(request.POST or None, inbox=inbox)
    if request.method == "POST" and form.is_valid():
        try:
            with transaction.atomic():
                widget_actions.update_web_widget(inbox, actor=request.user, **form.channel_changes)
                actions.update_inbox(inbox, actor=request.user, max_assignment_limit=inbox.max_assignment_limit,
                                     enable_email_collect=form.cleaned_data["enable_email_collect"])
        except DomainError as error:
            add_domain_error(form, error)
        else:
            messages.success(request, _("Widget settings saved."))
            return redirect("inboxes:widget", account_id=inbox.account_id, widget_inbox_id=inbox.pk)
    return _page(request, inbox, "widget", {"form": form}, status=form_status(form))


@admin_view
def widget_prechat(request: HttpRequest, widget_inbox_id: int) -> HttpResponse:
    """The pre-chat form: which fields, required or not, and custom attribute fields with validation."""
    inbox = _widget_inbox(request, widget_inbox_id)
    form = PreChatForm(request.POST or None, channel=inbox.web_widget)
    if request.method == "POST" and form.is_valid():
        try:
            widget_actions.update_web_widget(inbox, actor=request.user,
                                             pre_chat_form_enabled=form.cleaned_data["pre_chat_form_enabled"],
                                             pre_chat_form_options=form.options)
        except DomainError as error:
            add_domain_error(form, error)
        else:
            messages.success(request, _("Pre-chat form saved."))
            return redirect("inboxes:widget-prechat", account_id=inbox.account_id, widget_inbox_id=inbox.pk)
    return _page(request, inbox, "widget_prechat", {"form": form}, status=form_status(form))


@admin_view
def widget_install(request: HttpRequest, widget_inbox_id: int) -> HttpResponse:
    """The embed snippet, the website token and identity validation (HMAC token, mandatory or not)."""
    inbox = _widget_inbox(request, widget_inbox_id)
    form = WidgetIdentityForm(request.POST or None, channel=inbox.web_widget)
    if request.method == "POST" and request.POST.get("reset_hmac"):
        widget_actions.reset_widget_hmac_token(inbox, actor=request.user)
        messages.success(request, _("A new HMAC token was generated. Update it on your server."))
        return redirect("inboxes:widget-install", account_id=inbox.account_id, widget_inbox_id=inbox.pk)
    if request.method == "POST" and form.is_valid():
        widget_actions.update_web_widget(inbox, actor=request.user, hmac_mandatory=form.cleaned_data["hmac_mandatory"])
        messages.success(request, _("Identity validation saved."))
        return redirect("inboxes:widget-install", account_id=inbox.account_id, widget_inbox_id=inbox.pk)
    return _page(request, inbox, "widget_install", {"form": form, "snippet": embed_snippet(request, inbox)},
                 status=form_status(form))
