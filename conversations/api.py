"""Chatwoot-compatible conversation endpoints (/api/v1/accounts/<id>/conversations…); messages: api_messages.py.

Conversation ids in paths are display ids. Members see what `visible_conversations` allows; agent-bot tokens
reach only the conversations of the inboxes they are attached to, and only on the endpoints Chatwoot opens to
bots (bot_allowed=True).
"""

import datetime as dt

from django.conf import settings
from django.core import signing
from django.db import transaction
from django.http import FileResponse, Http404
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from autonomia.api import (ApiError, api_view, epoch, int_param, page_param, require_administrator, str_param,
                           unprocessable)
from autonomia.models import Account, AccountUser, Team, User
from contacts.actions import get_or_create_contact_inbox
from contacts.models import Contact, ContactInbox
from conversations import actions
from conversations.forms import PRIORITY_VALUES, STATUS_VALUES
from conversations.models import Attachment, Conversation, ConversationParticipant, Message
from conversations.queries import (ConversationFilter, ConversationPage, FilterError, access_api_conversation,
                                   api_conversation_page, attach_senders, conversation_page, filter_conversations,
                                   list_rows, prepare_api_conversations, visible_conversations)
from conversations.serializers import (ATTACHMENT_SALT, agent_json, attachment_json, conversation_json,
                                       sender_json)
from inboxes.models import AgentBot, AgentBotInbox, Inbox, InboxMember

ATTACHMENT_URL_MAX_AGE = 7 * 24 * 3600
FORBIDDEN = {"error": "You are not authorized to do this action"}


# --- Helpers ------------------------------------------------------------------------------

def members_only(request) -> None:
    """Agent-bot tokens may use only the endpoints Chatwoot opens to bots."""
    if request.account_user is None:
        raise ApiError(401, FORBIDDEN)


def get_conversation(request, display_id) -> Conversation:
    return access_api_conversation(request.account_user, display_id, bot=request.api_actor,
                                   account_id=request.account.pk)


def render_conversation(conversation: Conversation) -> dict:
    conversation = list_rows(Conversation.objects.filter(pk=conversation.pk)).select_related(
        "contact_inbox").get()
    return conversation_json(prepare_api_conversations([conversation])[0])


def parse_status(value) -> int:
    if value not in STATUS_VALUES:
        raise unprocessable("status must be one of open, resolved, pending, snoozed", ["status"])
    return STATUS_VALUES[value]


def parse_priority(value) -> int | None:
    if value in (None, "", "none"):
        return None
    if value not in PRIORITY_VALUES:
        raise unprocessable("priority must be one of low, medium, high, urgent or null", ["priority"])
    return PRIORITY_VALUES[value]


def parse_time(data, name: str) -> dt.datetime | None:
    """A time as epoch seconds (Chatwoot's clients) or ISO 8601."""
    value = data.get(name)
    if value in (None, ""):
        return None
    try:
        return dt.datetime.fromtimestamp(float(value), dt.UTC)
    except (TypeError, ValueError, OverflowError):
        parsed = parse_datetime(str(value)) if isinstance(value, str) else None
    if parsed is None:
        raise unprocessable(f"{name} must be a unix timestamp or an ISO 8601 time", [name])
    return parsed if parsed.tzinfo else timezone.make_aware(parsed, dt.UTC)


def dict_param(data, name: str) -> dict | None:
    value = data.get(name)
    if value is None:
        return None
    if not isinstance(value, dict):
        raise unprocessable(f"{name} must be an object", [name])
    return value


def list_param(request, name: str) -> list:
    """`name[]` or `name` as a list, from the JSON body, the form or the query string."""
    value = request.data.get(name)
    if value is None:
        value = request.GET.getlist(f"{name}[]") or request.GET.getlist(name) or []
    return value if isinstance(value, list) else [value]


def ids_param(request, name: str) -> list[int]:
    try:
        return [int(v) for v in list_param(request, name)]
    except (TypeError, ValueError):
        raise unprocessable(f"{name} must be a list of integers", [name]) from None


def list_page(request, f: ConversationFilter) -> ConversationPage:
    """The list's page; Chatwoot's `q` (message text too), `source_id` and `updated_within` take the API path."""
    source_id = str_param(request.GET, "source_id") or None
    updated_within = int_param(request.GET, "updated_within")
    if updated_within is not None and updated_within < 0:
        raise unprocessable("updated_within must be a number of seconds", ["updated_within"])
    if f.q or source_id is not None or updated_within is not None:
        return api_conversation_page(request.account_user, f, source_id=source_id, updated_within=updated_within)
    return conversation_page(request.account_user, f)


def counts_json(page: ConversationPage) -> dict:
    counts = page.counts
    return {"mine_count": counts["mine"], "assigned_count": counts["assigned"],
            "unassigned_count": counts["unassigned"], "all_count": counts["all"]}


