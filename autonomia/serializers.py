"""Chatwoot JSON shapes of the core: agents, teams, accounts, the profile (user) and Platform API rows.

One function per wire shape; REST endpoints build their bodies only from these.
"""

from django.conf import settings
from django.urls import NoReverseMatch, reverse

from autonomia.api import iso
from autonomia.models import Account, AccountUser, Team, User

ROLE_NAMES = {AccountUser.Role.AGENT: "agent", AccountUser.Role.ADMINISTRATOR: "administrator"}
ACCOUNT_STATUS = {Account.Status.ACTIVE: "active", Account.Status.SUSPENDED: "suspended"}


def role_name(role: int) -> str:
    return ROLE_NAMES[AccountUser.Role(role)]


def user_thumbnail(user: User, account_id: int | None) -> str:
    """An absolute URL of the user's picture, or "" (Chatwoot sends an empty string)."""
    if not user.avatar or account_id is None:
        return ""
    try:
        path = reverse("settings:user-avatar", kwargs={"account_id": account_id, "user_id": user.pk})
    except NoReverseMatch:
        return ""
    return settings.FRONTEND_URL + path


def agent_json(membership: AccountUser) -> dict:
    """Chatwoot's `_agent.json.jbuilder` for one membership (the agent's `id` is the user id)."""
    user = membership.user
    return {
        "id": user.pk,
        "account_id": membership.account_id,
        "availability_status": membership.availability_status,
        "auto_offline": membership.auto_offline,
        "confirmed": user.has_usable_password(),
        "email": user.email,
        "provider": "email",
        "available_name": user.available_name,
        "custom_attributes": {},
        "name": user.name,
        "role": role_name(membership.role),
        "thumbnail": user_thumbnail(user, membership.account_id),
        "custom_role_id": None,
    }


def team_json(team: Team, *, is_member: bool = False) -> dict:
    return {
        "id": team.pk,
        "name": team.name,
        "description": team.description,
        "allow_auto_assign": team.allow_auto_assign,
        "account_id": team.account_id,
        "is_member": is_member,
    }


def account_json(account: Account) -> dict:
    """Chatwoot's account show (+ the auto-resolve settings it keeps in `settings`)."""
    data = account.settings or {}
    return {
        "id": account.pk,
        "name": account.name,
        "locale": account.locale,
        "domain": account.domain,
        "support_email": account.support_email,
        "status": ACCOUNT_STATUS[Account.Status(account.status)],
        "timezone": account.timezone,
        "features": {},
        "custom_attributes": account.custom_attributes or {},
        "settings": {key: data.get(key) for key in
                     ("auto_resolve_after", "auto_resolve_message", "auto_resolve_ignore_waiting")},
        "auto_resolve_after": data.get("auto_resolve_after"),
        "auto_resolve_message": data.get("auto_resolve_message") or "",
        "auto_resolve_ignore_waiting": bool(data.get("auto_resolve_ignore_waiting")),
        "created_at": iso(account.created_at),
        "cache_keys": {},
    }


def membership_json(membership: AccountUser) -> dict:
    """One entry of the profile's `accounts` list."""
    return {
        "id": membership.account_id,
        "name": membership.account.name,
        "status": ACCOUNT_STATUS[Account.Status(membership.account.status)],
        "active_at": iso(membership.active_at),
        "role": role_name(membership.role),
        "permissions": [role_name(membership.role)],
        "availability": membership.availability_status,
        "availability_status": membership.availability_status,
        "auto_offline": membership.auto_offline,
    }


def user_json(user: User, *, access_token: str, memberships: list[AccountUser]) -> dict:
    """Chatwoot's `_user.json.jbuilder` (GET /api/v1/profile, Platform API users); `memberships` newest first."""
    active = memberships[0] if memberships else None
    return {
        "access_token": access_token,
        "account_id": active.account_id if active else None,
        "available_name": user.available_name,
        "avatar_url": user_thumbnail(user, active.account_id if active else None),
        "confirmed": user.has_usable_password(),
        "display_name": user.display_name or None,
        "message_signature": user.message_signature or None,
        "email": user.email,
        "id": user.pk,
        "inviter_id": active.inviter_id if active else None,
        "name": user.name,
        "provider": "email",
        "pubsub_token": user.pubsub_token,
        "custom_attributes": {},
        "role": role_name(active.role) if active else None,
        "ui_settings": user.ui_settings or {},
        "uid": user.email,
        "type": "SuperAdmin" if user.is_superuser else "User",
        "accounts": [membership_json(m) for m in memberships],
    }


def account_user_json(membership: AccountUser) -> dict:
    """Platform API account_users rows."""
    return {"account_id": membership.account_id, "user_id": membership.user_id, "role": role_name(membership.role)}
