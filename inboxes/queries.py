"""Reads and permission checks for inboxes."""

from django.db.models import QuerySet
from django.http import Http404

from autonomia.models import AccountUser
from inboxes.models import AgentBot, AgentBotInbox, Inbox, InboxMember


def visible_inboxes(account_user: AccountUser) -> QuerySet[Inbox]:
    """Inboxes the member works: all for administrators, their own for agents."""
    qs = Inbox.objects.filter(account_id=account_user.account_id)
    if not account_user.is_administrator:
        qs = qs.filter(pk__in=InboxMember.objects.filter(user_id=account_user.user_id).values("inbox_id"))
    return qs.order_by("name")


def access_inbox(account_user: AccountUser, inbox_id: int) -> Inbox:
    """An inbox the member works, or 404."""
    try:
        return visible_inboxes(account_user).get(pk=inbox_id)
    except (Inbox.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def inbox_member_ids(inbox: Inbox) -> set[int]:
    """User ids of the inbox's members."""
    return set(InboxMember.objects.filter(inbox=inbox).values_list("user_id", flat=True))


def inbox_list_rows(account_user: AccountUser) -> QuerySet[Inbox]:
    """Visible inboxes with `member_count`, for the settings list."""
    from django.db.models import Count

    return visible_inboxes(account_user).annotate(member_count=Count("inboxmember"))


def assignable_agent_ids(inbox: Inbox) -> set[int]:
    """Who may be assigned the inbox's conversations: its members and every administrator of the account."""
    from autonomia.queries import administrator_ids

    return inbox_member_ids(inbox) | administrator_ids(inbox.account_id)


def visible_agent_bots(account_user: AccountUser) -> QuerySet[AgentBot]:
    """The account's own bots and the system bots (no account)."""
    from django.db.models import Q

    return AgentBot.objects.filter(Q(account_id=account_user.account_id) | Q(account__isnull=True)).order_by("id")


def access_agent_bot(account_user: AccountUser, bot_id, *, own: bool = False) -> AgentBot:
    """A bot the member may see (with `own`, only the account's own bots, which it may change), or 404."""
    bots = visible_agent_bots(account_user)
    if own:
        bots = bots.filter(account_id=account_user.account_id)
    try:
        return bots.get(pk=int(bot_id))
    except (AgentBot.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def active_agent_bot(inbox: Inbox) -> AgentBot | None:
    """The bot working the inbox, if any."""
    row = AgentBotInbox.objects.select_related("agent_bot").filter(
        inbox=inbox, status=AgentBotInbox.Status.ACTIVE).first()
    return row.agent_bot if row else None
