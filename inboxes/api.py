"""Chatwoot-compatible endpoints for inboxes, inbox members and agent bots (/api/v1/accounts/{id}/...).

Only API inboxes (`channel.type: "api"`) can be created here; other channels come with their providers.
"""

import zoneinfo

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import transaction
from django.http import HttpRequest

from autonomia.actions import regenerate_access_token
from autonomia.api import (api_view, bool_param, ids_param, int_param, require_administrator, str_param,
                           unprocessable)
from autonomia.api_views import choice_param
from autonomia.models import AccountUser
from autonomia.queries import account_members, api_token_for
from autonomia.serializers import agent_json
from inboxes import actions
from inboxes.models import Inbox
from inboxes.queries import (access_agent_bot, access_inbox, active_agent_bot, assignable_agent_ids, inbox_member_ids,
                             visible_agent_bots, visible_inboxes)
from inboxes.serializers import agent_bot_json, inbox_json

BOOL_FIELDS = ("greeting_enabled", "working_hours_enabled", "enable_auto_assignment", "lock_to_single_conversation",
               "allow_messages_after_resolved", "enable_email_collect", "csat_survey_enabled")
TEXT_FIELDS = ("greeting_message", "out_of_office_message", "business_name")
SENDER_NAME_TYPES = {"friendly": Inbox.SenderNameType.FRIENDLY, "professional": Inbox.SenderNameType.PROFESSIONAL}
url_validator = URLValidator(schemes=["http", "https"])


# --- Parameters ----------------------------------------------------------------------------

def url_param(data, name: str) -> str | None:
    value = str_param(data, name, max_length=2000)
    if value:
        try:
            url_validator(value)
        except ValidationError:
            raise unprocessable(f"{name} is invalid", [name]) from None
    return value


def inbox_settings(data, inbox: Inbox | None) -> dict:
    """The inbox fields present in the body, validated (422 names the first bad field)."""
    changes = {}
    if "name" in data or inbox is None:
        changes["name"] = str_param(data, "name", required=True)
    for field in BOOL_FIELDS:
        if field in data:
            changes[field] = bool_param(data, field)
    for field in TEXT_FIELDS:
        if field in data:
            changes[field] = str_param(data, field, "", max_length=10_000) or ""
    if "timezone" in data:
        changes["timezone"] = str_param(data, "timezone", required=True, max_length=64)
        if changes["timezone"] not in zoneinfo.available_timezones():
            raise unprocessable("timezone is invalid", ["timezone"])
    if "sender_name_type" in data:
        changes["sender_name_type"] = choice_param(data, "sender_name_type", SENDER_NAME_TYPES,
                                                   Inbox.SenderNameType.FRIENDLY)
    return changes


def assignment_limit(data, inbox: Inbox | None) -> int | None:
    config = data.get("auto_assignment_config")
    if config is None:
        return inbox.max_assignment_limit if inbox else None
    if not isinstance(config, dict):
        raise unprocessable("auto_assignment_config must be an object", ["auto_assignment_config"])
    limit = int_param(config, "max_assignment_limit")
    if limit is not None and limit < 1:
        raise unprocessable("max_assignment_limit must be greater than 0", ["max_assignment_limit"])
    return limit


def channel_params(data, *, creating: bool) -> dict:
    channel = data.get("channel")
    if channel is None:
        if creating:
            raise unprocessable("channel can't be blank", ["channel"])
        return {}
    if not isinstance(channel, dict):
        raise unprocessable("channel must be an object", ["channel"])
    if creating and channel.get("type") != "api":
        raise unprocessable("Only API channels can be created through the API", ["channel"])
    params = {}
    if "webhook_url" in channel:
        params["webhook_url"] = url_param(channel, "webhook_url") or ""
    if "hmac_mandatory" in channel:
        params["hmac_mandatory"] = bool_param(channel, "hmac_mandatory")
    return params