def page_json(request, f: ConversationFilter) -> dict:
    page = list_page(request, f)
    rows = prepare_api_conversations(page.conversations)
    return {"data": {"meta": counts_json(page), "payload": [conversation_json(c) for c in rows]}}


def list_filter(request) -> ConversationFilter:
    f = ConversationFilter.from_params(request.GET)
    f.labels = tuple(str(t).lower() for t in request.GET.getlist("labels[]") or request.GET.getlist("labels"))
    return f


# --- Collection ---------------------------------------------------------------------------

@api_view(["GET", "POST"], bot_allowed=True)
def conversations(request):
    """GET the list (filters, 25 per page, folder counts) or POST a new conversation."""
    if request.method == "POST":
        return create_conversation(request)
    members_only(request)
    return page_json(request, list_filter(request))


@api_view(["GET"])
def conversations_meta(request):
    return {"meta": counts_json(list_page(request, list_filter(request)))}


@api_view(["GET"])
def conversations_search(request):
    """`q` matches message text (3+ characters), the contact's name, email or phone, or the #number."""
    f = list_filter(request)
    if "status" not in request.GET:
        f.status = "all"
    return page_json(request, f)


@api_view(["POST"])
def conversations_filter(request):
    """The advanced filter: {payload: [{attribute_key, filter_operator, values, query_operator}]}, ?page=."""
    try:
        qs = filter_conversations(visible_conversations(request.account_user), request.data.get("payload"))
    except FilterError as error:
        raise unprocessable(error.message, [error.attribute]) from None
    per_page = settings.CONVERSATION_RESULTS_PER_PAGE
    start = (page_param(request) - 1) * per_page
    uid = request.account_user.user_id
    count = qs.count()
    mine = qs.filter(assignee_id=uid).count()
    unassigned = qs.filter(assignee__isnull=True).count()
    ids = qs.order_by("-last_activity_at", "-id").values("id")[start:start + per_page]
    rows = list(list_rows(Conversation.objects.filter(id__in=ids)).order_by("-last_activity_at", "-id"))
    return {"meta": {"mine_count": mine, "assigned_count": count - unassigned, "unassigned_count": unassigned,
                     "all_count": count},
            "payload": [conversation_json(c) for c in prepare_api_conversations(rows)]}


def _inbox_for(request, inbox_id: int) -> Inbox:
    qs = Inbox.objects.filter(account=request.account)
    if request.account_user is None:
        qs = qs.filter(pk__in=AgentBotInbox.objects.filter(agent_bot=request.api_actor).values("inbox_id"))
    elif not request.account_user.is_administrator:
        qs = qs.filter(pk__in=InboxMember.objects.filter(user_id=request.account_user.user_id).values("inbox_id"))
    inbox = qs.filter(pk=inbox_id).first()
    if inbox is None:
        raise Http404
    return inbox


def _contact_for(request, inbox: Inbox, data) -> tuple[Contact, ContactInbox]:
    """The contact by contact_id (with source_id as its id in the inbox), or by source_id alone."""
    contact_id = int_param(data, "contact_id")
    source_id = str(data.get("source_id") or "").strip() or None
    if contact_id is not None:
        contact = Contact.objects.filter(account=request.account, pk=contact_id).first()
        if contact is None:
            raise unprocessable("Contact not found", ["contact_id"])
        return contact, get_or_create_contact_inbox(contact, inbox, source_id=source_id)
    if source_id is None:
        raise unprocessable("contact_id or source_id is required", ["contact_id", "source_id"])
    contact_inbox = ContactInbox.objects.select_related("contact").filter(inbox=inbox, source_id=source_id).first()
    if contact_inbox is None:
        raise unprocessable("No contact has this source_id in the inbox", ["source_id"])
    return contact_inbox.contact, contact_inbox


def _user_param(request, data, name: str) -> User | None:
    user_id = int_param(data, name)
    if user_id is None:
        return None
    membership = AccountUser.objects.select_related("user").filter(account=request.account, user_id=user_id).first()
    if membership is None:
        raise unprocessable("Agent not found", [name])
    return membership.user


def _team_param(request, data) -> Team | None:
    team_id = int_param(data, "team_id")
    if not team_id:
        return None
    team = Team.objects.filter(account=request.account, pk=team_id).first()
    if team is None:
        raise unprocessable("Team not found", ["team_id"])
    return team


def first_message(data) -> dict | None:
    message = data.get("message")
    if message is None:
        return None
    if not isinstance(message, dict):
        raise unprocessable("message must be an object", ["message"])
    kind = message.get("message_type", "outgoing")
    if kind not in ("outgoing", "incoming", "template"):
        raise unprocessable("message_type must be outgoing, incoming or template", ["message_type"])
    return {"content": str(message.get("content") or ""), "private": bool(message.get("private")),
            "message_type": Message.MessageType[kind.upper()]}


