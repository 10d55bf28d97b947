"""Writes for the core: accounts, memberships, invitations, teams, availability, audit log.

Events emitted: presence.changed (account group), access.changed (user group).
"""

from dataclasses import dataclass

from django.contrib.auth.tokens import default_token_generator
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django.utils.translation import gettext as _
from django.utils.translation import override

from autonomia import realtime
from autonomia.models import Account, AccountUser, AccessToken, AuditLog, Team, TeamMember, User


class DomainError(Exception):
    """A business rule refused the change; the message is shown to the person."""

    def __init__(self, message: str, *, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field


def actor_ref(actor) -> tuple[str, int | None]:
    """("User", id), ("AgentBot", id), ("Contact", id) or ("System", None)."""
    if actor is None:
        return "System", None
    return type(actor).__name__, actor.pk


def audit(account_id: int, actor, action: str, obj, changes: dict | None = None) -> None:
    """Append an audit-log row for `action` on `obj` by `actor`."""
    actor_type, actor_id = actor_ref(actor)
    AuditLog.objects.create(
        account_id=account_id,
        user_id=actor_id if actor_type == "User" else None,
        actor_type=actor_type,
        actor_id=actor_id,
        action=action,
        auditable_type=type(obj).__name__,
        auditable_id=obj.pk,
        audited_changes=changes or {},
    )


@dataclass
class ProvisionedAccount:
    account: Account
    user: User
    api_access_token: str


@transaction.atomic
def create_account(*, name: str, email: str, password: str, user_name: str = "",
                   locale: str = "pt-br") -> ProvisionedAccount:
    """Create an account with its first administrator; fails if the email is taken."""
    email = email.strip().lower()
    if not name.strip():
        raise DomainError(_("The account needs a name."), field="name")
    if User.objects.filter(email=email).exists():
        raise DomainError(_("A user with this email already exists."), field="email")
    account = Account.objects.create(name=name.strip(), locale=locale)
    user = User.objects.create_user(email, password, name=user_name or email.split("@")[0])
    AccountUser.objects.create(account=account, user=user, role=AccountUser.Role.ADMINISTRATOR)
    token = AccessToken.objects.create(owner_type="User", owner_id=user.pk)
    audit(account.pk, user, "create", account, {"name": name})
    return ProvisionedAccount(account=account, user=user, api_access_token=token.token)


@transaction.atomic
def update_account(account: Account, *, actor: User, name: str, locale: str, timezone: str,
                   auto_resolve_after: int | None, auto_resolve_message: str = "",
                   auto_resolve_ignore_waiting: bool = False, domain: str | None = None,
                   support_email: str | None = None) -> Account:
    """Change the account's name, language, time zone and auto-resolve policy (and, if given, domain/email)."""
    before = {"name": account.name, "locale": account.locale, "timezone": account.timezone,
              "domain": account.domain, "support_email": account.support_email, "settings": dict(account.settings)}
    account.name, account.locale, account.timezone = name, locale, timezone
    if domain is not None:
        account.domain = domain
    if support_email is not None:
        account.support_email = support_email
    account.settings = {
        **account.settings,
        "auto_resolve_after": auto_resolve_after,
        "auto_resolve_message": auto_resolve_message,
        "auto_resolve_ignore_waiting": auto_resolve_ignore_waiting,
    }
    account.save(update_fields=["name", "locale", "timezone", "domain", "support_email", "settings", "updated_at"])
    audit(account.pk, actor, "update", account, {"before": before})
    return account


def invitation_link(user: User) -> str:
    """The one-time link where an invited agent sets a password (a password-reset token)."""
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)
    from django.conf import settings

    return settings.FRONTEND_URL + reverse("password_reset_confirm", args=[uid, token])


