"""Chatwoot's widget API, `/api/v1/widget/…?website_token=…` (chatwoot-compat.md §12).

Called by our widget frame (same origin) and by the loader on the customer's site (CORS, limited to the
widget's allowed domains). The visitor is the ContactInbox named by the `X-Auth-Token` JWT
(inboxes/widget_queries.py); endpoints that write create an anonymous visitor when there is none, and every
answer that created or changed the visitor carries its new token in the `X-Auth-Token` response header.
Writes go through inboxes/client_actions.py (shared with the public client API) and inboxes/widget_actions.py.

Errors: 404 unknown website token (or a site outside the allowed domains), 400 malformed JSON, 401 wrong
HMAC, 413/415 refused attachments (the text is kept), 422 invalid input, 429 too many requests.
"""

import functools
from collections.abc import Callable, Iterable

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django_ratelimit.core import is_ratelimited

from autonomia.actions import DomainError
from autonomia.api import NOT_FOUND, ApiError, _parse_body, _reject_bad_text, int_param, nested, unprocessable
from conversations.models import Conversation
from inboxes import client_actions, widget_actions
from inboxes.client_actions import ClientError, RateLimited
from inboxes.widget_payloads import article_json, config_json, conversation_json, messages_json, visitor_json
from inboxes.widget_queries import (
    issue_widget_token,
    origin_allowed,
    visitor_conversation,
    visitor_from_token,
    visitor_message,
    visitor_messages,
    widget_article,
    widget_by_token,
)

RATE_PER_IP = "600/m"
LOCALES = {"pt-br": "pt-br", "pt": "pt-br", "pt_br": "pt-br", "en": "en", "es": "es"}
CONTACT_FIELDS = ("name", "email", "phone_number", "custom_attributes", "additional_attributes")


def widget_locale(value: str | None) -> str:
    """pt-BR, en or es from a locale like "pt_BR", "en-US" or "es"; pt-BR otherwise."""
    value = (value or "").strip().lower().replace("_", "-")
    return LOCALES.get(value) or LOCALES.get(value.split("-")[0]) or "pt-br"


# --- Plumbing -----------------------------------------------------------------------------------

def _cors_origin(request: HttpRequest, channel) -> str | None:
    """The Origin to echo in CORS headers, '' for same-origin or no Origin, None when the site is refused."""
    origin = request.headers.get("Origin")
    if not origin or origin.split("://")[-1] == request.get_host():
        return ""
    return origin if origin_allowed(channel, origin) else None


def _with_cors(response: HttpResponse, origin: str) -> HttpResponse:
    if origin:
        response["Access-Control-Allow-Origin"] = origin
        response["Access-Control-Allow-Headers"] = "Content-Type, X-Auth-Token"
        response["Access-Control-Allow-Methods"] = "GET, POST, PATCH, DELETE"
        response["Access-Control-Expose-Headers"] = "X-Auth-Token"
        response["Access-Control-Max-Age"] = "600"
    response["Vary"] = "Origin"
    return response


def _error(error: Exception) -> JsonResponse:
    if isinstance(error, ApiError):
        response = JsonResponse(error.body, status=error.status)
        for header, value in error.headers.items():
            response[header] = value
        return response
    if isinstance(error, Http404):
        return JsonResponse(NOT_FOUND, status=404)
    if isinstance(error, RequestDataTooBig):
        return JsonResponse({"error": "The request body is too large."}, status=413)
    attributes = [error.field] if error.field else []
    status = getattr(error, "status", 422)
    if status == 422:
        return JsonResponse({"message": error.message, "attributes": attributes}, status=422)
    response = JsonResponse({"error": error.message, "attributes": attributes}, status=status)
    if isinstance(error, RateLimited):
        response["Retry-After"] = str(error.retry_after)
    return response


def _rate_limit(request: HttpRequest) -> None:
    if settings.RATELIMIT_ENABLE and is_ratelimited(request, group="widget_api", key="ip", rate=RATE_PER_IP,
                                                    increment=True):
        raise ApiError(429, {"error": "Too many requests. Slow down and retry."},
                       headers={"Retry-After": str(settings.API_RETRY_AFTER_SECONDS)})


