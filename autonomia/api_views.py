"""Chatwoot-compatible endpoints of the core: account, agents, teams and the user's profile.

Writes go through autonomia.actions; bodies are built by autonomia.serializers. Paths: api_urls_core.py.
"""

import zoneinfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.http import Http404, HttpRequest

from autonomia import actions
from autonomia.api import (ApiError, api_view, bool_param, ids_param, int_param, nested, require_administrator,
                           str_param, unprocessable)
from autonomia.models import AccountUser, User
from autonomia.queries import (access_agent, access_team, account_members, api_token_for, team_member_ids,
                               user_memberships, visible_teams)
from autonomia.serializers import account_json, agent_json, team_json, user_json

ROLES = {"agent": AccountUser.Role.AGENT, "administrator": AccountUser.Role.ADMINISTRATOR}
AVAILABILITIES = {"online": AccountUser.Availability.ONLINE, "offline": AccountUser.Availability.OFFLINE,
                  "busy": AccountUser.Availability.BUSY}


# --- Parameters ----------------------------------------------------------------------------

def choice_param(data, name: str, choices: dict, default=None):
    """A Chatwoot enum sent by name ("administrator") or by number (1); 422 for anything else."""
    value = data.get(name)
    if value in (None, ""):
        return default
    if isinstance(value, str) and value.strip().lower() in choices:
        return choices[value.strip().lower()]
    if not isinstance(value, bool) and str(value).isdigit() and int(value) in set(choices.values()):
        return int(value)
    raise unprocessable(f"{name} must be one of: {', '.join(choices)}", [name])


def email_param(data, name: str = "email", *, required: bool = True) -> str | None:
    email = str_param(data, name, required=required)
    if email is None or (email == "" and not required):
        return email
    try:
        validate_email(email)
    except ValidationError:
        raise unprocessable(f"{name} is invalid", [name]) from None
    return email.lower()


def locale_param(data, default: str) -> str:
    locale = str_param(data, "locale", default, max_length=10).lower().replace("_", "-")
    if locale == "pt":
        locale = "pt-br"
    if locale not in dict(settings.LANGUAGES):
        raise unprocessable("locale is not supported", ["locale"])
    return locale


def timezone_param(data, default: str) -> str:
    name = str_param(data, "timezone", default, max_length=64)
    if name not in zoneinfo.available_timezones():
        raise unprocessable("timezone is invalid", ["timezone"])
    return name


# --- Account -------------------------------------------------------------------------------

@api_view(["GET", "PATCH", "PUT"])
def account_detail(request: HttpRequest):
    account = request.account
    if request.method == "GET":
        return account_json(account)
    require_administrator(request)
    data, current = request.data, account.settings or {}
    name = str_param(data, "name", account.name)
    if not name:
        raise unprocessable("name can't be blank", ["name"])
    auto_resolve_after = int_param(data, "auto_resolve_after", current.get("auto_resolve_after"))
    if auto_resolve_after is not None and not 10 <= auto_resolve_after <= 1_439_856:
        raise unprocessable("auto_resolve_after must be between 10 and 1439856 minutes", ["auto_resolve_after"])
    actions.update_account(
        account, actor=request.user, name=name, locale=locale_param(data, account.locale),
        timezone=timezone_param(data, account.timezone), auto_resolve_after=auto_resolve_after,
        auto_resolve_message=str_param(data, "auto_resolve_message", current.get("auto_resolve_message") or "",
                                       max_length=10_000),
        auto_resolve_ignore_waiting=bool_param(data, "auto_resolve_ignore_waiting",
                                               bool(current.get("auto_resolve_ignore_waiting"))),
        domain=str_param(data, "domain", account.domain, max_length=100),
        support_email=email_param(data, "support_email", required=False) if "support_email" in data else None,
    )
    return account_json(account)


# --- Agents --------------------------------------------------------------------------------

@api_view(["GET", "POST"])
def agents(request: HttpRequest):
    if request.method == "GET":
        return [agent_json(m) for m in account_members(request.account)]
    require_administrator(request)
    data = request.data
    email = email_param(data)
    role = choice_param(data, "role", ROLES, AccountUser.Role.AGENT)
    availability = choice_param(data, "availability_status", AVAILABILITIES)
    availability = choice_param(data, "availability", AVAILABILITIES, availability)
    auto_offline = bool_param(data, "auto_offline")
    with transaction.atomic():
        membership = actions.invite_agent(request.account, actor=request.user,
                                          name=str_param(data, "name", "") or "", email=email, role=role)
        if availability is not None or auto_offline is not None:
            membership = actions.update_agent(
                membership, actor=request.user, name=membership.user.name, role=role,
                availability=membership.availability if availability is None else availability,
                auto_offline=auto_offline)
    return agent_json(membership)


@api_view(["PATCH", "PUT", "DELETE"])
def agent_detail(request: HttpRequest, user_id: int):
    require_administrator(request)
    membership = access_agent(request.account_user, user_id)
    if request.method == "DELETE":
        actions.remove_agent(membership, actor=request.user)
        return None
    data = request.data
    name = str_param(data, "name", membership.user.name)
    if not name:
        raise unprocessable("name can't be blank", ["name"])
    availability = choice_param(data, "availability", AVAILABILITIES, membership.availability)
    membership = actions.update_agent(
        membership, actor=request.user, name=name, role=choice_param(data, "role", ROLES, membership.role),
        availability=availability, auto_offline=bool_param(data, "auto_offline"))
    return agent_json(membership)


