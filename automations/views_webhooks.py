"""Webhook settings (administrators): list, create, edit, delete, secret, delivery log, send again."""

import json

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from autonomia.actions import DomainError
from autonomia.forms import add_domain_error
from autonomia.views import admin_view
from autonomia.views_settings import form_status
from automations import webhooks
from automations.forms_webhooks import EVENT_LABELS, WebhookForm
from automations.models import WebhookDelivery


@admin_view
def webhook_list(request: HttpRequest) -> HttpResponse:
    hooks = list(webhooks.visible_webhooks(request.account))
    for hook in hooks:
        hook.event_labels = [EVENT_LABELS.get(e, e) for e in hook.subscriptions]
    return render(request, "settings/webhooks/list.html", {"webhooks": hooks})


@admin_view
def webhook_edit(request: HttpRequest, webhook_id: int | None = None) -> HttpResponse:
    webhook = webhooks.access_webhook(request.account_user, webhook_id) if webhook_id is not None else None
    form = WebhookForm(request.POST or None, account=request.account, webhook=webhook)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        try:
            if webhook is None:
                webhook = webhooks.create_webhook(request.account, actor=request.user, **data)
            else:
                webhooks.update_webhook(webhook, actor=request.user, **data)
        except DomainError as error:
            add_domain_error(form, error)
        else:
            messages.success(request, _("Webhook “%(name)s” saved.") % {"name": webhook})
            return redirect("webhooks:edit", account_id=request.account.pk, webhook_id=webhook.pk)
    recent = webhook.deliveries.order_by("-id")[:5] if webhook is not None else []
    return render(request, "settings/webhooks/edit.html", {"form": form, "webhook": webhook, "recent": recent},
                  status=form_status(form))


@admin_view
def webhook_delete(request: HttpRequest, webhook_id: int) -> HttpResponse:
    webhook = webhooks.access_webhook(request.account_user, webhook_id)
    if request.method == "POST":
        webhooks.delete_webhook(webhook, actor=request.user)
        messages.success(request, _("Webhook “%(name)s” deleted.") % {"name": webhook})
        return redirect("webhooks:list", account_id=request.account.pk)
    return render(request, "settings/confirm_delete.html", {
        "title": _("Delete the webhook “%(name)s”?") % {"name": webhook},
        "message": _("Events will no longer be sent to %(url)s.") % {"url": webhook.url},
        "cancel_url": reverse("webhooks:edit", kwargs={"account_id": request.account.pk, "webhook_id": webhook.pk}),
        "confirm_label": _("Delete webhook"), "section": "webhooks",
    })


@admin_view
@require_POST
def webhook_regenerate_secret(request: HttpRequest, webhook_id: int) -> HttpResponse:
    webhook = webhooks.access_webhook(request.account_user, webhook_id)
    webhooks.regenerate_webhook_secret(webhook, actor=request.user)
    messages.success(request, _("A new secret was generated. Update your receiver to verify signatures with it."))
    return redirect("webhooks:edit", account_id=request.account.pk, webhook_id=webhook.pk)


@admin_view
def delivery_list(request: HttpRequest, webhook_id: int) -> HttpResponse:
    webhook = webhooks.access_webhook(request.account_user, webhook_id)
    status = request.GET.get("status", "")
    deliveries = webhook.deliveries.order_by("-id")
    if status in WebhookDelivery.Status.values:
        deliveries = deliveries.filter(status=status)
    page = Paginator(deliveries.defer("payload"), 50).get_page(request.GET.get("page"))
    return render(request, "settings/webhooks/deliveries.html", {
        "webhook": webhook, "page": page, "status": status, "statuses": WebhookDelivery.Status.choices})


@admin_view
def delivery_detail(request: HttpRequest, webhook_id: int, delivery_id: int) -> HttpResponse:
    webhook = webhooks.access_webhook(request.account_user, webhook_id)
    delivery = webhooks.access_delivery(webhook, delivery_id)
    payload = json.dumps(delivery.payload, indent=2, ensure_ascii=False, sort_keys=True)
    return render(request, "settings/webhooks/delivery.html",
                  {"webhook": webhook, "delivery": delivery, "payload": payload})


@admin_view
def delivery_resend(request: HttpRequest, webhook_id: int, delivery_id: int) -> HttpResponse:
    webhook = webhooks.access_webhook(request.account_user, webhook_id)
    delivery = webhooks.access_delivery(webhook, delivery_id)
    if request.method != "POST":
        return redirect("webhooks:delivery", account_id=request.account.pk, webhook_id=webhook.pk,
                        delivery_id=delivery.pk)
    try:
        copy = webhooks.resend_delivery(delivery, actor=request.user)
    except DomainError as error:
        messages.error(request, error.message)
        return redirect("webhooks:deliveries", account_id=request.account.pk, webhook_id=webhook.pk)
    messages.success(request, _("The event was sent again."))
    return redirect("webhooks:delivery", account_id=request.account.pk, webhook_id=webhook.pk,
                    delivery_id=copy.pk)
