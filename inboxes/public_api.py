"""The Client (public) API, `/public/api/v1/inboxes/{inbox_identifier}/…` (chatwoot-compat.md §6): no token.

The inbox identifier is the API channel's `identifier`, the contact identifier is the ContactInbox `source_id`
in that inbox (it is the customer's credential), and conversation ids are display_ids of that identity's
conversations. Reads go through `inboxes.client_queries`, writes through `inboxes.client_actions`.

Errors: unknown ids 404 `{"error": "Resource could not be found"}` (never a hint about which part was
wrong); malformed JSON 400 `{"error": "Malformed JSON: …"}`; a wrong or missing identifier hash 401
`{"error"}`; an attachment over the size limit 413, of a refused type 415 (`{"error", "attributes",
"payload"}`: the text of the message is stored anyway and `payload` is it); more than 200 messages a minute in
one conversation, or too many requests from one IP, 429 with Retry-After; other bad input 422
`{"message", "attributes"}`. A refused request changes nothing.
"""

import functools
from collections.abc import Callable, Iterable

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django_ratelimit.core import is_ratelimited

from autonomia.actions import DomainError
from autonomia.api import NOT_FOUND, ApiError, _parse_body, _reject_bad_text, int_param, render, unprocessable
from inboxes import client_actions, client_queries
from inboxes.client_actions import AttachmentRefused, ClientError, HmacError, RateLimited
from inboxes.public_serializers import (public_contact_json, public_conversation_json, public_inbox_json,
                                        public_message_json)

CONTACT_FIELDS = ("name", "email", "phone_number", "identifier", "avatar_url", "custom_attributes")


# --- Plumbing -----------------------------------------------------------------------------

def _rate_limit_ip(request: HttpRequest) -> None:
    """Per-IP limit of the whole public API (anyone can call it); the live test server turns limits off."""
    if not settings.RATELIMIT_ENABLE:
        return
    rate = getattr(settings, "PUBLIC_API_RATE_PER_IP", "1200/m")
    if is_ratelimited(request, group="public_api", key="ip", rate=rate, increment=True):
        raise ApiError(429, {"error": "Too many requests. Slow down and retry."},
                       headers={"Retry-After": str(settings.API_RETRY_AFTER_SECONDS)})


def _client_error(error: ClientError) -> JsonResponse:
    if isinstance(error, RateLimited):
        response = JsonResponse({"error": error.message}, status=429)
        response["Retry-After"] = str(error.retry_after)
        return response
    if isinstance(error, (HmacError, AttachmentRefused)):
        return JsonResponse({"error": error.message, "attributes": [error.field] if error.field else []},
                            status=error.status)
    return JsonResponse({"message": error.message, "attributes": [error.field] if error.field else []},
                        status=error.status)


def public_view(methods: Iterable[str]) -> Callable:
    """A Client API endpoint: method check, per-IP limit, the inbox from the identifier (request.channel),
    the parsed body (request.data); the view returns plain data rendered as JSON."""
    allowed = {m.upper() for m in methods}

    def decorate(view):
        @csrf_exempt
        @functools.wraps(view)
        def wrapper(request: HttpRequest, inbox_identifier: str, *args, **kwargs):
            try:
                if request.method not in allowed:
                    raise ApiError(405, {"error": f"Method {request.method} not allowed"},
                                   headers={"Allow": ", ".join(sorted(allowed))})
                _rate_limit_ip(request)
                request.channel = client_queries.access_client_channel(inbox_identifier)
                request.data = _parse_body(request)
                _reject_bad_text(request)
                return render(view(request, *args, **kwargs))
            except ApiError as error:
                response = JsonResponse(error.body, status=error.status)
                for header, value in error.headers.items():
                    response[header] = value
                return response
            except Http404:
                return JsonResponse(NOT_FOUND, status=404)
            except ClientError as error:
                return _client_error(error)
            except DomainError as error:
                return JsonResponse({"message": error.message,
                                     "attributes": [error.field] if error.field else []}, status=422)
            except RequestDataTooBig:
                return JsonResponse({"error": "The request body is too large."}, status=413)

        wrapper.api_methods = allowed
        return wrapper

    return decorate


def _contact_inbox(request: HttpRequest, source_id: str):
    return client_queries.access_client_contact_inbox(request.channel.inbox, source_id)


def _conversation(request: HttpRequest, source_id: str, display_id: int):
    return client_queries.access_client_conversation(_contact_inbox(request, source_id), display_id)


def _conversation_json(conversation) -> dict:
    return public_conversation_json(conversation, client_queries.client_messages(
        conversation, limit=client_queries.CONVERSATION_MESSAGES))


def _hmac(request: HttpRequest) -> dict:
    channel = request.channel
    return {"identifier_hash": request.data.get("identifier_hash"), "hmac_token": channel.hmac_token,
            "hmac_mandatory": channel.hmac_mandatory}