@transaction.atomic
def invite_agent(account: Account, *, actor: User, name: str, email: str,
                 role: int = AccountUser.Role.AGENT) -> AccountUser:
    """Add a person to the account and email them an invitation link (existing users are just added)."""
    email = email.strip().lower()
    user = User.objects.filter(email=email).first()
    if user is None:
        user = User.objects.create_user(email, None, name=name.strip() or email.split("@")[0])
    if AccountUser.objects.filter(account=account, user=user).exists():
        raise DomainError(_("This person is already a member of the account."), field="email")
    membership = AccountUser.objects.create(account=account, user=user, role=role, inviter=actor)
    audit(account.pk, actor, "create", membership, {"email": email, "role": role})
    transaction.on_commit(lambda: send_invitation_email(membership.pk))
    return membership


def send_invitation_email(account_user_id: int) -> None:
    membership = AccountUser.objects.select_related("account", "user", "inviter").get(pk=account_user_id)
    user = membership.user
    link = invitation_link(user) if not user.has_usable_password() else None
    with override(membership.account.locale):
        context = {"membership": membership, "link": link}
        subject = _("You were invited to %(account)s on Autonomia") % {"account": membership.account.name}
        body = render_to_string("emails/invitation.txt", context)
    send_mail(subject, body, None, [user.email])


@transaction.atomic
def update_agent(membership: AccountUser, *, actor: User, name: str, role: int, availability: int,
                 auto_offline: bool | None = None) -> AccountUser:
    """Change an agent's name, role and availability; the last administrator cannot be demoted."""
    if membership.role == AccountUser.Role.ADMINISTRATOR and role != AccountUser.Role.ADMINISTRATOR:
        remaining = AccountUser.objects.filter(account_id=membership.account_id,
                                               role=AccountUser.Role.ADMINISTRATOR).exclude(pk=membership.pk)
        if not remaining.exists():
            raise DomainError(_("The account needs at least one administrator."), field="role")
    changes = {"role": [membership.role, role], "availability": [membership.availability, availability]}
    membership.role = role
    if auto_offline is not None:
        changes["auto_offline"] = [membership.auto_offline, auto_offline]
        membership.auto_offline = auto_offline
    membership.user.name = name
    membership.user.save(update_fields=["name"])
    membership.save(update_fields=["role", "auto_offline"])
    audit(membership.account_id, actor, "update", membership, changes)
    if membership.availability != availability:
        set_availability(membership, actor=actor, availability=availability)
    realtime.broadcast_on_commit([realtime.user_group(membership.user_id)],
                                 {"type": "access.changed", "account_id": membership.account_id})
    return membership


@transaction.atomic
def remove_agent(membership: AccountUser, *, actor: User) -> None:
    """Remove a person from the account: their inboxes, teams and open sockets go too."""
    if membership.user_id == actor.pk:
        raise DomainError(_("You cannot remove yourself."))
    remove_account_user(membership, actor=actor)


@transaction.atomic
def set_availability(membership: AccountUser, *, actor: User, availability: int) -> AccountUser:
    """Set online / busy / offline; everyone in the account sees it live."""
    membership.availability = availability
    membership.save(update_fields=["availability"])
    realtime.broadcast_on_commit(
        [realtime.account_group(membership.account_id)],
        {"type": "presence.changed", "account_id": membership.account_id, "user_id": membership.user_id,
         "availability": membership.availability_status},
    )
    return membership


@transaction.atomic
def set_auto_offline(membership: AccountUser, *, actor: User, auto_offline: bool) -> AccountUser:
    """Whether the agent goes offline by themself when their last browser closes."""
    membership.auto_offline = auto_offline
    membership.save(update_fields=["auto_offline"])
    return membership


@transaction.atomic
def set_active_account(membership: AccountUser, *, actor: User) -> AccountUser:
    """Make this the account the user lands on (the most recently active membership)."""
    from django.utils import timezone as dj_tz

    membership.active_at = dj_tz.now()
    membership.save(update_fields=["active_at"])
    return membership


