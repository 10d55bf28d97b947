"""Writes on contacts: create, update, labels, identities per inbox."""

import re

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from autonomia.actions import DomainError, audit
from autonomia.models import Account
from automations import webhooks
from contacts.models import Contact, ContactInbox, ContactLabel, ContactNote

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
    webhooks.emit("contact_created", contact_id=contact.pk)
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
    changes = {k: (v, getattr(contact, k)) for k, v in before.items() if v != getattr(contact, k)}
    if changes:
        webhooks.emit("contact_updated", contact_id=contact.pk, changes=changes)
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


# --- API additions: notes, deletion, merge -------------------------------------------------

@transaction.atomic
def create_contact_in_inbox(account: Account, *, actor, inbox=None, source_id: str | None = None, **fields):
    """Create a contact and, with `inbox`, its identity there (source_id or a UUID); all or nothing."""
    contact = create_contact(account, actor=actor, **fields)
    contact_inbox = get_or_create_contact_inbox(contact, inbox, source_id=source_id) if inbox is not None else None
    return contact, contact_inbox


@transaction.atomic
def add_contact_note(contact: Contact, *, actor, content: str) -> ContactNote:
    """A note on the contact, written by a member."""
    if not (content or "").strip():
        raise DomainError(_("Write the note."), field="content")
    note = ContactNote.objects.create(contact=contact, user=actor, content=content.strip())
    audit(contact.account_id, actor, "create", note)
    return note


@transaction.atomic
def update_contact_note(note: ContactNote, *, actor, content: str) -> ContactNote:
    """Change a note's text."""
    if not (content or "").strip():
        raise DomainError(_("Write the note."), field="content")
    note.content = content.strip()
    note.save(update_fields=["content"])
    audit(note.contact.account_id, actor, "update", note)
    return note


@transaction.atomic
def delete_contact_note(note: ContactNote, *, actor) -> None:
    audit(note.contact.account_id, actor, "destroy", note)
    note.delete()


@transaction.atomic
def delete_contact(contact: Contact, *, actor) -> None:
    """Delete the contact with its conversations and identities (Chatwoot's destroy)."""
    audit(contact.account_id, actor, "destroy", contact, {"name": contact.name, "email": contact.email})
    contact.delete()


@transaction.atomic
def merge_contacts(base: Contact, mergee: Contact, *, actor) -> Contact:
    """Fold `mergee` into `base`: conversations, identities, notes, labels and message senders move; base keeps
    its own values and takes the mergee's where it has none; the mergee is deleted."""
    from conversations.models import Conversation, Message

    if base.pk == mergee.pk or base.account_id != mergee.account_id:
        raise DomainError(_("Choose two different contacts of the account."), field="mergee_contact_id")
    base = Contact.objects.select_for_update().get(pk=base.pk)
    mergee = Contact.objects.select_for_update().get(pk=mergee.pk)
    Conversation.objects.filter(contact=mergee).update(contact=base)
    ContactInbox.objects.filter(contact=mergee).update(contact=base)
    ContactNote.objects.filter(contact=mergee).update(contact=base)
    Message.objects.filter(account_id=base.account_id, sender_type="Contact", sender_id=mergee.pk).update(
        sender_id=base.pk)
    titles = set(ContactLabel.objects.filter(contact=mergee).values_list("title", flat=True))
    titles -= set(ContactLabel.objects.filter(contact=base).values_list("title", flat=True))
    ContactLabel.objects.bulk_create([ContactLabel(contact=base, title=t) for t in titles])
    taken = {f: getattr(mergee, f) for f in ("email", "phone_number", "identifier", "name", "location",
                                             "country_code") if getattr(mergee, f) and not getattr(base, f)}
    base.additional_attributes = {**mergee.additional_attributes, **base.additional_attributes}
    base.custom_attributes = {**mergee.custom_attributes, **base.custom_attributes}
    if mergee.last_activity_at and (not base.last_activity_at or mergee.last_activity_at > base.last_activity_at):
        base.last_activity_at = mergee.last_activity_at
    audit(base.account_id, actor, "merge", base, {"mergee_id": mergee.pk, "taken": sorted(taken)})
    mergee.delete()  # first, so its unique email / phone / identifier can move to the base
    for key, value in taken.items():
        setattr(base, key, value)
    _save(base)
    return base
