"""Reads for the label settings pages."""

from django.db.models import QuerySet
from django.http import Http404

from autonomia.models import Account, AccountUser
from conversations.models import ConversationLabel, Label


def visible_labels(account: Account) -> QuerySet[Label]:
    """The account's labels, by title (every member may see every label)."""
    return Label.objects.filter(account=account).order_by("title")


def access_label(account_user: AccountUser, label_id: int) -> Label:
    """A label of the member's account, or 404."""
    try:
        return Label.objects.get(account_id=account_user.account_id, pk=label_id)
    except (Label.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def label_usage(label: Label) -> int:
    """How many of the account's conversations carry the label."""
    return ConversationLabel.objects.filter(conversation__account_id=label.account_id, title=label.title).count()
