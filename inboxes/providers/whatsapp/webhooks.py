"""Inbound webhook endpoints: verify, store the raw event, queue it, answer — no processing in the request.

Cloud API: GET /webhooks/whatsapp/<phone> (hub.* handshake) and POST (X-Hub-Signature-256 over the raw body).
Evolution API: POST /webhooks/evolution/<channel id>[/<event>] with a JWT (headers.jwt_key) or the instance
apikey in the payload. Answers: 200 stored · 400 malformed (kept for inspection) · 401/403 bad signature or
token (nothing stored) · 404 unknown number or channel (logged).

The ack is on every provider's critical path (Meta retries slow answers), so a POST costs one INSERT: the
URL's channel comes from a per-process route cache (ROUTE_TTL; a changed secret is noticed at once because a
signature that fails against the cached channel is checked again against a fresh read), and the event is stored
in autocommit (no BEGIN/COMMIT round trips; the wake-up runs when the INSERT has committed).
"""

import functools
import hmac
import json
import logging
import threading
import time

from asgiref.sync import sync_to_async
from django.db import IntegrityError, close_old_connections
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
ROUTE_TTL = 30.0  # seconds a webhook URL's channel is reused without reading it again


class _Routes:
    """Webhook URL → channel (with its inbox), per process, for ROUTE_TTL. Unknown URLs are not remembered,
    so a new inbox answers at once; a credential change is caught by `fresh` (see the module docstring)."""

    def __init__(self):
        self.items: dict[tuple, tuple[float, WhatsappChannel]] = {}
        self.lock = threading.Lock()

    def get(self, key: tuple, load, *, fresh: bool = False) -> WhatsappChannel | None:
        now = time.monotonic()
        hit = None if fresh else self.items.get(key)
        if hit is not None and hit[0] > now:
            return hit[1]
        channel = load()
        with self.lock:
            if channel is None:
                self.items.pop(key, None)
            else:
                self.items[key] = (now + ROUTE_TTL, channel)
        return channel

    def forget(self, channel: WhatsappChannel) -> None:
        with self.lock:
            for key in [k for k, (_, cached) in self.items.items() if cached.pk == channel.pk]:
                del self.items[key]


_routes = _Routes()


def _cloud_channel(phone_number: str, *, fresh: bool = False) -> WhatsappChannel | None:
    return _routes.get(("cloud", phone_number), lambda: queries.cloud_channel_for_path(phone_number), fresh=fresh)


def _evolution_channel(channel_id: int, *, fresh: bool = False) -> WhatsappChannel | None:
    return _routes.get(("evolution", channel_id), lambda: queries.evolution_channel(channel_id), fresh=fresh)


def _store(provider: str, body: bytes, *, channel: WhatsappChannel, event: str = "", **extra) -> bool:
    """Store the event (one autocommitted INSERT); False when the channel was deleted meanwhile."""
    try:
        actions.record_event(provider, body, channel=channel, event=event, **extra)
    except IntegrityError:  # the cached channel no longer exists
        _routes.forget(channel)
        return False
    return True


def _json(status: int, **body) -> JsonResponse:
    return JsonResponse(body or {"ok": status < 400}, status=status)


