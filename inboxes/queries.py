"""Reads and permission checks for inboxes."""

from django.db.models import QuerySet
from django.http import Http404

from autonomia.models import AccountUser
from inboxes.models import Inbox, InboxMember


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