@transaction.atomic
def save_team(account: Account, *, actor: User, team: Team | None, name: str, description: str,
              allow_auto_assign: bool, member_ids: list[int]) -> Team:
    """Create or update a team and set its members (members must belong to the account)."""
    team = team or Team(account=account)
    team.name, team.description, team.allow_auto_assign = name.strip().lower(), description, allow_auto_assign
    try:
        with transaction.atomic():
            team.save()
    except IntegrityError:
        raise DomainError(_("A team with this name already exists."), field="name") from None
    valid = set(AccountUser.objects.filter(account=account, user_id__in=member_ids).values_list("user_id", flat=True))
    TeamMember.objects.filter(team=team).exclude(user_id__in=valid).delete()
    existing = set(TeamMember.objects.filter(team=team).values_list("user_id", flat=True))
    TeamMember.objects.bulk_create([TeamMember(team=team, user_id=uid) for uid in valid - existing])
    audit(account.pk, actor, "update", team, {"name": team.name, "members": sorted(valid)})
    return team


@transaction.atomic
def delete_team(team: Team, *, actor: User) -> None:
    """Delete a team; its conversations keep their assignee and lose the team."""
    audit(team.account_id, actor, "destroy", team, {"name": team.name})
    team.delete()


@transaction.atomic
def update_profile(user: User, *, actor: User, name: str, display_name: str, message_signature: str,
                   locale: str, timezone: str, ui_settings: dict) -> User:
    """Change the user's own profile and preferences."""
    user.name, user.display_name, user.message_signature = name, display_name, message_signature
    user.locale, user.timezone = locale, timezone
    user.ui_settings = {**user.ui_settings, **ui_settings}
    user.save()
    return user


@transaction.atomic
def set_user_avatar(user: User, *, actor: User, avatar) -> User:
    """Replace (or, with None, remove) the user's profile picture; the old file is deleted after commit."""
    old = user.avatar.name if user.avatar else ""
    if avatar is None:
        user.avatar = ""
    else:
        user.avatar.save(avatar.name, avatar, save=False)
    user.save(update_fields=["avatar"])
    if old and old != user.avatar.name:
        storage = user.avatar.storage
        transaction.on_commit(lambda: storage.delete(old), robust=True)
    return user


@transaction.atomic
def set_team_members(team: Team, *, actor: User, user_ids, mode: str = "replace") -> set[int]:
    """Add ("add"), remove ("remove") or set ("replace") a team's members; every id must belong to the account."""
    user_ids = set(user_ids)
    valid = set(AccountUser.objects.filter(account_id=team.account_id, user_id__in=user_ids)
                .values_list("user_id", flat=True))
    if valid != user_ids and mode != "remove":
        raise DomainError(_("Some of these people are not members of the account."), field="user_ids")
    current = set(TeamMember.objects.filter(team=team).values_list("user_id", flat=True))
    wanted = {"add": current | valid, "remove": current - user_ids, "replace": valid}[mode]
    TeamMember.objects.filter(team=team, user_id__in=current - wanted).delete()
    TeamMember.objects.bulk_create([TeamMember(team=team, user_id=uid) for uid in wanted - current])
    audit(team.account_id, actor, "members_changed", team, {"added": sorted(wanted - current),
                                                            "removed": sorted(current - wanted)})
    return wanted


@transaction.atomic
def regenerate_access_token(owner_type: str, owner, *, actor) -> str:
    """Replace the `api_access_token` of a User or AgentBot; the old token stops working at once."""
    from autonomia.models import new_token

    token, _created = AccessToken.objects.select_for_update().get_or_create(owner_type=owner_type,
                                                                            owner_id=owner.pk)
    token.token = new_token()
    token.save(update_fields=["token"])
    if owner_type == "User":
        account_ids = list(AccountUser.objects.filter(user=owner).values_list("account_id", flat=True))
    else:
        account_ids = [owner.account_id] if getattr(owner, "account_id", None) else []
    for account_id in account_ids:
        audit(account_id, actor, "access_token_regenerated", owner)
    return token.token


# --- Platform API (objects are owned by the PlatformApp that created them) -------------------

