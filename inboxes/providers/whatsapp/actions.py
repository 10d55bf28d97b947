"""Writes for WhatsApp channels: set-up, the raw-event inbox, contacts and conversations of inbound messages,
delivery statuses (with parking of early ones), templates and connection state.

Provider payload parsing lives in inbound_cloud.py / inbound_evolution.py and sending in outbound.py; both
call these functions, which call the conversations and contacts actions (never their models directly).
"""

import secrets

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from autonomia.actions import DomainError, audit
from contacts import actions as contact_actions
from contacts.models import Contact, ContactInbox
from conversations import actions as conversation_actions
from conversations.models import Conversation, Message
from inboxes import actions as inbox_actions
from inboxes.models import Inbox
from inboxes.providers.whatsapp.formatting import digits, e164, phone_variants
from inboxes.providers.whatsapp.models import MessageTemplate, ParkedStatus, ReceivedEvent, WhatsappChannel

Provider = WhatsappChannel.Provider
CLOUD_REQUIRED = ("phone_number_id", "business_account_id", "api_key", "app_secret")
EVOLUTION_REQUIRED = ("server_url", "instance_name", "apikey")
SECRET_KEYS = ("api_key", "app_secret", "apikey")


# --- Channel set-up ---------------------------------------------------------------------------

def _clean_config(provider: str, config: dict, current: dict | None = None) -> dict:
    """Strip values, keep stored secrets when the form left them blank, and require the provider's fields."""
    current = current or {}
    cleaned = {**current}
    for key, value in config.items():
        value = (value or "").strip() if isinstance(value, str) else value
        if key in SECRET_KEYS and not value:
            continue  # a blank secret field means "unchanged"
        cleaned[key] = value
    required = CLOUD_REQUIRED if provider == Provider.CLOUD else EVOLUTION_REQUIRED
    for key in required:
        if not cleaned.get(key):
            raise DomainError(_("This field is required."), field=key)
    if provider == Provider.CLOUD:
        cleaned["webhook_verify_token"] = cleaned.get("webhook_verify_token") or secrets.token_hex(16)
    else:
        from automations.webhooks import UnsafeURL, check_url

        try:
            check_url(cleaned["server_url"])
        except UnsafeURL as error:
            raise DomainError(str(error), field="server_url") from None
    return cleaned


def _phone(phone_number: str, *, required: bool) -> str:
    if not (phone_number or "").strip():
        if required:
            raise DomainError(_("Enter the phone in international format, e.g. +5511912345678."),
                              field="phone_number")
        return ""
    number = e164(phone_number)
    if number is None:
        raise DomainError(_("Enter the phone in international format, e.g. +5511912345678."), field="phone_number")
    return number


def _check_unique(channel_id, provider: str, phone_number: str, config: dict) -> None:
    others = WhatsappChannel.objects.exclude(pk=channel_id)
    if provider == Provider.CLOUD and others.filter(phone_number_id=config["phone_number_id"]).exists():
        raise DomainError(_("Another inbox already uses this phone number id."), field="phone_number_id")
    if provider == Provider.CLOUD and others.filter(provider=Provider.CLOUD, phone_number=phone_number).exists():
        raise DomainError(_("Another inbox already uses this phone number."), field="phone_number")


@transaction.atomic
def create_whatsapp_inbox(account, *, actor, name: str, provider: str, phone_number: str = "",
                          config: dict, member_ids=()) -> Inbox:
    """Create a WhatsApp inbox with its channel (Cloud API or Evolution API)."""
    if provider not in Provider.values:
        raise DomainError(_("Choose a provider."), field="provider")
    number = _phone(phone_number, required=provider == Provider.CLOUD)
    cleaned = _clean_config(provider, config)
    _check_unique(None, provider, number, cleaned)
    inbox = inbox_actions.create_inbox(account, actor=actor, name=name, channel_type=Inbox.ChannelType.WHATSAPP,
                                       member_ids=member_ids)
    channel = WhatsappChannel.objects.create(inbox=inbox, provider=provider, phone_number=number,
                                             provider_config=cleaned,
                                             phone_number_id=cleaned.get("phone_number_id", ""))
    audit(account.pk, actor, "create", channel, {"provider": provider, "phone_number": number})
    return inbox


