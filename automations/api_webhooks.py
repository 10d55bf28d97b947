"""Chatwoot-compatible account webhooks endpoints (chatwoot-compat.md §5.2 `/webhooks`, §9).

    GET|POST   /api/v1/accounts/{id}/webhooks           list → {payload:{webhooks:[…]}}, create → {payload:{webhook}}
    PATCH|PUT|DELETE /api/v1/accounts/{id}/webhooks/{webhook_id}

Administrator-only (agents and bots get 401), as in Chatwoot. Bodies may be flat or wrapped in `webhook`
(Rails' wrap_parameters): url, name, subscriptions[], inbox_id. URLs pass the SSRF guard of
automations/webhooks.py; a refused URL, an unknown event or an unknown inbox answer 422.
"""

from django.http import HttpRequest
from django.utils.translation import gettext as _

from autonomia.api import api_view, bool_param, int_param, nested, require_administrator, str_param, unprocessable
from automations import webhooks
from automations.models import DEFAULT_WEBHOOK_SUBSCRIPTIONS, WEBHOOK_EVENTS, Webhook


def webhook_json(webhook: Webhook) -> dict:
    inbox = webhook.inbox
    return {"id": webhook.pk, "url": webhook.url, "name": webhook.name or None,
            "subscriptions": list(webhook.subscriptions or []), "account_id": webhook.account_id,
            "inbox": {"id": inbox.pk, "name": inbox.name} if inbox is not None else None}


def _subscriptions(data, default: list[str]) -> list[str]:
    value = data.get("subscriptions", default)
    if value is None:
        value = default
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise unprocessable("subscriptions must be a list of event names", ["subscriptions"])
    unknown = sorted(set(value) - set(WEBHOOK_EVENTS))
    if unknown:
        raise unprocessable(f"Subscriptions Invalid events: {', '.join(unknown)}", ["subscriptions"])
    return value


def _inbox(request: HttpRequest, data, default):
    """The `inbox_id` of the body (null or "" clears it), looked up in the request's account only."""
    from inboxes.models import Inbox

    if "inbox_id" not in data:
        return default
    inbox_id = int_param(data, "inbox_id")
    if inbox_id is None:
        return None
    inbox = Inbox.objects.filter(account=request.account, pk=inbox_id).first()
    if inbox is None:
        raise unprocessable(_("Unknown inbox."), ["inbox_id"])
    return inbox


def _body(request: HttpRequest, webhook: Webhook | None = None) -> dict:
    data = nested(request.data, "webhook")
    url = str_param(data, "url", webhook.url if webhook else None, max_length=2000, required=True)
    return {
        "url": url,
        "name": str_param(data, "name", webhook.name if webhook else "") or "",
        "subscriptions": _subscriptions(data, list(webhook.subscriptions) if webhook
                                        else list(DEFAULT_WEBHOOK_SUBSCRIPTIONS)),
        "inbox": _inbox(request, data, webhook.inbox if webhook else None),
    }


@api_view(["GET", "POST"])
def webhooks_view(request: HttpRequest):
    require_administrator(request)
    if request.method == "GET":
        return {"payload": {"webhooks": [webhook_json(w) for w in webhooks.visible_webhooks(request.account)]}}
    webhook = webhooks.create_webhook(request.account, actor=request.user, **_body(request))
    return {"payload": {"webhook": webhook_json(webhook)}}


@api_view(["GET", "PATCH", "PUT", "DELETE"])
def webhook_detail(request: HttpRequest, webhook_id: int):
    require_administrator(request)
    webhook = webhooks.access_webhook(request.account_user, webhook_id)
    if request.method == "GET":
        return {"payload": {"webhook": webhook_json(webhook)}}
    if request.method == "DELETE":
        webhooks.delete_webhook(webhook, actor=request.user)
        return None
    enabled = bool_param(nested(request.data, "webhook"), "enabled", webhook.enabled)
    webhook = webhooks.update_webhook(webhook, actor=request.user, enabled=enabled, **_body(request, webhook))
    return {"payload": {"webhook": webhook_json(webhook)}}