def permit(app, obj) -> None:
    """Record that `app` created `obj` and so may manage it."""
    from autonomia.models import PlatformAppPermissible

    PlatformAppPermissible.objects.get_or_create(platform_app=app, permissible_type=type(obj).__name__,
                                                 permissible_id=obj.pk)


@transaction.atomic
def provision_account(app, *, name: str, locale: str = "pt-br", domain: str = "",
                      support_email: str = "") -> Account:
    """Create an account without users for a PlatformApp (Platform API)."""
    if not name.strip():
        raise DomainError(_("The account needs a name."), field="name")
    account = Account.objects.create(name=name.strip(), locale=locale, domain=domain, support_email=support_email)
    permit(app, account)
    audit(account.pk, app, "create", account, {"name": account.name})
    return account


@transaction.atomic
def delete_account(account: Account, *, actor) -> None:
    """Delete an account with everything in it."""
    from autonomia.models import PlatformAppPermissible

    PlatformAppPermissible.objects.filter(permissible_type="Account", permissible_id=account.pk).delete()
    account.delete()


@transaction.atomic
def provision_user(app, *, name: str, email: str, password: str | None = None, display_name: str = "") -> User:
    """Create a confirmed user for a PlatformApp; the email must be free."""
    email = email.strip().lower()
    if User.objects.filter(email=email).exists():
        raise DomainError(_("A user with this email already exists."), field="email")
    user = User.objects.create_user(email, password or None, name=name.strip() or email.split("@")[0],
                                    display_name=display_name)
    AccessToken.objects.create(owner_type="User", owner_id=user.pk)
    permit(app, user)
    return user


@transaction.atomic
def update_user(user: User, *, actor, name: str | None = None, display_name: str | None = None,
                email: str | None = None, password: str | None = None) -> User:
    """Change a user's identity fields (Platform API); emails stay unique."""
    if email is not None:
        email = email.strip().lower()
        if User.objects.filter(email=email).exclude(pk=user.pk).exists():
            raise DomainError(_("A user with this email already exists."), field="email")
        user.email = email
    if name is not None:
        user.name = name.strip()
    if display_name is not None:
        user.display_name = display_name
    if password:
        user.set_password(password)
    user.save()
    return user


@transaction.atomic
def delete_user(user: User, *, actor) -> None:
    """Delete a user, their token and memberships."""
    from autonomia.models import PlatformAppPermissible

    AccessToken.objects.filter(owner_type="User", owner_id=user.pk).delete()
    PlatformAppPermissible.objects.filter(permissible_type="User", permissible_id=user.pk).delete()
    for account_id in AccountUser.objects.filter(user=user).values_list("account_id", flat=True):
        realtime.broadcast_on_commit([realtime.user_group(user.pk)], {"type": "access.changed",
                                                                      "account_id": account_id})
    user.delete()


@transaction.atomic
def set_account_user(account: Account, *, actor, user: User, role: int) -> AccountUser:
    """Add a user to an account with `role`, or change the role of an existing member."""
    membership, created = AccountUser.objects.get_or_create(account=account, user=user, defaults={"role": role})
    if not created and membership.role != role:
        membership.role = role
        membership.save(update_fields=["role"])
    audit(account.pk, actor, "create" if created else "update", membership, {"user_id": user.pk, "role": role})
    return membership


@transaction.atomic
def remove_account_user(membership: AccountUser, *, actor) -> None:
    """Remove a membership (Platform API, and agents removed in settings): inboxes, teams and open sockets go too."""
    from inboxes.models import InboxMember

    InboxMember.objects.filter(user_id=membership.user_id, inbox__account_id=membership.account_id).delete()
    TeamMember.objects.filter(user_id=membership.user_id, team__account_id=membership.account_id).delete()
    audit(membership.account_id, actor, "destroy", membership, {"user_id": membership.user_id})
    realtime.broadcast_on_commit([realtime.user_group(membership.user_id)],
                                 {"type": "access.changed", "account_id": membership.account_id})
    membership.delete()
