"""Chatwoot-compatible message endpoints (/api/v1/accounts/<id>/conversations/<display_id>/messages…)."""

import json

from django import forms
from django.http import Http404

from autonomia.api import api_view, unprocessable
from contacts.serializers import contact_json
from conversations import actions
from conversations.api import get_conversation, members_only
from conversations.forms import prepare_attachment
from conversations.models import Message
from conversations.queries import attach_senders
from conversations.serializers import agent_json, message_json
from inboxes.models import Inbox

MAX_ATTACHMENTS = 15
MESSAGE_TYPES = {"outgoing": Message.MessageType.OUTGOING, "incoming": Message.MessageType.INCOMING,
                 "template": Message.MessageType.TEMPLATE}
STATUSES = {"sent": Message.Status.SENT, "delivered": Message.Status.DELIVERED, "read": Message.Status.READ,
            "failed": Message.Status.FAILED}
TRUE = (True, "true", "True", "1", 1)


def _int_query(request, name: str) -> int | None:
    value = request.GET.get(name)
    if not value:
        return None
    try:
        return int(value)
    except ValueError:
        raise unprocessable(f"{name} must be a message id", [name]) from None


def _thread(conversation, before: int | None, after: int | None) -> list[Message]:
    """Chatwoot's windows: the 20 latest, 20 before `before`, 100 after `after`, up to 1000 between both."""
    qs = conversation.messages.prefetch_related("attachments")
    if after is not None and before is not None:
        messages = list(qs.filter(id__gt=after, id__lt=before).order_by("id")[:1000])
    elif after is not None:
        messages = list(qs.filter(id__gt=after).order_by("id")[:100])
    else:
        if before is not None:
            qs = qs.filter(id__lt=before)
        messages = list(qs.order_by("-id")[:20])[::-1]
    attach_senders(messages)
    return messages


@api_view(["GET", "POST"], bot_allowed=True)
def messages(request, display_id):
    """GET a window of the thread; POST a message (JSON or multipart with attachments[])."""
    if request.method == "POST":
        return create_message(request, display_id)
    members_only(request)
    conversation = get_conversation(request, display_id)
    thread = _thread(conversation, _int_query(request, "before"), _int_query(request, "after"))
    assignee = conversation.assignee
    return {"meta": {"labels": sorted(conversation.label_rows.values_list("title", flat=True)),
                     "additional_attributes": conversation.additional_attributes,
                     "contact": contact_json(conversation.contact),
                     "assignee": agent_json(assignee) if assignee else None,
                     "agent_last_seen_at": conversation.agent_last_seen_at and int(
                         conversation.agent_last_seen_at.timestamp()),
                     "assignee_last_seen_at": conversation.assignee_last_seen_at and int(
                         conversation.assignee_last_seen_at.timestamp())},
            "payload": [message_json(m) for m in thread]}


def _content_attributes(data) -> dict:
    value = data.get("content_attributes")
    if value in (None, ""):
        return {}
    if isinstance(value, str):  # multipart clients (Evolution API) send it as a JSON string
        try:
            value = json.loads(value)
        except ValueError:
            raise unprocessable("content_attributes must be a JSON object", ["content_attributes"]) from None
    if not isinstance(value, dict):
        raise unprocessable("content_attributes must be an object", ["content_attributes"])
    return value


def _attachments(request) -> list[dict]:
    files = request.FILES.getlist("attachments[]") + request.FILES.getlist("attachments")
    if len(files) > MAX_ATTACHMENTS:
        raise unprocessable(f"At most {MAX_ATTACHMENTS} attachments per message", ["attachments"])
    prepared = []
    for upload in files:
        try:
            prepared.append(prepare_attachment(upload))
        except forms.ValidationError as error:
            raise unprocessable(" ".join(error.messages), ["attachments"]) from None
    return prepared


def _content_type(data) -> int:
    value = data.get("content_type") or "text"
    try:
        return Message.ContentType[str(value).upper()].value
    except KeyError:
        raise unprocessable("Unknown content_type", ["content_type"]) from None


def create_message(request, display_id) -> dict:
    conversation = get_conversation(request, display_id)
    data = request.data
    kind = data.get("message_type") or "outgoing"
    if kind not in MESSAGE_TYPES:
        raise unprocessable("message_type must be outgoing, incoming or template", ["message_type"])
    if kind == "incoming" and conversation.inbox.channel_type != Inbox.ChannelType.API:
        raise unprocessable("Incoming messages are only allowed in API inboxes", ["message_type"])
    content = data.get("content") or ""
    if not isinstance(content, str):
        raise unprocessable("content must be a string", ["content"])
    attrs, content_type = _content_attributes(data), _content_type(data)
    source_id = str(data.get("source_id") or "").strip() or None
    echo_id = str(data.get("echo_id") or "").strip() or None
    if source_id:
        existing = conversation.messages.filter(source_id=source_id).first() or Message.objects.filter(
            inbox_id=conversation.inbox_id, source_id=source_id).exclude(conversation=conversation).first()
        if existing is not None:
            if existing.conversation_id != conversation.pk:
                raise unprocessable("source_id is already used by another conversation's message", ["source_id"])
            return _render(existing, conversation)
    attachments = _attachments(request)
    if not content.strip() and not attachments:
        raise unprocessable("content or attachments are required", ["content"])
    if kind == "incoming":
        message = actions.receive_message(conversation, sender=conversation.contact, content=content,
                                          source_id=source_id, attachments=attachments, content_type=content_type,
                                          content_attributes=attrs)
    else:
        message = actions.send_reply(conversation, actor=request.api_actor, content=content,
                                     private=data.get("private") in TRUE, attachments=attachments,
                                     content_type=content_type, content_attributes=attrs, echo_id=echo_id,
                                     source_id=source_id, message_type=MESSAGE_TYPES[kind])
    return _render(message, conversation, echo_id=echo_id)


def _render(message: Message, conversation, *, echo_id: str | None = None) -> dict:
    message = Message.objects.prefetch_related("attachments").get(pk=message.pk)
    message._state.fields_cache["conversation"] = conversation
    message.echo_id = echo_id
    attach_senders([message])
    return message_json(message)


def _message(conversation, message_id) -> Message:
    message = conversation.messages.filter(pk=message_id).first()
    if message is None:
        raise Http404
    return message


@api_view(["PATCH", "PUT", "DELETE"])
def message_detail(request, display_id, message_id):
    """PATCH the delivery status (API inboxes: status, external_error); DELETE soft-deletes."""
    conversation = get_conversation(request, display_id)
    message = _message(conversation, message_id)
    if request.method == "DELETE":
        message = actions.delete_message(message, actor=request.api_actor)
        return _render(message, conversation)
    if conversation.inbox.channel_type != Inbox.ChannelType.API:
        raise unprocessable("Message status can only be updated in API inboxes", ["status"])
    status = request.data.get("status")
    if status not in STATUSES:
        raise unprocessable("status must be sent, delivered, read or failed", ["status"])
    error = request.data.get("external_error") or ""
    if not isinstance(error, str):
        raise unprocessable("external_error must be a string", ["external_error"])
    message = actions.update_message_status(message, status=STATUSES[status],
                                            external_error=error if status == "failed" else "")
    return _render(message, conversation)

