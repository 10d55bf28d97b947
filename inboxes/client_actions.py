"""Writes made by the customer's side of an inbox: the public Client API (`/public/api/v1/inboxes/…`) and the
website widget. There is no token here: whoever holds a contact inbox's `source_id` (or the widget's signed
token) acts as that contact, so every function takes the contact inbox or one of its conversations, already
resolved by `inboxes.client_queries`.

Errors are `ClientError`s (DomainError subclasses) carrying the HTTP status the views answer with:
422 bad input, 401 `HmacError`, 413/415 `AttachmentRefused`, 429 `RateLimited` (with `retry_after`).
Each function checks everything before its first write, so a refused call changes nothing.
"""

import datetime as dt
import hashlib
import hmac
import uuid

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from autonomia.actions import DomainError, audit
from automations import webhooks
from contacts import actions as contact_actions
from contacts.models import Contact, ContactInbox
from conversations import actions as conversation_actions
from conversations import realtime
from conversations.forms import EXTENSIONS, clean_file_name, prepare_attachment
from conversations.models import Conversation, Message

MESSAGES_PER_MINUTE = 200  # per conversation, incoming only: agents' replies never lock the customer out
MAX_ATTACHMENTS = 15
MAX_CONTENT_LENGTH = 150_000
CSAT_LOCK_DAYS = 14
IDENTITY_FIELDS = ("identifier", "name", "email", "phone_number")
ATTRIBUTE_FIELDS = ("custom_attributes", "additional_attributes")
ALLOWED_CONTENT_ATTRIBUTES = {"in_reply_to", "in_reply_to_external_id"}
# Nobody has user id 0: the agents' consumer shows this typing event to everyone watching the conversation.
CONTACT_TYPING_USER_ID = 0


class ClientError(DomainError):
    """The customer's request was refused; `status` is the HTTP status the public views answer with."""

    status = 422


class HmacError(ClientError):
    """The identifier hash is wrong, or missing while the inbox requires it."""

    status = 401


class RateLimited(ClientError):
    """Too many messages in one conversation; retry after `retry_after` seconds."""

    status = 429

    def __init__(self, message: str, *, retry_after: int, field: str | None = None):
        super().__init__(message, field=field)
        self.retry_after = retry_after


class AttachmentRefused(ClientError):
    """An attachment is over the size limit (413) or of a refused type (415)."""

    def __init__(self, message: str, *, status: int, field: str = "attachments"):
        super().__init__(message, field=field)
        self.status = status


# --- Identity -----------------------------------------------------------------------------

def verify_identifier_hash(hmac_token: str, identifier: str, identifier_hash: str | None) -> bool:
    """Whether identifier_hash is the hex HMAC-SHA256 of identifier keyed with the inbox's hmac_token."""
    if not identifier_hash or not hmac_token or not isinstance(identifier_hash, str):
        return False
    expected = hmac.new(hmac_token.encode(), (identifier or "").encode(), hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected.encode(), identifier_hash.strip().lower().encode("utf-8", "replace"))


def _check_hmac(identifier: str, identifier_hash, hmac_token: str, hmac_mandatory: bool) -> bool:
    """True when a valid hash verifies the identifier, False when none was needed; HmacError otherwise."""
    if not identifier_hash and not hmac_mandatory:
        return False
    if not identifier or not verify_identifier_hash(hmac_token, identifier, identifier_hash):
        raise HmacError(_("HMAC failed: invalid identifier hash."), field="identifier_hash")
    return True


def _text(value, field: str, max_length: int = 255) -> str:
    if value is None:
        return ""
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise ClientError(_("%(field)s must be text.") % {"field": field}, field=field)
    value = str(value).strip()
    if len(value) > max_length:
        raise ClientError(_("%(field)s is too long.") % {"field": field}, field=field)
    return value


def _attributes(value, field: str) -> dict:
    if value in (None, ""):
        return {}
    if not isinstance(value, dict):
        raise ClientError(_("%(field)s must be an object.") % {"field": field}, field=field)
    return value


