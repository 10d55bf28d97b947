"""WhatsApp pages: new inbox, channel settings (webhook URL, test connection, templates, Evolution pairing),
and the reply-box panel (24-hour window, template picker) of a WhatsApp conversation."""

from django.contrib import messages
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST
from django.urls import reverse
from django.utils.translation import gettext as _

from autonomia.actions import DomainError
from autonomia.forms import add_domain_error
from autonomia.queries import account_members
from autonomia.views import account_view, admin_view
from autonomia.views_settings import form_status
from conversations.queries import access_conversation, access_message
from inboxes.providers.whatsapp import actions, queries
from inboxes.providers.whatsapp.cloud import CloudClient, ProviderError
from inboxes.providers.whatsapp.evolution import EvolutionClient
from inboxes.providers.whatsapp.forms import FORMS, TemplateSendForm, new_inbox_form
from inboxes.providers.whatsapp.models import WhatsappChannel

Provider = WhatsappChannel.Provider


def webhook_url(request: HttpRequest, channel: WhatsappChannel) -> str:
    """The absolute URL to paste in Meta's console (Cloud) or that Evolution is pointed at."""
    if channel.is_cloud:
        path = reverse("whatsapp:cloud-webhook", kwargs={"phone_number": channel.phone_number.lstrip("+")})
    else:
        path = reverse("whatsapp:evolution-webhook", kwargs={"channel_id": channel.pk})
    return request.build_absolute_uri(path)


@admin_view
def whatsapp_new(request: HttpRequest) -> HttpResponse:
    provider = request.POST.get("provider") or request.GET.get("provider")
    if provider not in Provider.values:
        return render(request, "whatsapp/new_choose.html", {"providers": Provider.choices})
    form = new_inbox_form(provider, request.POST or None, account_members(request.account))
    if request.method == "POST" and form.is_valid():
        try:
            inbox = actions.create_whatsapp_inbox(
                request.account, actor=request.user, name=form.cleaned_data["name"].strip(), provider=provider,
                phone_number=form.cleaned_data.get("phone_number", ""), config=form.config,
                member_ids=form.cleaned_data["member_ids"])
        except DomainError as error:
            add_domain_error(form, error)
        else:
            if provider == Provider.EVOLUTION:
                _point_evolution_here(request, inbox.whatsapp_channel)
            messages.success(request, _("Inbox “%(name)s” created.") % {"name": inbox.name})
            return redirect("whatsapp:settings", account_id=inbox.account_id, whatsapp_inbox_id=inbox.pk)
    return render(request, "whatsapp/new.html", {"form": form, "provider": provider,
                                                 "provider_label": Provider(provider).label},
                  status=form_status(form))


def _point_evolution_here(request: HttpRequest, channel: WhatsappChannel) -> None:
    """Configure the instance's webhook to reach this inbox; a failure is shown, not fatal."""
    try:
        EvolutionClient(channel).set_webhook(webhook_url(request, channel))
    except ProviderError as error:
        messages.warning(request, _("Evolution API could not be configured: %(error)s") % {"error": error})


@admin_view
def whatsapp_settings(request: HttpRequest, whatsapp_inbox_id: int) -> HttpResponse:
    channel = queries.access_whatsapp_channel(request.account_user, whatsapp_inbox_id)
    if request.method == "GET" and request.GET.get("panel") == "connection" and channel.is_evolution:
        return render(request, "whatsapp/settings.html#wa-connection", {"channel": channel})
    form = FORMS[channel.provider](request.POST or None, channel=channel)
    if request.method == "POST" and form.is_valid():
        try:
            actions.update_whatsapp_channel(channel, actor=request.user,
                                            phone_number=form.cleaned_data.get("phone_number", ""),
                                            config=form.config)
        except DomainError as error:
            add_domain_error(form, error)
        else:
            messages.success(request, _("Inbox settings saved."))
            return _back(channel)
    return render(request, "whatsapp/settings.html", {
        "form": form, "channel": channel, "inbox": channel.inbox, "tab": "whatsapp",
        "webhook_url": webhook_url(request, channel), "templates": channel.templates.all()[:200],
    }, status=form_status(form))