def widget_view(methods: Iterable[str]) -> Callable:
    """A widget endpoint: CORS (preflight included), per-IP limit, the channel from `website_token`
    (request.channel), the visitor from X-Auth-Token (request.visitor, or None) and the parsed body."""
    allowed = {m.upper() for m in methods}

    def decorate(view):
        @csrf_exempt
        @functools.wraps(view)
        def wrapper(request: HttpRequest, *args, **kwargs):
            channel = widget_by_token(request.GET.get("website_token"))
            origin = _cors_origin(request, channel) if channel else None
            if channel is None or origin is None:
                return JsonResponse(NOT_FOUND, status=404)
            if request.method == "OPTIONS":
                return _with_cors(HttpResponse(status=204), origin)
            with translation.override(widget_locale(request.GET.get("locale"))):
                response = _run(view, request, channel, allowed, *args, **kwargs)
            return _with_cors(response, origin)

        wrapper.api_methods = allowed
        return wrapper

    return decorate


def _run(view, request: HttpRequest, channel, allowed: set, *args, **kwargs) -> HttpResponse:
    try:
        if request.method not in allowed:
            raise ApiError(405, {"error": f"Method {request.method} not allowed"},
                           headers={"Allow": ", ".join(sorted(allowed))})
        _rate_limit(request)
        request.channel = channel
        request.visitor = visitor_from_token(channel, request.headers.get("X-Auth-Token"))
        request.new_token = None
        request.data = _parse_body(request)
        _reject_bad_text(request)
        result = view(request, *args, **kwargs)
    except (ApiError, Http404, DomainError, RequestDataTooBig) as error:
        return _error(error)
    response = result if isinstance(result, HttpResponse) else JsonResponse(
        result, safe=False, json_dumps_params={"ensure_ascii": False})
    if request.new_token:
        response["X-Auth-Token"] = request.new_token
    return response


def _ensure_visitor(request: HttpRequest):
    """The visitor, created (anonymous) when the request has none; the new token goes in the answer."""
    if request.visitor is None:
        request.visitor = client_actions.create_client_contact(
            request.channel.inbox, hmac_token=request.channel.hmac_token)
        request.new_token = issue_widget_token(request.visitor)
    return request.visitor


def _require_visitor(request: HttpRequest):
    if request.visitor is None:
        raise ApiError(401, {"error": "Invalid Access Token"})
    return request.visitor


def _current_conversation(request: HttpRequest) -> Conversation:
    conversation = visitor_conversation(_require_visitor(request))
    if conversation is None:
        raise Http404
    return conversation


def _contact_fields(data: dict) -> dict:
    return {key: data[key] for key in CONTACT_FIELDS if data.get(key) not in (None, "")}


def _hmac(request: HttpRequest) -> dict:
    return {"hmac_token": request.channel.hmac_token, "hmac_mandatory": request.channel.hmac_mandatory}


# --- Config and contact -------------------------------------------------------------------------

@widget_view(["POST"])
def config(request):
    """The widget's settings, the visitor (null until they write) and their conversation."""
    visitor = request.visitor
    conversation = visitor_conversation(visitor) if visitor else None
    return {"website_channel_config": config_json(request.channel),
            "contact": visitor_json(visitor) if visitor else None,
            "conversation": conversation_json(conversation)}


@widget_view(["GET", "PATCH"])
def contact(request):
    """GET the visitor; PATCH name, email, phone_number, custom_attributes (merged), additional_attributes."""
    if request.method == "GET":
        return visitor_json(_require_visitor(request))
    visitor = _ensure_visitor(request)
    client_actions.update_client_contact(visitor, **_contact_fields(nested(request.data, "contact")),
                                         **_hmac(request))
    visitor.refresh_from_db()
    return visitor_json(visitor)


@widget_view(["PATCH"])
def set_user(request):
    """$chatwoot.setUser: identifier (+ identifier_hash, required when the inbox says so) and details. A wrong
    hash answers 401 and changes nothing; a different person on this browser gets a fresh identity."""
    data = nested(request.data, "contact")
    identifier = str(data.get("identifier") or "").strip()
    if not identifier:
        raise unprocessable("identifier can't be blank", ["identifier"])
    # Checked before an anonymous visitor is created, so a refused call leaves nothing behind.
    needs_check = request.visitor is None and (data.get("identifier_hash") or request.channel.hmac_mandatory)
    if needs_check and not client_actions.verify_identifier_hash(request.channel.hmac_token, identifier,
                                                                 data.get("identifier_hash")):
        raise client_actions.HmacError(_("HMAC failed: invalid identifier hash."), field="identifier_hash")
    visitor = _ensure_visitor(request)
    fields = _contact_fields(data)
    identified = client_actions.identify_client_contact(visitor, identifier=identifier,
                                                        identifier_hash=data.get("identifier_hash"),
                                                        **_hmac(request), **fields)
    if identified.pk != visitor.pk:
        request.new_token = issue_widget_token(identified)
    body = visitor_json(identified)
    if request.new_token:
        body["widget_auth_token"] = request.new_token
    return body