@api_view(["POST"])
def agents_bulk_create(request: HttpRequest):
    require_administrator(request)
    emails = request.data.get("emails")
    if not isinstance(emails, list) or not emails:
        raise unprocessable("emails can't be blank", ["emails"])
    try:
        cleaned = [email_param({"email": e}) for e in emails]
    except ApiError:
        raise unprocessable("emails must be a list of valid email addresses", ["emails"]) from None
    members = set(AccountUser.objects.filter(account=request.account, user__email__in=cleaned)
                  .values_list("user__email", flat=True))
    with transaction.atomic():
        for email in dict.fromkeys(cleaned):
            if email not in members:
                actions.invite_agent(request.account, actor=request.user, name="", email=email)
    return None


# --- Teams ---------------------------------------------------------------------------------

def _team_body(request: HttpRequest, team=None) -> dict:
    data = request.data
    name = str_param(data, "name", team.name if team else None, required=team is None)
    if not name:
        raise unprocessable("name can't be blank", ["name"])
    return {"name": name,
            "description": str_param(data, "description", team.description if team else "", max_length=10_000),
            "allow_auto_assign": bool_param(data, "allow_auto_assign", team.allow_auto_assign if team else True)}


@api_view(["GET", "POST"])
def teams(request: HttpRequest):
    if request.method == "GET":
        mine = set(request.user.teams.values_list("id", flat=True))
        return [team_json(t, is_member=t.pk in mine) for t in visible_teams(request.account)]
    require_administrator(request)
    team = actions.save_team(request.account, actor=request.user, team=None, member_ids=[], **_team_body(request))
    return team_json(team)


@api_view(["GET", "PATCH", "PUT", "DELETE"])
def team_detail(request: HttpRequest, team_id: int):
    team = access_team(request.account_user, team_id)
    if request.method == "GET":
        return team_json(team, is_member=request.user.pk in team_member_ids(team))
    require_administrator(request)
    if request.method == "DELETE":
        actions.delete_team(team, actor=request.user)
        return None
    team = actions.save_team(request.account, actor=request.user, team=team,
                             member_ids=list(team_member_ids(team)), **_team_body(request, team))
    return team_json(team, is_member=request.user.pk in team_member_ids(team))


@api_view(["GET", "POST", "PATCH", "DELETE"])
def team_members(request: HttpRequest, team_id: int):
    team = access_team(request.account_user, team_id)
    if request.method != "GET":
        require_administrator(request)
        mode = {"POST": "add", "PATCH": "replace", "DELETE": "remove"}[request.method]
        user_ids = ids_param(request.data, "user_ids")
        before = team_member_ids(team)
        after = actions.set_team_members(team, actor=request.user, user_ids=user_ids, mode=mode)
        if mode == "remove":
            return None
        if mode == "add":  # Chatwoot answers POST with the agents it added
            return [agent_json(m) for m in account_members(request.account) if m.user_id in after - before]
    ids = team_member_ids(team)
    return [agent_json(m) for m in account_members(request.account) if m.user_id in ids]


# --- Profile -------------------------------------------------------------------------------

def profile_json(user: User) -> dict:
    return user_json(user, access_token=api_token_for("User", user.pk), memberships=user_memberships(user))


@api_view(["GET", "PATCH", "PUT"], account=False)
def profile(request: HttpRequest):
    user = request.user
    if request.method == "GET":
        return profile_json(user)
    data = nested(request.data, "profile")
    name = str_param(data, "name", user.name)
    if not name:
        raise unprocessable("name can't be blank", ["name"])
    ui_settings = data.get("ui_settings", {})
    if not isinstance(ui_settings, dict):
        raise unprocessable("ui_settings must be an object", ["ui_settings"])
    actions.update_profile(
        user, actor=user, name=name, display_name=str_param(data, "display_name", user.display_name),
        message_signature=str_param(data, "message_signature", user.message_signature, max_length=10_000),
        locale=locale_param(data, user.locale or "pt-br") if data.get("locale") else user.locale,
        timezone=timezone_param(data, user.timezone) if data.get("timezone") else user.timezone,
        ui_settings=ui_settings)
    return profile_json(user)


@api_view(["POST"], account=False)
def profile_availability(request: HttpRequest):
    data = nested(request.data, "profile")
    membership = _own_membership(request, data)
    availability = choice_param(data, "availability", AVAILABILITIES)
    if availability is None:
        raise unprocessable("availability can't be blank", ["availability"])
    actions.set_availability(membership, actor=request.user, availability=availability)
    return profile_json(request.user)


def _own_membership(request: HttpRequest, data) -> AccountUser:
    account_id = int_param(data, "account_id")
    if account_id is None:
        raise unprocessable("account_id can't be blank", ["account_id"])
    membership = AccountUser.objects.select_related("account").filter(user=request.user, account_id=account_id).first()
    if membership is None:
        raise Http404
    return membership


@api_view(["POST"], account=False)
def profile_auto_offline(request: HttpRequest):
    data = nested(request.data, "profile")
    membership = _own_membership(request, data)
    auto_offline = bool_param(data, "auto_offline")
    if auto_offline is None:
        raise unprocessable("auto_offline can't be blank", ["auto_offline"])
    actions.set_auto_offline(membership, actor=request.user, auto_offline=auto_offline)
    return profile_json(request.user)


@api_view(["PUT", "POST"], account=False)
def profile_set_active_account(request: HttpRequest):
    membership = _own_membership(request, nested(request.data, "profile"))
    actions.set_active_account(membership, actor=request.user)
    return None


@api_view(["POST"], account=False)
def profile_reset_access_token(request: HttpRequest):
    actions.regenerate_access_token("User", request.user, actor=request.user)
    return profile_json(request.user)