def working_hours_param(data) -> list[dict] | None:
    rows = data.get("working_hours")
    if rows is None:
        return None
    if not isinstance(rows, list) or not all(isinstance(row, dict) for row in rows):
        raise unprocessable("working_hours must be a list of objects", ["working_hours"])
    hours = []
    for row in rows:
        day = int_param(row, "day_of_week")
        if day is None or not 0 <= day <= 6:
            raise unprocessable("day_of_week must be between 0 and 6", ["working_hours"])
        closed, all_day = bool_param(row, "closed_all_day", False), bool_param(row, "open_all_day", False)
        times = {}
        for key, top in (("open_hour", 23), ("open_minutes", 59), ("close_hour", 23), ("close_minutes", 59)):
            value = int_param(row, key)
            if value is not None and not 0 <= value <= top:
                raise unprocessable(f"{key} is out of range", ["working_hours"])
            if value is None and not (closed or all_day):
                raise unprocessable(f"{key} can't be blank", ["working_hours"])
            if value is not None:
                times[key] = value
        hours.append({"day_of_week": day, "closed_all_day": closed, "open_all_day": all_day, **times})
    return hours


# --- Inboxes -------------------------------------------------------------------------------

def _is_admin(request: HttpRequest) -> bool:
    return request.account_user.is_administrator


@api_view(["GET", "POST"])
def inboxes(request: HttpRequest):
    if request.method == "GET":
        rows = visible_inboxes(request.account_user).select_related("api_channel").prefetch_related("working_hours")
        return {"payload": [inbox_json(inbox, administrator=_is_admin(request)) for inbox in rows]}
    require_administrator(request)
    data = request.data
    changes, channel = inbox_settings(data, None), channel_params(data, creating=True)
    limit, hours = assignment_limit(data, None), working_hours_param(data)
    with transaction.atomic():
        inbox = actions.create_inbox(request.account, actor=request.user, **changes)
        _apply(request, inbox, {}, limit, channel, hours)
    return inbox_json(inbox, administrator=True)


def _apply(request: HttpRequest, inbox: Inbox, changes: dict, limit, channel: dict, hours) -> None:
    actions.update_inbox(inbox, actor=request.user, max_assignment_limit=limit, **changes)
    if channel and inbox.channel_type == Inbox.ChannelType.API:
        actions.update_api_channel(inbox, actor=request.user, **channel)
    if hours is not None:
        actions.set_working_hours(inbox, actor=request.user, hours=hours)


@api_view(["GET", "PATCH", "PUT", "DELETE"])
def inbox_detail(request: HttpRequest, inbox_id: int):
    inbox = access_inbox(request.account_user, inbox_id)
    if request.method == "GET":
        return inbox_json(inbox, administrator=_is_admin(request))
    require_administrator(request)
    if request.method == "DELETE":
        actions.delete_inbox(inbox, actor=request.user)
        return {"message": "Your inbox deletion request will be processed in some time."}
    data = request.data
    changes, channel = inbox_settings(data, inbox), channel_params(data, creating=False)
    limit, hours = assignment_limit(data, inbox), working_hours_param(data)
    with transaction.atomic():
        _apply(request, inbox, changes, limit, channel, hours)
    inbox = access_inbox(request.account_user, inbox_id)
    return inbox_json(inbox, administrator=True)


def agents_payload(request: HttpRequest, user_ids: set[int]) -> dict:
    return {"payload": [agent_json(m) for m in account_members(request.account) if m.user_id in user_ids]}


@api_view(["GET"])
def assignable_agents(request: HttpRequest, inbox_id: int):
    inbox = access_inbox(request.account_user, inbox_id)
    return agents_payload(request, assignable_agent_ids(inbox))


@api_view(["GET"])
def account_assignable_agents(request: HttpRequest):
    """Agents assignable in every one of `inbox_ids[]` (Chatwoot intersects the inboxes' lists)."""
    ids = request.GET.getlist("inbox_ids[]") or request.GET.getlist("inbox_ids")
    inbox_ids = ids_param({"inbox_ids": ids}, "inbox_ids")
    user_ids = None
    for inbox_id in inbox_ids:
        agents = assignable_agent_ids(access_inbox(request.account_user, inbox_id))
        user_ids = agents if user_ids is None else user_ids & agents
    return agents_payload(request, user_ids or set())


