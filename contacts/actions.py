"""Writes on contacts: create, update, labels, identities per inbox."""

import re

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from autonomia.actions import DomainError, audit
from autonomia.models import Account
from contacts.models import Contact, ContactInbox, ContactLabel

E164 = re.compile(r"^\+[1-9]\d{1,14}$")
EDITABLE = ("name", "email", "phone_number", "identifier", "additional_attributes", "custom_attributes", "blocked",
            "location", "country_code")


def normalize_phone(raw: str | None) -> str | None:
    """'+55 (11) 91234-5678' → '+5511912345678'; raises DomainError when it is not E.164."""
    if raw is None or not str(raw).strip():
        return None
    digits = re.sub(r"[^\d+]", "", str(raw).strip())
    if not digits.startswith("+"):
        digits = "+" + digits
    if not E164.match(digits):
        raise DomainError(_("Enter the phone in international format, e.g. +5511912345678."), field="phone_number")
    return digits


def normalize_email(raw: str | None) -> str | None:
    value = (raw or "").strip().lower()
    return value or None


def _clean(fields: dict) -> dict:
    data = {k: v for k, v in fields.items() if k in EDITABLE}
    if "email" in data:
        data["email"] = normalize_email(data["email"])
    if "phone_number" in data:
        data["phone_number"] = normalize_phone(data["phone_number"])
    if "identifier" in data:
        data["identifier"] = (data["identifier"] or "").strip() or None
    return data


def _save(contact: Contact) -> None:
    try:
        with transaction.atomic():
            contact.save()
    except IntegrityError:
        raise DomainError(_("Another contact already has this email, phone or identifier.")) from None


@transaction.atomic
def create_contact(account: Account, *, actor, **fields) -> Contact:
    """Create a contact; email, phone and identifier must be unique in the account."""
    contact = Contact(account=account, **_clean(fields))
    _save(contact)
    audit(account.pk, actor, "create", contact)
    return contact


@transaction.atomic
def update_contact(contact: Contact, *, actor, **fields) -> Contact:
    """Change a contact's details (attributes dicts are replaced, as in Chatwoot's PUT)."""
    data = _clean(fields)
    before = {k: getattr(contact, k) for k in data}
    for key, value in data.items():
        setattr(contact, key, value)
    _save(contact)
    audit(contact.account_id, actor, "update", contact, {"before": before})
    return contact


@transaction.atomic
def set_contact_labels(contact: Contact, *, actor, titles) -> list[str]:
    """Replace the contact's labels."""
    wanted = {t.strip().lower() for t in titles if t and t.strip()}
    ContactLabel.objects.filter(contact=contact).exclude(title__in=wanted).delete()
    existing = set(ContactLabel.objects.filter(contact=contact).values_list("title", flat=True))
    ContactLabel.objects.bulk_create([ContactLabel(contact=contact, title=t) for t in wanted - existing])
    audit(contact.account_id, actor, "labels_changed", contact, {"labels": sorted(wanted)})
    return sorted(wanted)


@transaction.atomic
def get_or_create_contact_inbox(contact: Contact, inbox, *, source_id: str | None = None) -> ContactInbox:
    """The contact's identity in the inbox, created with `source_id` (or a UUID) when missing."""
    import uuid

    if inbox.account_id != contact.account_id:
        raise DomainError(_("The inbox belongs to another account."))
    if source_id:
        existing = ContactInbox.objects.filter(inbox=inbox, source_id=source_id).first()
        if existing:
            if existing.contact_id != contact.pk:
                raise DomainError(_("This source id belongs to another contact."), field="source_id")
            return existing
    else:
        existing = ContactInbox.objects.filter(inbox=inbox, contact=contact).order_by("id").first()
        if existing:
            return existing
    return ContactInbox.objects.create(contact=contact, inbox=inbox, source_id=source_id or str(uuid.uuid4()))