@transaction.atomic
def update_whatsapp_channel(channel: WhatsappChannel, *, actor, phone_number: str = "",
                            config: dict) -> WhatsappChannel:
    """Change the channel's credentials and settings (blank secrets keep their stored value)."""
    channel = WhatsappChannel.objects.select_for_update().get(pk=channel.pk)
    number = _phone(phone_number, required=channel.is_cloud) or channel.phone_number
    cleaned = _clean_config(channel.provider, config, channel.provider_config)
    _check_unique(channel.pk, channel.provider, number, cleaned)
    channel.phone_number, channel.provider_config = number, cleaned
    channel.phone_number_id = cleaned.get("phone_number_id", "")
    if any(config.get(k) for k in SECRET_KEYS):
        channel.reauthorization_required = False
    channel.save()
    audit(channel.inbox.account_id, actor, "update", channel, {"keys": sorted(k for k in config if config[k])})
    return channel


@transaction.atomic
def record_connection_state(channel: WhatsappChannel, *, state: str | None = None, qrcode: str | None = None,
                            pairing_code: str | None = None, phone_number: str | None = None,
                            profile_name: str | None = None) -> WhatsappChannel:
    """Store what Evolution said about the instance (connection.update, qrcode.updated, connectionState)."""
    channel = WhatsappChannel.objects.select_for_update().get(pk=channel.pk)
    config = dict(channel.provider_config)
    if state is not None:
        config["connection_state"] = state
        if state == "open":
            config["qrcode"], config["pairing_code"] = "", ""
    if qrcode is not None:
        config["qrcode"] = qrcode if qrcode.startswith("data:image/") else ""
    if pairing_code is not None:
        config["pairing_code"] = pairing_code
    if profile_name:
        config["profile_name"] = profile_name
    channel.provider_config = config
    if phone_number and e164(phone_number):
        channel.phone_number = e164(phone_number)
    channel.save(update_fields=["provider_config", "phone_number", "updated_at"])
    return channel


@transaction.atomic
def mark_reauthorization_required(channel: WhatsappChannel) -> None:
    """The provider refused the token (code 190 / 401): the settings page asks for a new one."""
    WhatsappChannel.objects.filter(pk=channel.pk).update(reauthorization_required=True)


# --- The raw-event inbox ----------------------------------------------------------------------

def record_event(provider: str, body: bytes, *, channel: WhatsappChannel | None, event: str = "",
                 status: int = ReceivedEvent.Status.PENDING, error: str = "") -> ReceivedEvent:
    """Store a webhook delivery as it came; pending ones are processed by a task queued after commit."""
    row = ReceivedEvent.objects.create(channel=channel, provider=provider, event=event[:64], status=status,
                                       body=body.decode("utf-8", errors="replace"), error=error)
    if status == ReceivedEvent.Status.PENDING:
        from inboxes.providers.whatsapp.queueing import wake_event_processing

        transaction.on_commit(lambda: wake_event_processing(row.pk), robust=True)
    return row


# --- Contacts and conversations of inbound messages --------------------------------------------

def _fill_name(contact: Contact, name: str) -> Contact:
    if name and not contact.name:
        contact = contact_actions.update_contact(contact, actor=None, name=name[:255])
    return contact


@transaction.atomic
def contact_inbox_for_phone(channel: WhatsappChannel, phone: str, *, name: str = "") -> ContactInbox:
    """The contact's identity in the inbox, matched by E.164 phone (a Brazilian mobile with or without its
    ninth digit is the same person); created once, even when two workers race."""
    variants = phone_variants(phone)
    if not variants:
        raise DomainError(_("Enter the phone in international format, e.g. +5511912345678."), field="phone")
    inbox = channel.inbox
    source_ids = [v[1:] for v in variants]
    found = ContactInbox.objects.filter(inbox=inbox, source_id__in=source_ids).select_related("contact").first()
    if found:
        found.contact = _fill_name(found.contact, name)
        return found
    contact = Contact.objects.filter(account_id=inbox.account_id, phone_number__in=variants).order_by("id").first()
    if contact is None:
        try:
            # Stored in one canonical form (the longest: a Brazilian mobile with its ninth digit), so two
            # workers creating the same person from both forms collide on the unique phone.
            contact = contact_actions.create_contact(inbox.account, actor=None, name=name[:255],
                                                     phone_number=max(variants, key=len))
        except DomainError:  # another worker created it a moment ago
            contact = Contact.objects.get(account_id=inbox.account_id, phone_number__in=variants)
    contact = _fill_name(contact, name)
    return _identity(contact, inbox, source_ids[0])