@api_view(["GET"])
def inbox_agent_bot(request: HttpRequest, inbox_id: int):
    bot = active_agent_bot(access_inbox(request.account_user, inbox_id))
    return {"agent_bot": agent_bot_json(bot) if bot else None}


@api_view(["POST"])
def set_agent_bot(request: HttpRequest, inbox_id: int):
    inbox = access_inbox(request.account_user, inbox_id)
    require_administrator(request)
    bot_id = int_param(request.data, "agent_bot")
    bot = access_agent_bot(request.account_user, bot_id) if bot_id is not None else None
    actions.set_inbox_agent_bot(inbox, actor=request.user, agent_bot=bot)
    return None


# --- Inbox members -------------------------------------------------------------------------

@api_view(["GET"])
def inbox_members(request: HttpRequest, inbox_id: int):
    inbox = access_inbox(request.account_user, inbox_id)
    return agents_payload(request, inbox_member_ids(inbox))


@api_view(["POST", "PATCH", "DELETE"])
def change_inbox_members(request: HttpRequest):
    require_administrator(request)
    inbox_id = int_param(request.data, "inbox_id")
    if inbox_id is None:
        raise unprocessable("inbox_id can't be blank", ["inbox_id"])
    inbox = access_inbox(request.account_user, inbox_id)
    user_ids = set(ids_param(request.data, "user_ids"))
    members = set(AccountUser.objects.filter(account=request.account, user_id__in=user_ids)
                  .values_list("user_id", flat=True))
    if request.method != "DELETE" and members != user_ids:
        raise unprocessable("Some of these people are not members of the account", ["user_ids"])
    current = inbox_member_ids(inbox)
    wanted = {"POST": current | user_ids, "PATCH": user_ids, "DELETE": current - user_ids}[request.method]
    actions.set_inbox_members(inbox, actor=request.user, user_ids=wanted)
    return None if request.method == "DELETE" else agents_payload(request, wanted)


# --- Agent bots ----------------------------------------------------------------------------

def bot_json(request: HttpRequest, bot) -> dict:
    own = bot.account_id == request.account.pk and _is_admin(request)
    return agent_bot_json(bot, access_token=api_token_for("AgentBot", bot.pk) if own else None)


def bot_fields(data, *, creating: bool) -> dict:
    fields = {}
    if creating or "name" in data:
        fields["name"] = str_param(data, "name", required=True)
    if "description" in data:
        fields["description"] = str_param(data, "description", "", max_length=10_000) or ""
    if "outgoing_url" in data:
        fields["outgoing_url"] = url_param(data, "outgoing_url") or ""
    if "bot_config" in data:
        if not isinstance(data["bot_config"], dict):
            raise unprocessable("bot_config must be an object", ["bot_config"])
        fields["bot_config"] = data["bot_config"]
    return fields


@api_view(["GET", "POST"])
def agent_bots(request: HttpRequest):
    if request.method == "GET":
        return [bot_json(request, bot) for bot in visible_agent_bots(request.account_user)]
    require_administrator(request)
    bot = actions.create_agent_bot(request.account, actor=request.user, **bot_fields(request.data, creating=True))
    return bot_json(request, bot)


@api_view(["GET", "PATCH", "PUT", "DELETE"])
def agent_bot_detail(request: HttpRequest, bot_id: int):
    if request.method == "GET":
        return bot_json(request, access_agent_bot(request.account_user, bot_id))
    bot = access_agent_bot(request.account_user, bot_id, own=True)
    require_administrator(request)
    if request.method == "DELETE":
        actions.delete_agent_bot(bot, actor=request.user)
        return None
    bot = actions.update_agent_bot(bot, actor=request.user, **bot_fields(request.data, creating=False))
    return bot_json(request, bot)


@api_view(["POST"])
def agent_bot_reset_access_token(request: HttpRequest, bot_id: int):
    bot = access_agent_bot(request.account_user, bot_id, own=True)
    require_administrator(request)
    regenerate_access_token("AgentBot", bot, actor=request.user)
    return bot_json(request, bot)