@widget_view(["POST"])
def destroy_contact_attributes(request):
    """Remove custom attribute keys (`custom_attributes: [keys]`) from the visitor."""
    keys = request.data.get("custom_attributes")
    if not isinstance(keys, list):
        raise unprocessable("custom_attributes must be a list of keys", ["custom_attributes"])
    visitor = _require_visitor(request)
    widget_actions.remove_client_contact_attributes(visitor, keys=[str(k) for k in keys])
    visitor.refresh_from_db()
    return visitor_json(visitor)


# --- Conversations ------------------------------------------------------------------------------

def _conversation_body(conversation: Conversation) -> dict:
    body = conversation_json(conversation)
    body["messages"] = messages_json(visitor_messages(conversation), conversation)
    return body


@widget_view(["GET", "POST"])
def conversations(request):
    """GET the visitor's current conversation with its latest messages; POST the pre-chat form: contact{name,
    email, phone_number}, message{content}, custom_attributes (conversation attributes) → a new conversation."""
    if request.method == "GET":
        return _conversation_body(_current_conversation(request))
    visitor = _ensure_visitor(request)
    contact_data = _contact_fields(nested(request.data, "contact") if "contact" in request.data else {})
    if contact_data:
        client_actions.update_client_contact(visitor, **contact_data, **_hmac(request))
        visitor.refresh_from_db()
    message = request.data.get("message") if isinstance(request.data.get("message"), dict) else {}
    conversation = widget_actions.start_widget_conversation(
        visitor, custom_attributes=request.data.get("custom_attributes"),
        referer_url=str(message.get("referer_url") or "")[:2000], content=str(message.get("content") or ""))
    return _conversation_body(conversation)


@widget_view(["POST"])
def update_last_seen(request):
    client_actions.mark_client_seen(_current_conversation(request))
    return HttpResponse(status=200)


@widget_view(["POST"])
def toggle_typing(request):
    """typing_status on|off, shown to the agents who have the conversation open."""
    status = request.data.get("typing_status")
    if status not in ("on", "off"):
        raise unprocessable("typing_status must be on or off", ["typing_status"])
    client_actions.set_client_typing(_current_conversation(request), on=status == "on")
    return HttpResponse(status=200)


@widget_view(["GET"])
def toggle_status(request):
    """The visitor ends the conversation (only when the widget offers "end conversation")."""
    if not request.channel.flag("end_conversation"):
        raise ApiError(401, {"error": "You are not authorized to do this action"})
    conversation = client_actions.resolve_client_conversation(_current_conversation(request))
    return conversation_json(conversation)


@widget_view(["POST"])
def set_conversation_attributes(request):
    """Merge custom attributes into the current conversation."""
    attributes = request.data.get("custom_attributes")
    if not isinstance(attributes, dict):
        raise unprocessable("custom_attributes must be an object", ["custom_attributes"])
    conversation = widget_actions.change_widget_conversation_attributes(
        _current_conversation(request), set_values=attributes)
    return conversation_json(conversation)


@widget_view(["POST"])
def destroy_conversation_attributes(request):
    """Remove custom attribute keys (`custom_attribute: [keys]`) from the current conversation."""
    keys = request.data.get("custom_attribute", request.data.get("custom_attributes"))
    if not isinstance(keys, list):
        raise unprocessable("custom_attribute must be a list of keys", ["custom_attribute"])
    conversation = widget_actions.change_widget_conversation_attributes(
        _current_conversation(request), remove_keys=[str(k) for k in keys])
    return conversation_json(conversation)


# --- Messages -----------------------------------------------------------------------------------

