"""Reads for automations: canned responses."""

from django.db.models import QuerySet
from django.http import Http404

from autonomia.models import Account, AccountUser
from automations.models import CannedResponse


def visible_canned_responses(account: Account) -> QuerySet[CannedResponse]:
    """The account's canned responses, by short code (they are account-wide)."""
    return CannedResponse.objects.filter(account=account).order_by("short_code")


def access_canned_response(account_user: AccountUser, canned_id: int) -> CannedResponse:
    """A canned response of the member's account, or 404."""
    try:
        return CannedResponse.objects.get(account_id=account_user.account_id, pk=canned_id)
    except (CannedResponse.DoesNotExist, ValueError, TypeError):
        raise Http404 from None