@transaction.atomic
def contact_inbox_for_identifier(channel: WhatsappChannel, identifier: str, *, name: str = "") -> ContactInbox:
    """A contact known by an identifier (a group JID, a hidden-number LID), not by phone."""
    inbox = channel.inbox
    found = ContactInbox.objects.filter(inbox=inbox, source_id=identifier).select_related("contact").first()
    if found:
        return found
    contact = Contact.objects.filter(account_id=inbox.account_id, identifier=identifier).first()
    if contact is None:
        try:
            contact = contact_actions.create_contact(inbox.account, actor=None, name=name[:255],
                                                     identifier=identifier)
        except DomainError:
            contact = Contact.objects.get(account_id=inbox.account_id, identifier=identifier)
    return _identity(contact, inbox, identifier)


def _identity(contact: Contact, inbox: Inbox, source_id: str) -> ContactInbox:
    try:
        with transaction.atomic():
            return ContactInbox.objects.create(contact=contact, inbox=inbox, source_id=source_id)
    except IntegrityError:
        return ContactInbox.objects.select_related("contact").get(inbox=inbox, source_id=source_id)


@transaction.atomic
def conversation_for(contact_inbox: ContactInbox) -> Conversation:
    """Where an inbound message lands (chatwoot-compat §3): with lock_to_single_conversation the contact's last
    conversation in the inbox, else the last unresolved one, else a new one. The contact row is locked (until
    the caller's transaction ends) so two simultaneous first messages start one conversation."""
    Contact.objects.select_for_update().filter(pk=contact_inbox.contact_id).first()
    inbox = contact_inbox.inbox
    candidates = Conversation.objects.filter(inbox=inbox, contact_id=contact_inbox.contact_id).order_by("-id")
    if not inbox.lock_to_single_conversation:
        candidates = candidates.exclude(status=Conversation.Status.RESOLVED)
    conversation = candidates.first()
    if conversation is None:
        conversation = conversation_actions.create_conversation(inbox, contact=contact_inbox.contact,
                                                                contact_inbox=contact_inbox)
    return conversation


def message_exists(channel: WhatsappChannel, source_id: str) -> bool:
    return Message.objects.filter(inbox_id=channel.inbox_id, source_id=source_id).exists()


@transaction.atomic
def receive_whatsapp_message(channel: WhatsappChannel, contact_inbox: ContactInbox, *, source_id: str,
                             content: str = "", attachments=(), content_attributes: dict | None = None,
                             additional_attributes: dict | None = None) -> Message:
    """Store one inbound message once per provider id, in the conversation the lifecycle rules pick."""
    conversation = conversation_for(contact_inbox)
    attrs = dict(content_attributes or {})
    reply_to = attrs.get("in_reply_to_external_id")
    if reply_to:
        original = Message.objects.filter(inbox_id=channel.inbox_id, source_id=reply_to).values_list(
            "pk", flat=True).first()
        if original:
            attrs["in_reply_to"] = original
    message = conversation_actions.receive_message(conversation, sender=contact_inbox.contact, content=content,
                                                   source_id=source_id, attachments=attachments,
                                                   content_attributes=attrs)
    if additional_attributes and not message.additional_attributes:
        Message.objects.filter(pk=message.pk).update(additional_attributes=additional_attributes)
    return message


@transaction.atomic
def record_sent_from_phone(channel: WhatsappChannel, contact_inbox: ContactInbox, *, source_id: str,
                           content: str = "", attachments=()) -> Message | None:
    """A message the business sent from the phone itself (Evolution fromMe): shown as outgoing, not re-sent."""
    if message_exists(channel, source_id):
        return None
    conversation = conversation_for(contact_inbox)
    try:
        with transaction.atomic():
            return conversation_actions.send_reply(conversation, actor=None, content=content or "",
                                                   attachments=attachments, source_id=source_id)
    except IntegrityError:  # the same echo raced in through another worker
        return None
    except DomainError:  # nothing to show (an empty echo)
        return None


# --- Delivery statuses ------------------------------------------------------------------------

@transaction.atomic
def apply_delivery_status(channel: WhatsappChannel, source_id: str, status: int,
                          external_error: str = "") -> Message | None:
    """Apply a sent/delivered/read/failed receipt (never backwards); park it when the message id is not known
    yet (the send call has not returned), to be applied by `store_sent_id`."""
    message = Message.objects.filter(inbox_id=channel.inbox_id, source_id=source_id).first()
    if message is None:
        ParkedStatus.objects.create(channel=channel, source_id=source_id, status=status,
                                    external_error=external_error)
        return None
    return conversation_actions.update_message_status(message, status=status, external_error=external_error)


