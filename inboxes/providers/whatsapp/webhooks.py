"""Inbound webhook endpoints: verify, store the raw event, queue it, answer — no processing in the request.

Cloud API: GET /webhooks/whatsapp/<phone> (hub.* handshake) and POST (X-Hub-Signature-256 over the raw body).
Evolution API: POST /webhooks/evolution/<channel id>[/<event>] with a JWT (headers.jwt_key) or the instance
apikey in the payload. Answers: 200 stored · 400 malformed (kept for inspection) · 401/403 bad signature or
token (nothing stored) · 404 unknown number or channel (logged).
"""

import functools
import hmac
import json
import logging

from asgiref.sync import sync_to_async
from django.db import close_old_connections, transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from inboxes.providers.whatsapp import actions, queries
from inboxes.providers.whatsapp.cloud import signature_valid
from inboxes.providers.whatsapp.evolution import webhook_jwt_valid
from inboxes.providers.whatsapp.inbound_cloud import phone_number_ids
from inboxes.providers.whatsapp.models import ReceivedEvent, WhatsappChannel

log = logging.getLogger(__name__)
Provider = WhatsappChannel.Provider
Status = ReceivedEvent.Status


def _json(status: int, **body) -> JsonResponse:
    return JsonResponse(body or {"ok": status < 400}, status=status)


def _in_thread_pool(handler):
    """Serve the webhook off Django's single sync thread: many deliveries are stored in parallel (each in a
    pool thread with its own pooled connection), so a burst does not queue behind one thread."""

    @functools.wraps(handler)
    async def view(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        return await sync_to_async(_with_own_connection(handler), thread_sensitive=False)(request, *args, **kwargs)

    return view


def _with_own_connection(handler):
    def run(*args, **kwargs):
        try:
            return handler(*args, **kwargs)
        finally:
            close_old_connections()  # a pool thread's connection goes back to the pool

    return run


@csrf_exempt
@require_http_methods(["GET", "POST"])
@_in_thread_pool
def cloud_webhook(request: HttpRequest, phone_number: str) -> HttpResponse:
    channel = queries.cloud_channel_for_path(phone_number)
    if channel is None:
        log.warning("WhatsApp webhook for unknown number %s", phone_number)
        return _json(404, error="unknown phone number")
    if request.method == "GET":
        return _handshake(request, channel)
    body = request.body
    if not signature_valid(channel.config("app_secret"), body, request.headers.get("X-Hub-Signature-256")):
        log.warning("WhatsApp webhook with a bad signature for %s", phone_number)
        return _json(401, error="invalid signature")
    try:
        payload = json.loads(body)
        ids = phone_number_ids(payload)
    except (ValueError, UnicodeDecodeError) as error:
        log.warning("malformed WhatsApp webhook for %s: %s", phone_number, error)
        actions.record_event(Provider.CLOUD, body, channel=channel, status=Status.MALFORMED, error=str(error))
        return _json(400, error="malformed payload")
    known = queries.cloud_channels_by_phone_number_id(ids)
    if ids and not known:
        log.warning("WhatsApp webhook for unknown phone_number_id %s", sorted(ids))
        actions.record_event(Provider.CLOUD, body, channel=channel, status=Status.REJECTED,
                             error="unknown phone_number_id %s" % sorted(ids))
        return _json(404, error="unknown phone_number_id")
    with transaction.atomic():
        actions.record_event(Provider.CLOUD, body, channel=channel, event="messages")
    return _json(200)


def _handshake(request: HttpRequest, channel: WhatsappChannel) -> HttpResponse:
    """Meta's verification: echo hub.challenge raw when hub.verify_token matches (constant time)."""
    token = request.GET.get("hub.verify_token", "")
    expected = channel.config("webhook_verify_token")
    if request.GET.get("hub.mode") != "subscribe" or not expected or not hmac.compare_digest(
            token.encode(), expected.encode()):
        return HttpResponse("Forbidden", status=403, content_type="text/plain")
    return HttpResponse(request.GET.get("hub.challenge", ""), content_type="text/plain")


@csrf_exempt
@require_http_methods(["POST"])
@_in_thread_pool
def evolution_webhook(request: HttpRequest, channel_id: int, event: str = "") -> HttpResponse:
    channel = queries.evolution_channel(channel_id)
    if channel is None:
        log.warning("Evolution webhook for unknown channel %s", channel_id)
        return _json(404, error="unknown channel")
    body = request.body
    authorised = webhook_jwt_valid(channel.webhook_token, request.headers.get("Authorization"))
    try:
        payload = json.loads(body)
    except (ValueError, UnicodeDecodeError) as error:
        if not authorised:
            return _json(401, error="unauthorised")
        actions.record_event(Provider.EVOLUTION, body, channel=channel, status=Status.MALFORMED, error=str(error))
        return _json(400, error="malformed payload")
    if not authorised:
        apikey = str(payload.get("apikey") or "") if isinstance(payload, dict) else ""
        expected = channel.config("apikey")
        authorised = bool(apikey and expected) and hmac.compare_digest(apikey.encode(), expected.encode())
    if not authorised:
        log.warning("Evolution webhook without valid credentials for channel %s", channel_id)
        return _json(401, error="unauthorised")
    name = payload.get("event") if isinstance(payload, dict) else None
    if not isinstance(name, str):
        actions.record_event(Provider.EVOLUTION, body, channel=channel, status=Status.MALFORMED,
                             error="no event name")
        return _json(400, error="malformed payload")
    with transaction.atomic():
        actions.record_event(Provider.EVOLUTION, body, channel=channel, event=name)
    return _json(200)