def _clean_fields(fields: dict) -> dict:
    """Validated, normalised contact fields (only the keys given); ClientError on bad values."""
    data = {}
    for key in IDENTITY_FIELDS:
        if key in fields:
            data[key] = _text(fields[key], key)
    if data.get("email"):
        data["email"] = data["email"].lower()
        try:
            validate_email(data["email"])
        except ValidationError:
            raise ClientError(_("Enter a valid email address."), field="email") from None
    if data.get("phone_number"):
        try:
            data["phone_number"] = contact_actions.normalize_phone(data["phone_number"])
        except DomainError as error:
            raise ClientError(error.message, field="phone_number") from None
    for key in ATTRIBUTE_FIELDS:
        if key in fields:
            data[key] = _attributes(fields[key], key)
    return data


def _find_contact(account_id: int, data: dict) -> Contact | None:
    """The account's contact with this identifier, else email, else phone (Chatwoot's lookup order)."""
    for key in ("identifier", "email", "phone_number"):
        if data.get(key):
            contact = Contact.objects.filter(account_id=account_id, **{key: data[key]}).first()
            if contact is not None:
                return contact
    return None


@transaction.atomic
def create_client_contact(inbox, *, source_id: str | None = None, name: str = "", email: str = "",
                          phone_number: str = "", identifier: str = "", identifier_hash: str | None = None,
                          avatar_url: str = "", custom_attributes: dict | None = None,
                          additional_attributes: dict | None = None, hmac_token: str = "",
                          hmac_mandatory: bool = False) -> ContactInbox:
    """A customer's identity in the inbox: a new contact, or the account's contact with the same identifier,
    email or phone; a valid identifier_hash marks it hmac_verified. A known source_id returns its identity."""
    data = _clean_fields({"name": name, "email": email, "phone_number": phone_number,
                          "identifier": identifier, "custom_attributes": custom_attributes,
                          "additional_attributes": additional_attributes})
    verified = _check_hmac(data["identifier"], identifier_hash, hmac_token, hmac_mandatory)
    source_id = _text(source_id, "source_id") or str(uuid.uuid4())
    existing = ContactInbox.objects.select_related("contact").filter(inbox=inbox, source_id=source_id).first()
    if existing is not None:
        known = existing.contact.identifier
        if data["identifier"] and known and known != data["identifier"]:
            raise ClientError(_("This source id belongs to another contact."), field="source_id")
        if verified and not existing.hmac_verified:
            ContactInbox.objects.filter(pk=existing.pk).update(hmac_verified=True)
            existing.hmac_verified = True
        return existing
    contact = _find_contact(inbox.account_id, data)
    if contact is not None and data["identifier"] and contact.identifier not in (None, data["identifier"]):
        # Someone else's email or phone: a new contact without the values it cannot share.
        data = {k: v for k, v in data.items()
                if k not in ("email", "phone_number") or v != getattr(contact, k)}
        contact = None
    if contact is None:
        contact = contact_actions.create_contact(inbox.account, actor=None,
                                                 **{k: v for k, v in data.items() if v})
    contact_inbox = ContactInbox.objects.create(contact=contact, inbox=inbox, source_id=source_id,
                                                hmac_verified=verified)
    audit(inbox.account_id, contact, "create", contact_inbox,
          {"source_id": source_id, "hmac_verified": verified})
    return contact_inbox


def _merge_into_existing(contact: Contact, data: dict, update: set[str]) -> Contact:
    """Chatwoot's ContactIdentifyAction: fold this contact into the account's contact with the same
    identifier, email or phone, unless that contact has another identifier (that value is then dropped)."""
    for key in ("identifier", "email", "phone_number"):
        if not data.get(key):
            continue
        existing = Contact.objects.filter(account_id=contact.account_id, **{key: data[key]}).exclude(
            pk=contact.pk).first()
        if existing is None:
            continue
        if data.get("identifier") and existing.identifier and existing.identifier != data["identifier"]:
            update.discard(key)
            continue
        contact = contact_actions.merge_contacts(existing, contact, actor=contact)
    return contact