# --- Inbox and contacts ------------------------------------------------------------------------

@public_view(["GET"])
def inbox(request):
    """The inbox's public settings: name, time zone, business hours, CSAT and greeting flags."""
    return public_inbox_json(request.channel)


@public_view(["POST"])
def create_contact(request):
    """A new customer identity: {id, source_id, pubsub_token, name, email, phone_number}."""
    fields = {key: request.data[key] for key in CONTACT_FIELDS if key in request.data}
    contact_inbox = client_actions.create_client_contact(
        request.channel.inbox, source_id=request.data.get("source_id"), **fields, **_hmac(request))
    return public_contact_json(contact_inbox)


@public_view(["GET", "PATCH", "PUT"])
def contact(request, source_id):
    """GET the identity; PATCH/PUT name, email, phone_number, identifier (+ hash), custom_attributes."""
    contact_inbox = _contact_inbox(request, source_id)
    if request.method != "GET":
        fields = {key: request.data[key] for key in CONTACT_FIELDS
                  if key in request.data and key != "avatar_url"}
        client_actions.update_client_contact(contact_inbox, **fields, **_hmac(request))
    return public_contact_json(contact_inbox)


# --- Conversations ----------------------------------------------------------------------------

@public_view(["GET", "POST"])
def conversations(request, source_id):
    """GET the identity's conversations; POST starts one (custom_attributes optional)."""
    contact_inbox = _contact_inbox(request, source_id)
    if request.method == "POST":
        conversation = client_actions.start_client_conversation(
            contact_inbox, custom_attributes=request.data.get("custom_attributes"))
        return _conversation_json(
            client_queries.access_client_conversation(contact_inbox, conversation.display_id))
    rows = list(client_queries.client_conversations(contact_inbox))
    messages = client_queries.client_conversation_messages(rows)
    return [public_conversation_json(row, messages[row.pk]) for row in rows]


@public_view(["GET"])
def conversation(request, source_id, display_id):
    """One conversation with its public messages."""
    return _conversation_json(_conversation(request, source_id, display_id))


@public_view(["POST"])
def toggle_status(request, source_id, display_id):
    """The customer resolves the conversation (the only change Chatwoot allows here)."""
    conversation = _conversation(request, source_id, display_id)
    client_actions.resolve_client_conversation(conversation)
    return _conversation_json(_conversation(request, source_id, display_id))


@public_view(["POST"])
def toggle_typing(request, source_id, display_id):
    """typing_status on|off: shown to the agents who have the conversation open."""
    conversation = _conversation(request, source_id, display_id)
    status = request.data.get("typing_status")
    if status not in ("on", "off"):
        raise unprocessable("typing_status must be on or off", ["typing_status"])
    client_actions.set_client_typing(conversation, on=status == "on")
    return HttpResponse(status=200)


@public_view(["POST"])
def update_last_seen(request, source_id, display_id):
    """The contact has seen the conversation: sets contact_last_seen_at (Chatwoot answers `head :ok`)."""
    client_actions.mark_client_seen(_conversation(request, source_id, display_id))
    return HttpResponse(status=200)


# --- Messages ---------------------------------------------------------------------------------

@public_view(["GET", "POST"])
def messages(request, source_id, display_id):
    """GET the 20 latest public messages (`before=<id>`: the 20 before it); POST content, echo_id and
    multipart attachments[] (always an incoming message)."""
    conversation = _conversation(request, source_id, display_id)
    if request.method == "GET":
        before = int_param(request.GET, "before")
        return [public_message_json(m) for m in client_queries.client_messages(conversation, before=before)]
    uploads = request.FILES.getlist("attachments[]") + request.FILES.getlist("attachments")
    message = client_actions.send_client_message(conversation, content=request.data.get("content") or "",
                                                 echo_id=request.data.get("echo_id"), attachments=uploads)
    echo_id = message.echo_id
    refused = message.refused_attachments
    message = client_queries.access_client_message(conversation, message.pk)
    message.echo_id = echo_id
    data = public_message_json(message)
    if refused:  # the text was kept; say which files were not
        return JsonResponse({"error": " ".join(r.message for r in refused), "attributes": ["attachments"],
                             "payload": data}, status=refused[0].status)
    return data


@public_view(["PATCH", "PUT"])
def message(request, source_id, display_id, message_id):
    """The customer's answer to an interactive message or CSAT survey (`submitted_values`)."""
    conversation = _conversation(request, source_id, display_id)
    target = client_queries.access_client_message(conversation, message_id)
    client_actions.submit_client_values(target, submitted_values=request.data.get("submitted_values"))
    return public_message_json(client_queries.access_client_message(conversation, message_id))
