"""Chatwoot's Platform API (/platform/api/v1): installers provision accounts, users and memberships.

Authenticated with a PlatformApp's `api_access_token`; an app sees and manages only the objects it created
(PlatformAppPermissible rows). Anything else answers 404, as if it did not exist.
"""

from django.db import transaction
from django.http import HttpRequest

from autonomia import actions
from autonomia.api import api_view, int_param, str_param, unprocessable
from autonomia.api_views import ROLES, choice_param, email_param, locale_param, timezone_param
from autonomia.models import Account, AccountUser, User
from autonomia.queries import api_token_for, platform_access, platform_agent_bots, user_memberships
from autonomia.serializers import account_json, account_user_json, user_json
from inboxes.actions import create_agent_bot, delete_agent_bot, update_agent_bot
from inboxes.api import bot_fields
from inboxes.models import AgentBot
from inboxes.serializers import agent_bot_json


def platform_user_json(user: User) -> dict:
    return user_json(user, access_token=api_token_for("User", user.pk), memberships=user_memberships(user))


# --- Accounts ------------------------------------------------------------------------------

@api_view(["POST"], platform=True)
def accounts(request: HttpRequest):
    data = request.data
    account = actions.provision_account(
        request.platform_app, name=str_param(data, "name", required=True), locale=locale_param(data, "pt-br"),
        domain=str_param(data, "domain", "", max_length=100),
        support_email=email_param(data, "support_email", required=False) or "")
    return account_json(account)


@api_view(["GET", "PATCH", "PUT", "DELETE"], platform=True)
def account_detail(request: HttpRequest, pk: int):
    # The id is `pk` in the URL: `account_id` is reserved for the browser / account-token routes.
    account = platform_access(request.platform_app, Account, pk)
    if request.method == "GET":
        return account_json(account)
    if request.method == "DELETE":
        actions.delete_account(account, actor=request.platform_app)
        return None
    data, current = request.data, account.settings or {}
    name = str_param(data, "name", account.name)
    if not name:
        raise unprocessable("name can't be blank", ["name"])
    actions.update_account(
        account, actor=request.platform_app, name=name, locale=locale_param(data, account.locale),
        timezone=timezone_param(data, account.timezone), auto_resolve_after=current.get("auto_resolve_after"),
        auto_resolve_message=current.get("auto_resolve_message") or "",
        auto_resolve_ignore_waiting=bool(current.get("auto_resolve_ignore_waiting")),
        domain=str_param(data, "domain", account.domain, max_length=100),
        support_email=email_param(data, "support_email", required=False) if "support_email" in data else None)
    return account_json(account)


@api_view(["GET", "POST", "DELETE"], platform=True)
def account_users(request: HttpRequest, pk: int):
    account = platform_access(request.platform_app, Account, pk)
    if request.method == "GET":
        return [account_user_json(m) for m in AccountUser.objects.filter(account=account).order_by("id")]
    user_id = int_param(request.data, "user_id")
    if user_id is None:
        raise unprocessable("user_id can't be blank", ["user_id"])
    user = platform_access(request.platform_app, User, user_id)
    if request.method == "DELETE":
        membership = AccountUser.objects.filter(account=account, user=user).first()
        if membership is not None:
            actions.remove_account_user(membership, actor=request.platform_app)
        return None
    role = choice_param(request.data, "role", ROLES, AccountUser.Role.AGENT)
    return account_user_json(actions.set_account_user(account, actor=request.platform_app, user=user, role=role))


# --- Users ---------------------------------------------------------------------------------

@api_view(["POST"], platform=True)
def users(request: HttpRequest):
    data = request.data
    user = actions.provision_user(
        request.platform_app, name=str_param(data, "name", "") or "", email=email_param(data),
        password=str_param(data, "password", None, max_length=128),
        display_name=str_param(data, "display_name", "") or "")
    return platform_user_json(user)


@api_view(["GET", "PATCH", "PUT", "DELETE"], platform=True)
def user_detail(request: HttpRequest, user_id: int):
    user = platform_access(request.platform_app, User, user_id)
    if request.method == "GET":
        return platform_user_json(user)
    if request.method == "DELETE":
        actions.delete_user(user, actor=request.platform_app)
        return None
    data = request.data
    name = str_param(data, "name")
    if name == "":
        raise unprocessable("name can't be blank", ["name"])
    with transaction.atomic():
        actions.update_user(
            user, actor=request.platform_app, name=name,
            display_name=str_param(data, "display_name"),
            email=email_param(data, required=False) if data.get("email") is not None else None,
            password=str_param(data, "password", None, max_length=128))
    return platform_user_json(user)


@api_view(["GET"], platform=True)
def user_login(request: HttpRequest, user_id: int):
    """A one-time link that signs the user in after they choose a password (no password is ever sent)."""
    user = platform_access(request.platform_app, User, user_id)
    return {"url": actions.invitation_link(user)}


@api_view(["POST"], platform=True)
def user_token(request: HttpRequest, user_id: int):
    user = platform_access(request.platform_app, User, user_id)
    return {"access_token": api_token_for("User", user.pk)}


# --- Agent bots ----------------------------------------------------------------------------

def platform_bot_json(bot) -> dict:
    return agent_bot_json(bot, access_token=api_token_for("AgentBot", bot.pk))


@api_view(["GET", "POST"], platform=True)
def agent_bots(request: HttpRequest):
    if request.method == "GET":
        return [platform_bot_json(bot) for bot in platform_agent_bots(request.platform_app)]
    account_id = int_param(request.data, "account_id")
    account = platform_access(request.platform_app, Account, account_id) if account_id is not None else None
    fields = bot_fields(request.data, creating=True)
    with transaction.atomic():
        bot = create_agent_bot(account, actor=request.platform_app, **fields)
        actions.permit(request.platform_app, bot)
    return platform_bot_json(bot)


@api_view(["GET", "PATCH", "PUT", "DELETE"], platform=True)
def agent_bot_detail(request: HttpRequest, bot_id: int):
    bot = platform_access(request.platform_app, AgentBot, bot_id)
    if request.method == "GET":
        return platform_bot_json(bot)
    if request.method == "DELETE":
        delete_agent_bot(bot, actor=request.platform_app)
        return None
    return platform_bot_json(update_agent_bot(bot, actor=request.platform_app,
                                              **bot_fields(request.data, creating=False)))