@transaction.atomic
def store_sent_id(message: Message, channel: WhatsappChannel, source_id: str, *, extra_ids=()) -> Message:
    """Record the provider's id of a message just sent, then apply receipts that arrived before it."""
    Message.objects.filter(pk=message.pk).update(
        source_id=source_id, external_source_ids={**message.external_source_ids, "whatsapp": [source_id, *extra_ids]})
    message.source_id = source_id
    parked = list(ParkedStatus.objects.filter(channel=channel, source_id__in=[source_id, *extra_ids])
                  .order_by("id"))
    for row in parked:
        if row.source_id == source_id:
            conversation_actions.update_message_status(message, status=row.status,
                                                       external_error=row.external_error)
    ParkedStatus.objects.filter(pk__in=[row.pk for row in parked]).delete()
    return message


@transaction.atomic
def record_send_progress(message: Message, parts: dict) -> None:
    """Remember which parts of a multi-part send went out, so a retry does not send them twice."""
    Message.objects.filter(pk=message.pk).update(
        external_source_ids={**message.external_source_ids, "whatsapp_parts": parts})
    message.external_source_ids = {**message.external_source_ids, "whatsapp_parts": parts}


@transaction.atomic
def fail_outgoing_message(message: Message, text: str) -> Message:
    """Mark an outgoing message failed with the reason shown to the agent."""
    return conversation_actions.update_message_status(message, status=Message.Status.FAILED, external_error=text)


# --- Templates --------------------------------------------------------------------------------

@transaction.atomic
def replace_templates(channel: WhatsappChannel, items: list[dict]) -> int:
    """Store the business account's templates as just fetched (removed ones disappear)."""
    keep = []
    for item in items:
        name, language = str(item.get("name") or ""), str(item.get("language") or "")
        if not name or not language:
            continue
        row, _created = MessageTemplate.objects.update_or_create(
            channel=channel, name=name[:512], language=language[:16],
            defaults={"status": str(item.get("status") or "")[:32], "category": str(item.get("category") or "")[:32],
                      "components": item.get("components") or [], "external_id": str(item.get("id") or "")[:64]})
        keep.append(row.pk)
    MessageTemplate.objects.filter(channel=channel).exclude(pk__in=keep).delete()
    WhatsappChannel.objects.filter(pk=channel.pk).update(message_templates_last_updated=timezone.now())
    return len(keep)


def render_template_text(template: MessageTemplate, params: list[str]) -> str:
    """The template body with {{1}}, {{2}}… replaced, as the agent and the API will see it."""
    import re

    values = {str(i + 1): p for i, p in enumerate(params)}
    return re.sub(r"\{\{\s*(\w+)\s*\}\}", lambda m: values.get(m.group(1), m.group(0)), template.body_text)


@transaction.atomic
def send_template(conversation: Conversation, *, actor, template: MessageTemplate, params: list[str]) -> Message:
    """Send an approved template (the only thing allowed outside the 24-hour window) with its parameters."""
    if template.channel.inbox_id != conversation.inbox_id or not template.is_approved:
        raise DomainError(_("Choose an approved template of this inbox."), field="template")
    params = [str(p or "").strip() for p in params]
    if len(params) != template.body_parameter_count or not all(params):
        raise DomainError(_("Fill in every template parameter."), field="params")
    message = conversation_actions.send_reply(conversation, actor=actor,
                                              content=render_template_text(template, params))
    template_params = {"name": template.name, "category": template.category, "language": template.language,
                       "processed_params": {str(i + 1): p for i, p in enumerate(params)}}
    Message.objects.filter(pk=message.pk).update(
        additional_attributes={**message.additional_attributes, "template_params": template_params})
    message.additional_attributes = {**message.additional_attributes, "template_params": template_params}
    audit(conversation.account_id, actor, "template_sent", conversation, {"template": template.name})
    return message


def recipient_number(conversation: Conversation) -> str:
    """The digits (or group JID) to send to: the contact inbox's source id, else the contact's phone."""
    contact_inbox = conversation.contact_inbox
    if contact_inbox and contact_inbox.source_id and (contact_inbox.source_id.isdigit()
                                                      or "@" in contact_inbox.source_id):
        return contact_inbox.source_id
    return digits(conversation.contact.phone_number)