def create_conversation(request, data=None) -> dict:
    """POST /conversations: source_id or contact_id + inbox_id (ids may be strings), and optional fields."""
    data = request.data if data is None else data
    inbox_id = int_param(data, "inbox_id")
    if inbox_id is None:
        raise unprocessable("inbox_id is required", ["inbox_id"])
    inbox = _inbox_for(request, inbox_id)
    message = first_message(data)
    if message and message["message_type"] == Message.MessageType.INCOMING and \
            inbox.channel_type != Inbox.ChannelType.API:
        raise unprocessable("Incoming messages are only allowed in API inboxes", ["message_type"])
    status = parse_status(data["status"]) if data.get("status") else None
    assignee, team = _user_param(request, data, "assignee_id"), _team_param(request, data)
    additional, custom = dict_param(data, "additional_attributes"), dict_param(data, "custom_attributes")
    snoozed_until = parse_time(data, "snoozed_until")
    with transaction.atomic():  # a contact_inbox made for this call goes away if the conversation fails
        contact, contact_inbox = _contact_for(request, inbox, data)
        conversation = actions.start_conversation(
            inbox, actor=request.api_actor, contact=contact, contact_inbox=contact_inbox, status=status,
            assignee=assignee, team=team, snoozed_until=snoozed_until, additional_attributes=additional,
            custom_attributes=custom, message=message)
    return render_conversation(conversation)


# --- One conversation ---------------------------------------------------------------------

@api_view(["GET", "PATCH", "PUT", "DELETE"], bot_allowed=True)
def conversation_detail(request, display_id):
    """GET the conversation; PATCH changes only its priority (Chatwoot); DELETE (administrators) removes it."""
    if request.method == "GET":
        members_only(request)
    conversation = get_conversation(request, display_id)
    if request.method == "DELETE":
        require_administrator(request)  # after the lookup: outside the inbox is 404, an agent inside 401
        actions.delete_conversation(conversation, actor=request.api_actor)
        return None
    if request.method != "GET" and "priority" in request.data:
        actions.change_priority(conversation, actor=request.api_actor,
                                priority=parse_priority(request.data.get("priority")))
    return render_conversation(conversation)


@api_view(["POST"], bot_allowed=True)
def toggle_status(request, display_id):
    """Set the status (status, snoozed_until) or, without one, toggle open ↔ resolved."""
    conversation = get_conversation(request, display_id)
    status = parse_status(request.data["status"]) if request.data.get("status") else None
    snoozed_until = parse_time(request.data, "snoozed_until")
    conversation = actions.toggle_status(conversation, actor=request.api_actor, status=status,
                                         snoozed_until=snoozed_until if status == Conversation.Status.SNOOZED
                                         else None)
    return {"meta": {}, "payload": {"success": True, "current_status": conversation.status_name,
                                    "conversation_id": conversation.display_id}}


@api_view(["POST"], bot_allowed=True)
def toggle_priority(request, display_id):
    conversation = get_conversation(request, display_id)
    if "priority" not in request.data:
        raise unprocessable("priority is required", ["priority"])
    actions.change_priority(conversation, actor=request.api_actor,
                            priority=parse_priority(request.data.get("priority")))


@api_view(["POST"])
def toggle_typing_status(request, display_id):
    conversation = get_conversation(request, display_id)
    typing = request.data.get("typing_status")
    if typing not in ("on", "off", "recording"):
        raise unprocessable("typing_status must be on or off", ["typing_status"])
    private = request.data.get("is_private") in (True, "true", "1", 1)
    actions.toggle_typing(conversation, user=request.api_actor, on=typing != "off", is_private=private)


@api_view(["POST"])
def update_last_seen(request, display_id):
    conversation = get_conversation(request, display_id)
    actions.mark_seen(conversation, user=request.api_actor)
    return render_conversation(conversation)


@api_view(["POST"])
def unread(request, display_id):
    conversation = get_conversation(request, display_id)
    actions.mark_unread(conversation, user=request.api_actor)
    return render_conversation(conversation)


@api_view(["POST"], bot_allowed=True)
def custom_attributes(request, display_id):
    """Replace the conversation's custom attributes."""
    conversation = get_conversation(request, display_id)
    attrs = dict_param(request.data, "custom_attributes")
    if attrs is None:
        raise unprocessable("custom_attributes must be an object", ["custom_attributes"])
    actions.update_custom_attributes(conversation, actor=request.api_actor, custom_attributes=attrs)
    return {"custom_attributes": attrs}