@widget_view(["GET", "POST"])
def messages(request):
    """GET the latest public messages (`before`/`after` a message id); POST message{content, echo_id} as JSON
    or multipart (`message[content]`, `message[echo_id]`, `message[attachments][]`). Without a conversation,
    or after a resolved one the inbox does not reopen, a new conversation starts."""
    if request.method == "GET":
        conversation = visitor_conversation(request.visitor) if request.visitor else None
        if conversation is None:
            return []
        return messages_json(visitor_messages(conversation, before=int_param(request.GET, "before"),
                                              after=int_param(request.GET, "after")), conversation)
    visitor = _ensure_visitor(request)
    data = request.data.get("message") if isinstance(request.data.get("message"), dict) else {}
    content = data.get("content", request.data.get("message[content]", ""))
    echo_id = data.get("echo_id", request.data.get("message[echo_id]"))
    uploads = request.FILES.getlist("message[attachments][]") + request.FILES.getlist("attachments[]")
    if uploads and not request.channel.flag("attachments"):
        raise ClientError(_("Attachments are turned off for this widget."), field="attachments")
    conversation = widget_actions.widget_conversation_for_message(visitor)
    message = client_actions.send_client_message(conversation, content=content if isinstance(content, str) else "",
                                                 echo_id=echo_id, attachments=uploads)
    refused = message.refused_attachments
    shown = visitor_message(conversation, message.pk)
    shown.echo_id = message.echo_id
    body = messages_json([shown], conversation)[0]
    if refused:  # the text was kept; say which files were not
        return JsonResponse({"error": " ".join(r.message for r in refused), "attributes": ["attachments"],
                             "message": body}, status=refused[0].status)
    return body


@widget_view(["PATCH"])
def message(request, message_id):
    """Answer an interactive message: `submitted_values`, or `contact: {email}` for the email prompt."""
    conversation = _current_conversation(request)
    target = visitor_message(conversation, message_id)
    if target is None:
        raise Http404
    email = nested(request.data, "contact").get("email") if "contact" in request.data else None
    if email:
        client_actions.update_client_contact(request.visitor, email=email, **_hmac(request))
        return messages_json([target], conversation)[0]
    values = nested(request.data, "message").get("submitted_values")
    updated = client_actions.submit_client_values(target, submitted_values=values)
    return messages_json([visitor_message(conversation, updated.pk)], conversation)[0]


# --- Events -------------------------------------------------------------------------------------

@widget_view(["POST"])
def events(request):
    """`{name: "webwidget.triggered", event_info: {referer, initiated_at, …}}` when the visitor opens the widget:
    the inbox's agent bot and subscribed webhooks get webwidget_triggered. Other names are ignored, as Chatwoot
    dispatches only the events it knows; a visitor is created only when someone listens."""
    from automations.webhooks import widget_open_has_listeners

    if request.data.get("name") != "webwidget.triggered":
        return HttpResponse(status=204)
    info = request.data.get("event_info")
    info = dict(info) if isinstance(info, dict) else {}
    if request.visitor is None and not widget_open_has_listeners(request.channel.inbox):
        return HttpResponse(status=204)
    language = request.headers.get("Accept-Language", "").split(",")[0].split(";")[0].strip()
    info.update({"widget_language": request.GET.get("locale") or None,
                 **({"browser_language": language} if language else {})})
    info.setdefault("initiated_at", {"timestamp": timezone.now().isoformat()})
    widget_actions.trigger_widget_opened(_ensure_visitor(request), event_info=info)
    return HttpResponse(status=204)


# --- Labels and agents --------------------------------------------------------------------------

@widget_view(["POST", "DELETE"])
def labels(request, label=None):
    """$chatwoot.setLabel / removeLabel on the current conversation (only labels the account already has)."""
    title = label if label is not None else str(nested(request.data, "label").get("label")
                                                  or request.data.get("label") or "")
    conversation = widget_actions.change_widget_conversation_label(
        _current_conversation(request), title=title, add=request.method == "POST")
    return {"labels": sorted(conversation.label_rows.values_list("title", flat=True))}


@widget_view(["GET"])
def inbox_members(request):
    """The inbox's agents as the widget shows them (names only)."""
    from autonomia.models import User
    from inboxes.queries import inbox_member_ids

    users = User.objects.filter(pk__in=inbox_member_ids(request.channel.inbox)).order_by("name")
    return {"payload": [{"id": u.pk, "name": u.available_name, "avatar_url": ""} for u in users]}


# --- Help center (deflection) -------------------------------------------------------------------

@widget_view(["GET"])
def article(request, article_id: int):
    """An article of the inbox's public help center, rendered for reading inside the widget. The view is
    counted by the portal's `POST /hc/<slug>/articles/<id>/view` (source=widget), not here."""
    found = widget_article(request.channel, article_id)
    if found is None:
        raise Http404
    return article_json(found)
