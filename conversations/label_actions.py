"""Writes for labels: create, update (renaming re-tags conversations and contacts), delete.

Events emitted: none (conversation rows show the new title on their next refresh).
"""

import re

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from autonomia.actions import DomainError, audit
from autonomia.models import Account, User
from contacts.models import ContactLabel
from conversations.models import ConversationLabel, Label

# Same rule as conversations.actions.set_labels (Chatwoot: letters, digits, "-" and "_").
TITLE_RE = re.compile(r"[\w-]+")
COLOR_RE = re.compile(r"#[0-9a-fA-F]{6}")


def _check(title: str, color: str) -> tuple[str, str]:
    title = title.strip().lower()
    if not TITLE_RE.fullmatch(title):
        raise DomainError(_("Use only letters, digits, “-” and “_” in the label name, without spaces."),
                          field="title")
    if not COLOR_RE.fullmatch(color or ""):
        raise DomainError(_("Pick a colour."), field="color")
    return title, color.lower()


def _save(label: Label) -> None:
    try:
        with transaction.atomic():
            label.save()
    except IntegrityError:
        raise DomainError(_("A label with this name already exists."), field="title") from None


@transaction.atomic
def create_label(account: Account, *, actor: User, title: str, color: str = "#1f93ff", description: str = "",
                 show_on_sidebar: bool = True) -> Label:
    """Add a label; titles are lower-case and unique in the account."""
    title, color = _check(title, color)
    label = Label(account=account, title=title, color=color, description=description.strip(),
                  show_on_sidebar=show_on_sidebar)
    _save(label)
    audit(account.pk, actor, "create", label, {"title": title})
    return label


@transaction.atomic
def update_label(label: Label, *, actor: User, title: str, color: str, description: str = "",
                 show_on_sidebar: bool = True) -> Label:
    """Change a label; a new title is applied to every conversation and contact tagged with the old one."""
    title, color = _check(title, color)
    old_title = label.title
    label.title, label.color, label.description, label.show_on_sidebar = (
        title, color, description.strip(), show_on_sidebar)
    _save(label)
    if title != old_title:
        _retag(ConversationLabel, "conversation", label.account_id, old_title, title)
        _retag(ContactLabel, "contact", label.account_id, old_title, title)
    audit(label.account_id, actor, "update", label, {"title": [old_title, title]})
    return label


def _retag(model, owner: str, account_id: int, old: str, new: str) -> None:
    """Rename tag rows of one account; rows whose owner already has the new tag are dropped."""
    rows = model.objects.filter(**{f"{owner}__account_id": account_id, "title": old})
    has_new = model.objects.filter(**{f"{owner}__account_id": account_id, "title": new}).values(f"{owner}_id")
    rows.filter(**{f"{owner}_id__in": has_new}).delete()
    rows.update(title=new)


@transaction.atomic
def delete_label(label: Label, *, actor: User) -> None:
    """Delete a label; conversations keep the tag (as in Chatwoot) but it is no longer offered."""
    audit(label.account_id, actor, "destroy", label, {"title": label.title})
    label.delete()
