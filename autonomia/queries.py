"""Reads and permission checks for the core: account membership, agents, teams."""

from django.core.cache import cache
from django.db.models import F, QuerySet
from django.http import Http404

from autonomia.models import Account, AccountUser, AccessToken, Team, User


def access_account_user(user: User, account_id: int) -> AccountUser:
    """The user's membership in the account, or 404 (also for inactive users and accounts)."""
    from conversations.queries import unread_notifications_subquery

    if not user.is_authenticated or not user.is_active:
        raise Http404
    try:
        # The bell count of base.html rides along: every page shows it, so it costs no query of its own.
        return AccountUser.objects.select_related("account", "user").annotate(
            unread_notifications=unread_notifications_subquery()).get(
            user=user, account_id=account_id, account__status=Account.Status.ACTIVE
        )
    except AccountUser.DoesNotExist:
        raise Http404 from None


def default_account_user(user: User) -> AccountUser | None:
    """The membership to land on after login: the most recently active one."""
    return (
        AccountUser.objects.select_related("account")
        .filter(user=user, account__status=Account.Status.ACTIVE)
        .order_by(F("active_at").desc(nulls_last=True), "id")
        .first()
    )


def account_members(account: Account) -> QuerySet[AccountUser]:
    """Every membership of the account, with users, ordered by name."""
    return AccountUser.objects.filter(account=account).select_related("user").order_by("user__name")


def administrator_ids(account_id: int) -> set[int]:
    """User ids of the account's administrators."""
    return set(
        AccountUser.objects.filter(account_id=account_id, role=AccountUser.Role.ADMINISTRATOR)
        .values_list("user_id", flat=True)
    )


def visible_teams(account: Account) -> QuerySet[Team]:
    """Teams of the account (every member may see every team)."""
    return Team.objects.filter(account=account).order_by("name")


def access_team(account_user: AccountUser, team_id: int) -> Team:
    """A team of the member's account, or 404."""
    try:
        return Team.objects.get(account_id=account_user.account_id, pk=team_id)
    except (Team.DoesNotExist, ValueError):
        raise Http404 from None


def api_token_for(owner_type: str, owner_id: int) -> str:
    """The owner's `api_access_token`, created on first use."""
    token, _ = AccessToken.objects.get_or_create(owner_type=owner_type, owner_id=owner_id)
    return token.token


def presence_key(account_id: int, user_id: int) -> str:
    return f"presence:{account_id}:{user_id}"


def is_present(account_id: int, user_id: int) -> bool:
    """Whether the agent has a live browser (heartbeat within PRESENCE_SECONDS)."""
    return bool(cache.get(presence_key(account_id, user_id)))


def present_user_ids(account_id: int, user_ids: list[int]) -> set[int]:
    """Of `user_ids`, those with a live browser, in one cache round trip."""
    keys = {presence_key(account_id, uid): uid for uid in user_ids}
    return {keys[k] for k in cache.get_many(list(keys))}


def access_membership(account_user: AccountUser, membership_id: int) -> AccountUser:
    """A membership (with its user) of the member's account, or 404."""
    try:
        return AccountUser.objects.select_related("user").get(account_id=account_user.account_id, pk=membership_id)
    except (AccountUser.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def team_member_ids(team: Team) -> set[int]:
    """User ids of the team's members."""
    return set(team.members.values_list("id", flat=True))


def access_member_user(account_user: AccountUser, user_id: int) -> User:
    """A user who belongs to the member's account (to show their avatar), or 404."""
    try:
        return AccountUser.objects.select_related("user").get(account_id=account_user.account_id,
                                                               user_id=user_id).user
    except (AccountUser.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def access_agent(account_user: AccountUser, user_id) -> AccountUser:
    """The membership of user `user_id` in the member's account (API agent ids are user ids), or 404."""
    try:
        return AccountUser.objects.select_related("user", "account").get(account_id=account_user.account_id,
                                                                        user_id=int(user_id))
    except (AccountUser.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def user_memberships(user: User) -> list[AccountUser]:
    """Every membership of the user (with its account), most recently active first."""
    from django.db.models import F

    return list(AccountUser.objects.select_related("account").filter(user=user)
                .order_by(F("active_at").desc(nulls_last=True), "id"))


def platform_owns(app, permissible_type: str, permissible_id) -> bool:
    """Whether the PlatformApp created (and so may manage) this object."""
    from autonomia.models import PlatformAppPermissible

    try:
        return PlatformAppPermissible.objects.filter(platform_app=app, permissible_type=permissible_type,
                                                     permissible_id=int(permissible_id)).exists()
    except (ValueError, TypeError):
        return False


def platform_access(app, model, object_id):
    """An Account / User / AgentBot the PlatformApp created, or 404."""
    if not platform_owns(app, model.__name__, object_id):
        raise Http404
    try:
        return model.objects.get(pk=int(object_id))
    except model.DoesNotExist:
        raise Http404 from None


def platform_agent_bots(app):
    """The agent bots the PlatformApp created."""
    from autonomia.models import PlatformAppPermissible
    from inboxes.models import AgentBot

    ids = PlatformAppPermissible.objects.filter(platform_app=app, permissible_type="AgentBot")
    return AgentBot.objects.filter(pk__in=ids.values("permissible_id")).order_by("id")
