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


def search_canned_responses(account: Account, term: str) -> list[CannedResponse]:
    """Canned responses matching `term`: short-code prefix first, then short-code contains, then content."""
    from django.db.models import Case, IntegerField, Q, Value, When

    term = term.strip()
    qs = visible_canned_responses(account)
    if not term:
        return list(qs)
    rank = Case(When(short_code__istartswith=term, then=Value(0)), When(short_code__icontains=term, then=Value(1)),
                default=Value(2), output_field=IntegerField())
    return list(qs.filter(Q(short_code__icontains=term) | Q(content__icontains=term))
                .annotate(rank=rank).order_by("rank", "short_code"))


def visible_custom_attribute_definitions(account: Account, attribute_model: int | None = None):
    """The account's custom attribute definitions, optionally of one model (0 conversation, 1 contact)."""
    from automations.models import CustomAttributeDefinition

    qs = CustomAttributeDefinition.objects.filter(account=account)
    return qs if attribute_model is None else qs.filter(attribute_model=attribute_model)


def access_custom_attribute_definition(account_user: AccountUser, definition_id):
    """A custom attribute definition of the member's account, or 404."""
    from automations.models import CustomAttributeDefinition

    try:
        return CustomAttributeDefinition.objects.get(account_id=account_user.account_id, pk=int(definition_id))
    except (CustomAttributeDefinition.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def visible_custom_filters(account_user: AccountUser, filter_type: int | None = None):
    """The member's own saved filters in the account (filters are personal)."""
    from automations.models import CustomFilter

    qs = CustomFilter.objects.filter(account_id=account_user.account_id, user_id=account_user.user_id)
    return qs if filter_type is None else qs.filter(filter_type=filter_type)


def access_custom_filter(account_user: AccountUser, filter_id):
    """One of the member's own saved filters, or 404."""
    from automations.models import CustomFilter

    try:
        return visible_custom_filters(account_user).get(pk=int(filter_id))
    except (CustomFilter.DoesNotExist, ValueError, TypeError):
        raise Http404 from None