@api_view(["POST"], bot_allowed=True)
def assignments(request, display_id):
    """assignee_id (null unassigns; assignee_type=AgentBot for a bot) or team_id (0/null removes the team)."""
    conversation = get_conversation(request, display_id)
    data = request.data
    if "assignee_id" in data:
        if data.get("assignee_type") == "AgentBot":
            bot = AgentBot.objects.filter(pk=int_param(data, "assignee_id") or 0).first()
            if bot is None or bot.account_id not in (None, request.account.pk):
                raise unprocessable("Agent bot not found", ["assignee_id"])
            actions.assign_agent_bot(conversation, actor=request.api_actor, bot=bot)
            return sender_json(bot)
        user = _user_param(request, data, "assignee_id")
        actions.assign_agent(conversation, actor=request.api_actor, assignee=user)
        if user is None:
            return None
        membership = AccountUser.objects.get(account=request.account, user=user)
        return agent_json(user, membership)
    if "team_id" in data:
        team = _team_param(request, data)
        actions.assign_team(conversation, actor=request.api_actor, team=team)
        return {"id": team.pk, "name": team.name, "description": team.description,
                "allow_auto_assign": team.allow_auto_assign, "account_id": team.account_id} if team else None
    raise unprocessable("assignee_id or team_id is required", ["assignee_id", "team_id"])


@api_view(["GET", "POST"])
def labels(request, display_id):
    """GET the titles; POST labels[] replaces them."""
    conversation = get_conversation(request, display_id)
    if request.method == "POST":
        titles = list_param(request, "labels")
        if not all(isinstance(t, str) for t in titles):
            raise unprocessable("labels must be a list of strings", ["labels"])
        actions.set_labels(conversation, actor=request.api_actor, titles=titles)
    return {"payload": sorted(conversation.label_rows.values_list("title", flat=True))}


@api_view(["GET", "POST", "PATCH", "DELETE"])
def participants(request, display_id):
    """GET the participating agents; POST adds, PATCH replaces, DELETE removes `user_ids`."""
    conversation = get_conversation(request, display_id)
    if request.method != "GET":
        mode = {"POST": "add", "PATCH": "replace", "DELETE": "remove"}[request.method]
        actions.set_participants(conversation, actor=request.api_actor, user_ids=ids_param(request, "user_ids"),
                                 mode=mode)
    user_ids = ConversationParticipant.objects.filter(conversation=conversation).values("user_id")
    memberships = AccountUser.objects.filter(account=request.account, user_id__in=user_ids).select_related(
        "user").order_by("user__name")
    return [agent_json(m.user, m) for m in memberships]


@api_view(["GET"])
def conversation_attachments(request, display_id):
    """The conversation's attachments, newest first, 100 per page."""
    conversation = get_conversation(request, display_id)
    qs = Attachment.objects.filter(message__conversation=conversation, account_id=request.account.pk)
    start = (page_param(request) - 1) * 100
    items = list(qs.select_related("message").order_by("-id")[start:start + 100])
    messages = list({a.message_id: a.message for a in items}.values())
    attach_senders(messages)
    payload = []
    for item in items:
        payload.append({**attachment_json(item), "created_at": epoch(item.created_at),
                        "sender": sender_json(item.message.sender)})
    return {"meta": {"total_count": qs.count()}, "payload": payload}


def attachment_file(request, account_id, token, name):
    """Serve an attachment by its signed URL (conversation and webhook data_url); no session or token needed."""
    try:
        attachment_id, thumb = signing.loads(token, salt=ATTACHMENT_SALT, max_age=ATTACHMENT_URL_MAX_AGE)
    except (signing.BadSignature, ValueError, TypeError):
        raise Http404 from None
    item = Attachment.objects.filter(pk=attachment_id, account_id=account_id).first()
    stored = item and (item.thumbnail if thumb else item.file)
    if not stored:
        raise Http404
    content_type = ("image/png" if stored.name.endswith(".png") else "image/jpeg") if thumb else (
        item.content_type or "application/octet-stream")
    inline = content_type.startswith(("image/", "audio/", "video/")) and content_type != "image/svg+xml"
    response = FileResponse(stored.open("rb"), as_attachment=not inline, filename=item.file_name or "file",
                            content_type=content_type if inline else "application/octet-stream")
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


@api_view(["POST"], account=False)
def create_conversation_without_account(request):
    """POST /api/v1/conversations (the manual's example, `API-Key: <access token>`): the account is the one of
    `inbox_id`, which the token's user must belong to; otherwise the same as POST …/conversations."""
    inbox_id = int_param(request.data, "inbox_id")
    if inbox_id is None:
        raise unprocessable("inbox_id is required", ["inbox_id"])
    membership = AccountUser.objects.select_related("account", "user").filter(
        user=request.api_actor, account__inboxes__pk=inbox_id, account__status=Account.Status.ACTIVE).first()
    if membership is None:
        raise Http404
    request.account, request.account_user = membership.account, membership
    return create_conversation(request)