def _in_thread_pool(handler):
    """Serve the webhook off Django's single sync thread: many deliveries are stored in parallel (each in a
    pool thread with its own pooled connection), so a burst does not queue behind one thread."""

    @functools.wraps(handler)
    async def view(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        request.get_host()  # ALLOWED_HOSTS (DisallowedHost → 400): no CommonMiddleware on this path (asgi.py)
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
    if request.method == "GET":  # set-up time: always the stored verify token
        channel = queries.cloud_channel_for_path(phone_number)
        return _handshake(request, channel) if channel else _json(404, error="unknown phone number")
    for fresh in (False, True):  # the cached channel first; a fresh read if it looks stale
        channel = _cloud_channel(phone_number, fresh=fresh)
        if channel is None:
            log.warning("WhatsApp webhook for unknown number %s", phone_number)
            return _json(404, error="unknown phone number")
        response = _cloud_post(request, channel, phone_number, fresh=fresh)
        if response is not None:
            return response
    return _json(404, error="unknown phone number")  # deleted while we stored


def _cloud_post(request: HttpRequest, channel: WhatsappChannel, phone_number: str, *,
                fresh: bool) -> HttpResponse | None:
    """Check and store a Cloud API delivery; None when the channel may be stale (a signature that does not match
    a cached read: the secret may have just changed; or the channel was deleted meanwhile)."""
    body = request.body
    if not signature_valid(channel.config("app_secret"), body, request.headers.get("X-Hub-Signature-256")):
        if not fresh:
            return None
        log.warning("WhatsApp webhook with a bad signature for %s", phone_number)
        return _json(401, error="invalid signature")
    try:
        payload = json.loads(body)
        ids = phone_number_ids(payload)
    except (ValueError, UnicodeDecodeError) as error:
        log.warning("malformed WhatsApp webhook for %s: %s", phone_number, error)
        stored = _store(Provider.CLOUD, body, channel=channel, status=Status.MALFORMED, error=str(error))
        return _json(400, error="malformed payload") if stored else None
    if ids and ids != {channel.phone_number_id} and not queries.cloud_channels_by_phone_number_id(ids):
        log.warning("WhatsApp webhook for unknown phone_number_id %s", sorted(ids))
        stored = _store(Provider.CLOUD, body, channel=channel, status=Status.REJECTED,
                        error="unknown phone_number_id %s" % sorted(ids))
        return _json(404, error="unknown phone_number_id") if stored else None
    return _json(200) if _store(Provider.CLOUD, body, channel=channel, event="messages") else None


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
    for fresh in (False, True):  # the cached channel first; a fresh read if it looks stale
        channel = _evolution_channel(channel_id, fresh=fresh)
        if channel is None:
            log.warning("Evolution webhook for unknown channel %s", channel_id)
            return _json(404, error="unknown channel")
        response = _evolution_post(request, channel, fresh=fresh)
        if response is not None:
            return response
    return _json(404, error="unknown channel")


def _evolution_post(request: HttpRequest, channel: WhatsappChannel, *, fresh: bool) -> HttpResponse | None:
    """Check and store an Evolution event; None when the channel may be stale (as _cloud_post)."""
    body = request.body
    try:
        payload = json.loads(body)
    except (ValueError, UnicodeDecodeError) as error:
        if not _authorised(channel, request, None):
            return _json(401, error="unauthorised") if fresh else None
        stored = _store(Provider.EVOLUTION, body, channel=channel, status=Status.MALFORMED, error=str(error))
        return _json(400, error="malformed payload") if stored else None
    if not _authorised(channel, request, payload):
        if not fresh:
            return None
        log.warning("Evolution webhook without valid credentials for channel %s", channel.pk)
        return _json(401, error="unauthorised")
    name = payload.get("event") if isinstance(payload, dict) else None
    if not isinstance(name, str):
        stored = _store(Provider.EVOLUTION, body, channel=channel, status=Status.MALFORMED, error="no event name")
        return _json(400, error="malformed payload") if stored else None
    return _json(200) if _store(Provider.EVOLUTION, body, channel=channel, event=name) else None


def _authorised(channel: WhatsappChannel, request: HttpRequest, payload) -> bool:
    """The instance's JWT (Authorization header), else its apikey in the payload (constant-time compares)."""
    if webhook_jwt_valid(channel.webhook_token, request.headers.get("Authorization")):
        return True
    apikey = str(payload.get("apikey") or "") if isinstance(payload, dict) else ""
    expected = channel.config("apikey")
    return bool(apikey and expected) and hmac.compare_digest(apikey.encode(), expected.encode())
