"""Writes for automations: canned responses (account-wide saved replies).

Events emitted: none (the composer searches canned responses on demand).
"""

import re

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from autonomia.actions import DomainError, audit
from autonomia.models import Account, User
from automations.models import CannedResponse

SHORT_CODE_RE = re.compile(r"[\w.-]+")


def _check(short_code: str, content: str) -> tuple[str, str]:
    short_code, content = short_code.strip(), content.strip()
    if not SHORT_CODE_RE.fullmatch(short_code):
        raise DomainError(_("Use only letters, digits, “-”, “_” and “.” in the short code, without spaces."),
                          field="short_code")
    if not content:
        raise DomainError(_("The canned response needs some content."), field="content")
    return short_code, content


def _save(canned: CannedResponse) -> None:
    try:
        with transaction.atomic():
            canned.save()
    except IntegrityError:
        raise DomainError(_("Another canned response already uses this short code."), field="short_code") from None


@transaction.atomic
def create_canned_response(account: Account, *, actor: User, short_code: str, content: str) -> CannedResponse:
    """Add a canned response; the short code is unique in the account."""
    short_code, content = _check(short_code, content)
    canned = CannedResponse(account=account, short_code=short_code, content=content)
    _save(canned)
    audit(account.pk, actor, "create", canned, {"short_code": short_code})
    return canned


@transaction.atomic
def update_canned_response(canned: CannedResponse, *, actor: User, short_code: str, content: str) -> CannedResponse:
    """Change a canned response's short code and content."""
    short_code, content = _check(short_code, content)
    before = {"short_code": canned.short_code, "content": canned.content}
    canned.short_code, canned.content = short_code, content
    _save(canned)
    audit(canned.account_id, actor, "update", canned, {"before": before})
    return canned


@transaction.atomic
def delete_canned_response(canned: CannedResponse, *, actor: User) -> None:
    """Delete a canned response."""
    audit(canned.account_id, actor, "destroy", canned, {"short_code": canned.short_code})
    canned.delete()


# --- Custom attribute definitions and custom filters (Chatwoot-compatible API) ------------------

ATTRIBUTE_KEY_RE = re.compile(r"[\w-]+")
MAX_CUSTOM_FILTERS = 1000  # per user, as in Chatwoot


def _check_attribute(definition) -> None:
    from automations.models import CustomAttributeDefinition

    if not definition.attribute_display_name.strip():
        raise DomainError(_("The attribute needs a name."), field="attribute_display_name")
    if not ATTRIBUTE_KEY_RE.fullmatch(definition.attribute_key or ""):
        raise DomainError(_("Use only letters, digits, “-” and “_” in the key."), field="attribute_key")
    values = definition.attribute_values
    if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
        raise DomainError(_("The values must be a list of texts."), field="attribute_values")
    if definition.attribute_display_type == CustomAttributeDefinition.DisplayType.LIST and not values:
        raise DomainError(_("A list attribute needs at least one value."), field="attribute_values")
    if definition.regex_pattern:
        try:
            re.compile(definition.regex_pattern)
        except re.error:
            raise DomainError(_("The pattern is not a valid regular expression."), field="regex_pattern") from None


def _save_attribute(definition) -> None:
    _check_attribute(definition)
    try:
        with transaction.atomic():
            definition.save()
    except IntegrityError:
        raise DomainError(_("Another attribute already uses this key."), field="attribute_key") from None


@transaction.atomic
def create_custom_attribute_definition(account: Account, *, actor: User, **fields):
    """Add a custom attribute for conversations or contacts; the key is unique per account and model."""
    from automations.models import CustomAttributeDefinition

    definition = CustomAttributeDefinition(account=account, **fields)
    _save_attribute(definition)
    audit(account.pk, actor, "create", definition, {"attribute_key": definition.attribute_key})
    return definition


@transaction.atomic
def update_custom_attribute_definition(definition, *, actor: User, **changes):
    """Change a custom attribute definition (values already stored on records are left as they are)."""
    for key, value in changes.items():
        setattr(definition, key, value)
    _save_attribute(definition)
    audit(definition.account_id, actor, "update", definition, {"fields": sorted(changes)})
    return definition


@transaction.atomic
def delete_custom_attribute_definition(definition, *, actor: User) -> None:
    """Delete a custom attribute definition."""
    audit(definition.account_id, actor, "destroy", definition, {"attribute_key": definition.attribute_key})
    definition.delete()


def _check_filter(custom_filter) -> None:
    if not custom_filter.name.strip():
        raise DomainError(_("The filter needs a name."), field="name")
    if not isinstance(custom_filter.query, dict):
        raise DomainError(_("The query must be an object."), field="query")


@transaction.atomic
def create_custom_filter(account: Account, *, actor: User, name: str, filter_type: int, query: dict):
    """Save a filter for the person who creates it (at most 1000 per person)."""
    from automations.models import CustomFilter

    if CustomFilter.objects.filter(account=account, user=actor).count() >= MAX_CUSTOM_FILTERS:
        raise DomainError(_("You have too many saved filters."), field="name")
    custom_filter = CustomFilter(account=account, user=actor, name=name.strip(), filter_type=filter_type,
                                 query=query)
    _check_filter(custom_filter)
    custom_filter.save()
    return custom_filter


@transaction.atomic
def update_custom_filter(custom_filter, *, actor: User, **changes):
    """Rename a saved filter or change its type or query."""
    for key, value in changes.items():
        setattr(custom_filter, key, value.strip() if key == "name" else value)
    _check_filter(custom_filter)
    custom_filter.save()
    return custom_filter


@transaction.atomic
def delete_custom_filter(custom_filter, *, actor: User) -> None:
    """Delete a saved filter."""
    custom_filter.delete()