@admin_view
@require_POST
def whatsapp_action(request: HttpRequest, whatsapp_inbox_id: int) -> HttpResponse:
    """The settings page's buttons: test connection, sync templates, Evolution reconnect / logout / refresh."""
    channel = queries.access_whatsapp_channel(request.account_user, whatsapp_inbox_id)
    action = request.POST.get("action")
    try:
        if action == "test" and channel.is_cloud:
            info = CloudClient(channel).phone_number_info()
            messages.success(request, _("Connected to WhatsApp: %(name)s %(number)s") % {
                "name": info.get("verified_name", ""), "number": info.get("display_phone_number", "")})
        elif action == "sync_templates" and channel.is_cloud:
            from inboxes.providers.whatsapp.tasks import sync_templates_task

            count = sync_templates_task.apply(args=(channel.pk,)).get()
            messages.success(request, _("%(count)s templates synced.") % {"count": count})
        elif action in ("test", "refresh") and channel.is_evolution:
            client = EvolutionClient(channel)
            actions.record_connection_state(channel, state=client.connection_state())
            _point_evolution_here(request, channel)
        elif action == "reconnect" and channel.is_evolution:
            reply = EvolutionClient(channel).connect()
            actions.record_connection_state(channel, state="connecting", qrcode=reply.get("base64") or "",
                                            pairing_code=reply.get("pairingCode") or "")
        elif action == "logout" and channel.is_evolution:
            EvolutionClient(channel).logout()
            actions.record_connection_state(channel, state="close", qrcode="")
        else:
            raise Http404
    except ProviderError as error:
        if error.code == 190 or error.http_status == 401:
            actions.mark_reauthorization_required(channel)
        messages.error(request, _("The provider answered with an error: %(error)s") % {"error": error.agent_text})
    return _back(channel)


def _back(channel: WhatsappChannel) -> HttpResponse:
    return redirect("whatsapp:settings", account_id=channel.inbox.account_id, whatsapp_inbox_id=channel.inbox_id)


@account_view
def composer_panel(request: HttpRequest, display_id: int) -> HttpResponse:
    """The WhatsApp strip above the reply box: window open or closed, and the template picker."""
    conversation = access_conversation(request.account_user, display_id)
    channel = queries.channel_of(conversation)
    if channel is None:
        return HttpResponse("")
    return render(request, "whatsapp/composer.html#whatsapp-composer", _composer_context(conversation, channel))


def _composer_context(conversation, channel, failed_form=None) -> dict:
    """The strip's state; each template comes with its form (the one that failed keeps its values and errors)."""
    templates = list(queries.approved_templates(channel)) if channel.is_cloud else []
    forms = [failed_form if failed_form and failed_form.template_obj.pk == t.pk else TemplateSendForm(template=t)
             for t in templates]
    return {"conversation": conversation, "channel": channel, "template_forms": forms, "failed_form": failed_form,
            "window_open": queries.window_open(conversation) if channel.is_cloud else True,
            "window_closes_at": queries.window_closes_at(conversation)}


@account_view
@require_POST
def send_template_view(request: HttpRequest, display_id: int) -> HttpResponse:
    conversation = access_conversation(request.account_user, display_id)
    channel = queries.channel_of(conversation)
    if channel is None or not channel.is_cloud:
        raise Http404
    template = queries.access_template(channel, request.POST.get("template"))
    form = TemplateSendForm(request.POST, request.FILES, template=template)
    if form.is_valid():
        try:
            with transaction.atomic():
                actions.send_template(conversation, actor=request.user, template=template, **form.values())
        except DomainError as error:
            add_domain_error(form, error)
        else:
            return render(request, "whatsapp/composer.html#whatsapp-composer",
                          _composer_context(conversation, channel))
    return render(request, "whatsapp/composer.html#whatsapp-composer",
                  _composer_context(conversation, channel, failed_form=form), status=422)


@account_view
@require_POST
def resend_message_view(request: HttpRequest, display_id: int) -> HttpResponse:
    """The "send again" button under a message that may not have reached the customer (POST message=<id>)."""
    conversation = access_conversation(request.account_user, display_id)
    message = access_message(request.account_user, conversation, request.POST.get("message"))
    try:
        actions.resend_uncertain_message(message, actor=request.user)
    except DomainError as error:
        if request.htmx:
            return HttpResponse(error.message, status=422)
        messages.error(request, error.message)
    if not request.htmx:
        return redirect("conversations:detail", account_id=conversation.account_id, display_id=display_id)
    return render(request, "conversations/conversation.html#message", {
        "message": access_message(request.account_user, conversation, message.pk), "conversation": conversation,
        "account_user": request.account_user})