@transaction.atomic
def update_client_contact(contact_inbox: ContactInbox, *, identifier_hash: str | None = None,
                          hmac_token: str = "", hmac_mandatory: bool = False, **fields) -> Contact:
    """Update the contact behind this identity (name, email, phone_number, identifier, attributes merged);
    merges with the account's contact of the same identifier/email/phone as Chatwoot's identify does. A sent
    identifier_hash must be valid; with hmac_mandatory, setting an identifier needs one."""
    data = _clean_fields(fields)
    contact = Contact.objects.select_for_update().get(pk=contact_inbox.contact_id)
    # hmac_mandatory asks for proof when an identity is asserted (an identifier is set); a customer may still
    # correct their own name, email or phone without one (the widget's pre-chat form, the email prompt).
    verified = _check_hmac(data.get("identifier") or contact.identifier or "", identifier_hash, hmac_token,
                           hmac_mandatory and bool(data.get("identifier")))
    if verified and not contact_inbox.hmac_verified:
        ContactInbox.objects.filter(pk=contact_inbox.pk).update(hmac_verified=True)
        contact_inbox.hmac_verified = True
    update = {k for k in IDENTITY_FIELDS if data.get(k)}
    contact = _merge_into_existing(contact, data, update)
    changes = {k: data[k] for k in update}
    for key in ATTRIBUTE_FIELDS:
        if data.get(key):
            changes[key] = {**getattr(contact, key), **data[key]}
    if changes:
        contact = contact_actions.update_contact(contact, actor=contact, **changes)
    contact_inbox.contact = contact
    return contact


@transaction.atomic
def identify_client_contact(contact_inbox: ContactInbox, *, identifier: str,
                            identifier_hash: str | None = None, hmac_token: str = "",
                            hmac_mandatory: bool = False, **fields) -> ContactInbox:
    """The widget's setUser: verify the hash, start a fresh identity when this browser's contact is someone
    else (a different identifier), then update / merge the contact. Returns the (possibly new) identity."""
    identifier = _text(identifier, "identifier")
    _check_hmac(identifier, identifier_hash, hmac_token, hmac_mandatory)  # before any write
    contact = contact_inbox.contact
    if contact.identifier and identifier and contact.identifier != identifier:
        contact_inbox = create_client_contact(contact_inbox.inbox)
    update_client_contact(contact_inbox, identifier=identifier, identifier_hash=identifier_hash,
                          hmac_token=hmac_token, hmac_mandatory=hmac_mandatory, **fields)
    return ContactInbox.objects.select_related("contact", "inbox").get(pk=contact_inbox.pk)


# --- Conversations ---------------------------------------------------------------------------

@transaction.atomic
def start_client_conversation(contact_inbox: ContactInbox, *, custom_attributes: dict | None = None,
                              additional_attributes: dict | None = None) -> Conversation:
    """Open the customer's conversation (pending when a bot answers the inbox, else open, auto-assigned)."""
    custom = _attributes(custom_attributes, "custom_attributes")
    additional = _attributes(additional_attributes, "additional_attributes")
    contact = contact_inbox.contact
    return conversation_actions.create_conversation(contact_inbox.inbox, contact=contact, actor=contact,
                                                    contact_inbox=contact_inbox, custom_attributes=custom,
                                                    additional_attributes=additional)


def _refusal(upload) -> AttachmentRefused | None:
    """None when the file may be stored, else why not: 413 over the size limit, 415 a refused type."""
    name = clean_file_name(upload.name)
    if upload.size > settings.ATTACHMENT_MAX_BYTES:
        from django.template.defaultfilters import filesizeformat

        return AttachmentRefused(_("%(name)s is larger than %(limit)s.") % {
            "name": name, "limit": filesizeformat(settings.ATTACHMENT_MAX_BYTES)}, status=413)
    extension = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if extension not in EXTENSIONS:
        return AttachmentRefused(_("%(name)s: this file type is not allowed.") % {"name": name}, status=415)
    return None


def _prepare_attachments(uploads) -> tuple[list[dict], list[AttachmentRefused]]:
    """Split uploads into stored-ready attachment dicts and refusals (the shared checks of the reply box)."""
    accepted, refused = [], []
    for upload in uploads:
        refusal = _refusal(upload)
        if refusal is None:
            try:
                accepted.append(prepare_attachment(upload))
            except forms.ValidationError as error:  # the bytes do not match the extension, or a broken image
                refusal = AttachmentRefused(" ".join(error.messages), status=415)
        if refusal is not None:
            refused.append(refusal)
    return accepted, refused


def _check_rate(conversation: Conversation) -> None:
    """At most MESSAGES_PER_MINUTE customer messages per conversation in any 60 s (the row is locked)."""
    since = timezone.now() - dt.timedelta(seconds=60)
    recent = (Message.objects.filter(conversation=conversation, message_type=Message.MessageType.INCOMING,
                                     created_at__gt=since).order_by("-created_at")
              .values_list("created_at", flat=True)[:MESSAGES_PER_MINUTE])
    recent = list(recent)
    if len(recent) >= MESSAGES_PER_MINUTE:
        retry_after = max(1, int((recent[-1] - since).total_seconds()) + 1)
        raise RateLimited(_("Too many messages in this conversation. Wait a moment and try again."),
                          retry_after=retry_after)


