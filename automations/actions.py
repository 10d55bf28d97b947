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