@transaction.atomic
def send_client_message(conversation: Conversation, *, content: str = "", echo_id: str | None = None,
                        attachments=(), content_attributes: dict | None = None) -> Message:
    """Store the customer's message (uploads checked for size and type). Refused uploads do not lose the text:
    it is stored and the refusals are returned in `message.refused_attachments` (ClientError when nothing is
    left to store). RateLimited beyond MESSAGES_PER_MINUTE in the conversation."""
    if content is None:
        content = ""
    if not isinstance(content, str):
        raise ClientError(_("content must be text."), field="content")
    if len(content) > MAX_CONTENT_LENGTH:
        raise ClientError(_("The message is too long."), field="content")
    uploads = list(attachments)
    if len(uploads) > MAX_ATTACHMENTS:
        raise ClientError(_("At most %(count)d attachments per message.") % {"count": MAX_ATTACHMENTS},
                          field="attachments")
    attrs = {k: v for k, v in _attributes(content_attributes, "content_attributes").items()
             if k in ALLOWED_CONTENT_ATTRIBUTES}
    echo_id = _text(echo_id, "echo_id") or None
    conversation = Conversation.objects.select_for_update(of=("self",)).select_related(
        "inbox", "contact").get(pk=conversation.pk)
    if conversation.is_resolved and not conversation.inbox.allow_messages_after_resolved:
        raise ClientError(_("This conversation is closed. Start a new one."), field="conversation")
    _check_rate(conversation)
    accepted, refused = _prepare_attachments(uploads)
    if not content.strip() and not accepted:
        if refused:
            raise refused[0]
        raise ClientError(_("Write a message or attach a file."), field="content")
    message = conversation_actions.receive_message(conversation, sender=conversation.contact, content=content,
                                                   attachments=accepted, content_attributes=attrs)
    message.echo_id = echo_id
    message.refused_attachments = refused
    return message


def set_client_typing(conversation: Conversation, *, on: bool) -> None:
    """Tell the agents watching the conversation that the customer is (or stopped) typing; nothing stored."""
    with transaction.atomic():
        realtime.typing_changed(conversation, user_id=CONTACT_TYPING_USER_ID,
                                name=conversation.contact.display_name, on=bool(on), is_private=False)


def resolve_client_conversation(conversation: Conversation) -> Conversation:
    """The customer ends the conversation (Chatwoot's public toggle_status only resolves)."""
    if conversation.is_resolved:
        return conversation
    return conversation_actions.change_status(conversation, actor=conversation.contact,
                                              status=Conversation.Status.RESOLVED)


def mark_client_seen(conversation: Conversation) -> None:
    """The customer has seen the conversation up to now (contact_last_seen_at; no audit, as agents' reads)."""
    now = timezone.now()
    Conversation.objects.filter(pk=conversation.pk).update(contact_last_seen_at=now)
    conversation.contact_last_seen_at = now


@transaction.atomic
def submit_client_values(message: Message, *, submitted_values) -> Message:
    """The customer's answer to an interactive message (input_select options, forms, CSAT rating); a CSAT
    answer is locked CSAT_LOCK_DAYS after the survey was sent."""
    if message.private or message.is_activity or message.is_incoming:
        raise ClientError(_("This message cannot be answered."), field="submitted_values")
    if not isinstance(submitted_values, (dict, list)) or not submitted_values:
        raise ClientError(_("submitted_values must be an object or a list."), field="submitted_values")
    if (message.content_type == Message.ContentType.INPUT_CSAT
            and message.created_at < timezone.now() - dt.timedelta(days=CSAT_LOCK_DAYS)):
        raise ClientError(_("You cannot update the CSAT survey after 14 days"), field="submitted_values")
    message = Message.objects.select_for_update().select_related("conversation__contact").get(pk=message.pk)
    message.content_attributes = {**message.content_attributes, "submitted_values": submitted_values}
    message.save(update_fields=["content_attributes", "updated_at"])
    audit(message.account_id, message.conversation.contact, "submitted_values", message)
    realtime.message_updated(message)
    webhooks.emit("message_updated", message_id=message.pk)
    return message
