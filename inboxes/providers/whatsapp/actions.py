"""Writes for WhatsApp channels: set-up, the raw-event inbox, contacts and conversations of inbound messages,
delivery statuses (with parking of early ones), templates and connection state.

Provider payload parsing lives in inbound_cloud.py / inbound_evolution.py and sending in outbound.py; both
call these functions, which call the conversations and contacts actions (never their models directly).
"""

import secrets

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _, gettext_lazy, override

from autonomia.actions import DomainError, audit
from contacts import actions as contact_actions
from contacts.models import Contact, ContactInbox
from conversations import actions as conversation_actions
from conversations.models import Attachment, Conversation, Message
from inboxes import actions as inbox_actions
from inboxes.models import Inbox
from inboxes.providers.whatsapp import queries
from inboxes.providers.whatsapp.formatting import digits, e164, phone_variants
from inboxes.providers.whatsapp.models import (MessageTemplate, OutgoingSend, ParkedStatus, ReceivedEvent,
                                               WhatsappChannel, fill_placeholders, placeholders)

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
    """Store what Evolution said about the instance (connection.update, qrcode.updated, connectionState).

    Emits whatsapp.connection_changed (to the account's administrators) when what the settings page shows
    changed."""
    from inboxes.providers.whatsapp import realtime

    channel = WhatsappChannel.objects.select_for_update().select_related("inbox").get(pk=channel.pk)
    shown = (dict(channel.provider_config), channel.phone_number)
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
    if (channel.provider_config, channel.phone_number) != shown:
        realtime.connection_changed(channel)
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


@transaction.atomic(savepoint=False)  # callers give each inbound item its own savepoint
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
        found.inbox = inbox  # already loaded with the channel: conversation_for reads it
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


@transaction.atomic(savepoint=False)  # callers give each inbound item its own savepoint
def contact_inbox_for_identifier(channel: WhatsappChannel, identifier: str, *, name: str = "") -> ContactInbox:
    """A contact known by an identifier (a group JID, a hidden-number LID), not by phone."""
    inbox = channel.inbox
    found = ContactInbox.objects.filter(inbox=inbox, source_id=identifier).select_related("contact").first()
    if found:
        found.inbox = inbox
        return found
    contact = Contact.objects.filter(account_id=inbox.account_id, identifier=identifier).first()
    if contact is None:
        try:
            contact = contact_actions.create_contact(inbox.account, actor=None, name=name[:255],
                                                     identifier=identifier)
        except DomainError:
            contact = Contact.objects.get(account_id=inbox.account_id, identifier=identifier)
    return _identity(contact, inbox, identifier)


GROUP_SUBJECT = "whatsapp_group_subject"  # Contact.additional_attributes key: the group's name from Evolution


def group_placeholder(jid: str) -> str:
    """The name a group contact gets until its subject is known (in the active language)."""
    return _("WhatsApp group %(id)s") % {"id": jid.split("@")[0]}


@transaction.atomic
def record_group_subject(contact: Contact, subject: str) -> Contact:
    """Keep the group's subject (from Evolution) on its contact, and make it the contact's name unless someone
    renamed the contact meanwhile (its name is no longer the placeholder or the previous subject)."""
    contact = Contact.objects.select_for_update().select_related("account").get(pk=contact.pk)
    attributes = dict(contact.additional_attributes or {})
    previous = attributes.get(GROUP_SUBJECT)
    attributes[GROUP_SUBJECT] = subject = (subject or "").strip()[:255]
    with override(contact.account.locale or "pt-br"):
        placeholder = group_placeholder(contact.identifier or "")
    fields = {"additional_attributes": attributes}
    if subject and contact.name in ("", placeholder, previous):
        fields["name"] = subject
    return contact_actions.update_contact(contact, actor=None, **fields)


def _identity(contact: Contact, inbox: Inbox, source_id: str) -> ContactInbox:
    try:
        with transaction.atomic():
            return ContactInbox.objects.create(contact=contact, inbox=inbox, source_id=source_id)
    except IntegrityError:
        return ContactInbox.objects.select_related("contact").get(inbox=inbox, source_id=source_id)


@transaction.atomic(savepoint=False)  # callers give each inbound item its own savepoint
def conversation_for(contact_inbox: ContactInbox, *, for_update: bool = False) -> Conversation:
    """Where an inbound message lands (chatwoot-compat §3): with lock_to_single_conversation the contact's last
    conversation in the inbox, else the last unresolved one, else a new one. The contact row is locked (until
    the caller's transaction ends) so two simultaneous first messages start one conversation; `for_update`
    also locks the conversation row (contact first, then conversation, as everywhere)."""
    Contact.objects.select_for_update().filter(pk=contact_inbox.contact_id).values_list("pk", flat=True).first()
    inbox = contact_inbox.inbox
    candidates = Conversation.objects.filter(inbox=inbox, contact_id=contact_inbox.contact_id).order_by("-id")
    if not inbox.lock_to_single_conversation:
        candidates = candidates.exclude(status=Conversation.Status.RESOLVED)
    if for_update:
        candidates = candidates.select_for_update(of=("self",))
    conversation = candidates.first()
    if conversation is None:  # a row this transaction inserts is its own until commit
        conversation = conversation_actions.create_conversation(inbox, contact=contact_inbox.contact,
                                                                contact_inbox=contact_inbox)
    conversation.inbox = inbox
    return conversation


def message_exists(channel: WhatsappChannel, source_id: str) -> bool:
    return Message.objects.filter(inbox_id=channel.inbox_id, source_id=source_id).exists()


@transaction.atomic(savepoint=False)  # callers give each inbound item its own savepoint
def receive_whatsapp_message(channel: WhatsappChannel, contact_inbox: ContactInbox, *, source_id: str,
                             content: str = "", attachments=(), content_attributes: dict | None = None,
                             additional_attributes: dict | None = None) -> Message:
    """Store one inbound message once per provider id, in the conversation the lifecycle rules pick.

    The inbound flows look for the provider id first (`message_exists`), so a redelivery does not even pick a
    conversation; a duplicate that slips past (two workers) is caught by the unique (inbox, source_id)."""
    conversation = conversation_for(contact_inbox, for_update=True)
    conversation.account = channel.inbox.account  # loaded with the channel (receive_message reads its locale)
    attrs = dict(content_attributes or {})
    reply_to = attrs.get("in_reply_to_external_id")
    if reply_to:
        original = Message.objects.filter(inbox_id=channel.inbox_id, source_id=reply_to).values_list(
            "pk", flat=True).first()
        if original:
            attrs["in_reply_to"] = original
    message = conversation_actions.receive_message(conversation, sender=contact_inbox.contact, content=content,
                                                   source_id=source_id, attachments=attachments,
                                                   content_attributes=attrs, locked=True)
    if additional_attributes and not message.additional_attributes:
        Message.objects.filter(pk=message.pk).update(additional_attributes=additional_attributes)
    return message


@transaction.atomic(savepoint=False)  # callers give each inbound item its own savepoint
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
                          external_error: str = "", *, sent_as: tuple[int, int] | None = None) -> Message | None:
    """Apply a sent/delivered/read/failed receipt (never backwards); park it when the message id is not known
    yet (the send call has not returned), to be applied by `store_sent_id`.

    `sent_as` = (message id, part) from the receipt's biz_opaque_callback_data: an unknown id that names one of
    this channel's sends is adopted (`reconcile_sent_message`), so an interrupted send is known to have gone out."""
    message = Message.objects.filter(inbox_id=channel.inbox_id, source_id=source_id).first()
    if message is None and sent_as is not None:
        message = reconcile_sent_message(channel, *sent_as, source_id=source_id)
        if message is not None and message.source_id != source_id:
            # Another part's id: only the first part's receipts move the message (as in store_sent_id), and
            # they wait, parked, while the other parts' ids are not all known.
            if not message.source_id and sent_as[1] == 0:
                ParkedStatus.objects.create(channel=channel, source_id=source_id, status=status,
                                            external_error=external_error)
            return message
    if message is None:
        ParkedStatus.objects.create(channel=channel, source_id=source_id, status=status,
                                    external_error=external_error)
        return None
    return conversation_actions.update_message_status(message, status=status, external_error=external_error)


@transaction.atomic
def reconcile_sent_message(channel: WhatsappChannel, message_id: int, part: int, *, source_id: str) -> Message | None:
    """Adopt the provider id that a receipt's callback data ties to part `part` of one of this channel's sends
    whose id was never stored (worker killed, reply lost): it went out, so the uncertain state ends, never
    resent. None when the data names no such send (another inbox's message, a part known by another id)."""
    from automations import webhooks
    from conversations import realtime as conversation_realtime
    from inboxes.providers.whatsapp.outbound import part_count
    from inboxes.providers.whatsapp.tasks import enqueue_outgoing

    message = (Message.objects.select_for_update(of=("self",))
               .select_related("conversation__account", "inbox__whatsapp_channel")
               .filter(pk=message_id, inbox_id=channel.inbox_id, message_type__in=(Message.MessageType.OUTGOING, Message.MessageType.TEMPLATE),
                       private=False).first())
    if message is None:
        return None
    if message.source_id:  # already stored: a receipt of one of its other parts, else not ours
        ids = message.external_source_ids.get("whatsapp") or []
        return message if part < len(ids) and ids[part] == source_id else None
    row = OutgoingSend.objects.select_for_update().filter(pk=message.pk).first()
    if row is None or (message.status == Message.Status.FAILED and row.state != SendState.UNCERTAIN):
        return None  # never claimed, or failed for good: nothing of ours went out with this id
    parts = dict(message.external_source_ids.get("whatsapp_parts") or {})
    count = part_count(message)
    if not 0 <= part < count or parts.get(str(part), source_id) != source_id:
        return None
    if str(part) in parts:
        return message  # known already: nothing new about the send
    parts[str(part)] = source_id
    complete = len(parts) == count
    # Parts go out in order, so when every part up to this one is known, the later ones were never sent.
    rest_unsent = set(parts) == {str(i) for i in range(part + 1)}
    if row.state == SendState.UNCERTAIN:
        if not (complete or rest_unsent):
            record_send_progress(message, parts)  # an earlier part is still unknown: the agent decides
            return message
        attrs = {k: v for k, v in message.content_attributes.items()  # the "Send again" offer goes with these
                 if k not in ("external_error", "whatsapp_send_uncertain")}
        Message.objects.filter(pk=message.pk).update(status=Message.Status.SENT, content_attributes=attrs)
        message.status, message.content_attributes = Message.Status.SENT, attrs
        if not complete:
            OutgoingSend.objects.filter(pk=message.pk).update(state=SendState.QUEUED, due_at=timezone.now())
            transaction.on_commit(lambda: enqueue_outgoing(message_id), robust=True)
    if complete:
        message = store_sent_id(message, channel, parts["0"], extra_ids=[parts[str(i)] for i in range(1, count)])
    else:
        record_send_progress(message, parts)  # no call in flight any more: a stale claim sends only the rest
    conversation_realtime.message_updated(message)
    webhooks.emit("message_updated", message_id=message.pk)
    return message


@transaction.atomic
def store_sent_id(message: Message, channel: WhatsappChannel, source_id: str, *, extra_ids=()) -> Message:
    """Record the provider's id of a message just sent (ending its send bookkeeping), then apply receipts that
    arrived before it."""
    OutgoingSend.objects.filter(pk=message.pk).delete()
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
    OutgoingSend.objects.filter(pk=message.pk).update(attempted_at=None)
    Message.objects.filter(pk=message.pk).update(
        external_source_ids={**message.external_source_ids, "whatsapp_parts": parts})
    message.external_source_ids = {**message.external_source_ids, "whatsapp_parts": parts}


@transaction.atomic
def fail_outgoing_message(message: Message, text: str) -> Message:
    """Mark an outgoing message failed with the reason shown to the agent."""
    OutgoingSend.objects.filter(pk=message.pk).delete()
    return conversation_actions.update_message_status(message, status=Message.Status.FAILED, external_error=text)


# --- Send bookkeeping: claims, attempts in flight, the uncertain state ---------------------------
#
# A send task claims the message (its row lock serialises duplicate tasks and the sweeper), commits
# `attempted_at` just before each provider call and clears it when the outcome is stored. Meta and Evolution
# offer no idempotency key, so a call interrupted in that window (worker killed, reply lost) is never resent
# blindly: the message is marked failed with `whatsapp_send_uncertain` and the agent decides.

SendState = OutgoingSend.State


@transaction.atomic
def claim_send(message_id: int) -> tuple[str, Message | None]:
    """Take the right to send the message: ("claimed", message), or (reason, None) when it is already sent,
    failed, held by another worker, or uncertain. A stale claim with a call in flight becomes uncertain."""
    message = (Message.objects.select_for_update(of=("self",))
               .select_related("conversation__contact", "conversation__contact_inbox", "conversation__account",
                               "inbox__whatsapp_channel").filter(pk=message_id).first())
    if message is None or message.source_id or message.private:
        return "skipped", None
    now = timezone.now()
    row = OutgoingSend.objects.filter(pk=message_id).first()
    if row and row.state == SendState.UNCERTAIN:  # (its message shows as failed) until the agent resends it
        return "uncertain", None
    if message.status == Message.Status.FAILED:
        return "skipped", None
    if row and row.state == SendState.SENDING:
        if row.claimed_at and row.claimed_at > now - queries.send_claim_stale_after():
            return "busy", None
        if row.attempted_at:  # the holder died during a provider call: it may have gone out
            _mark_uncertain(message, row)
            return "uncertain", None
    OutgoingSend.objects.update_or_create(message_id=message_id, defaults={
        "state": SendState.SENDING, "due_at": now, "claimed_at": now, "attempted_at": None})
    return "claimed", message


@transaction.atomic
def mark_send_attempt(message: Message) -> None:
    """Committed just before a provider send call: from here until its outcome is stored, a crash is uncertain."""
    now = timezone.now()
    OutgoingSend.objects.filter(pk=message.pk).update(attempted_at=now, claimed_at=now)


@transaction.atomic
def schedule_send_retry(message_id: int, due_at) -> None:
    """Release the claim after a failed call that may succeed later; the retry (or the sweeper) sends at due_at."""
    OutgoingSend.objects.filter(pk=message_id).update(state=SendState.QUEUED, due_at=due_at, claimed_at=None,
                                                      attempted_at=None)


@transaction.atomic
def mark_send_uncertain(message: Message) -> Message:
    """A provider call may have delivered the message but its id was not stored: flag it for the agent."""
    if Message.objects.select_for_update(of=("self",)).filter(pk=message.pk).exclude(source_id=None).exists():
        return message  # a receipt's callback data adopted its id meanwhile (reconcile_sent_message)
    row, _created = OutgoingSend.objects.select_for_update().get_or_create(
        message_id=message.pk, defaults={"due_at": timezone.now()})
    return _mark_uncertain(message, row)


def _mark_uncertain(message: Message, row: OutgoingSend) -> Message:
    from inboxes.providers.whatsapp.cloud import UNCERTAIN_TEXT

    OutgoingSend.objects.filter(pk=row.pk).update(state=SendState.UNCERTAIN, attempted_at=None, claimed_at=None)
    with override(message.conversation.account.locale or "pt-br"):
        text = str(UNCERTAIN_TEXT)
    message = conversation_actions.update_message_status(message, status=Message.Status.FAILED,
                                                         external_error=text)
    message.content_attributes = {**message.content_attributes, "whatsapp_send_uncertain": True}
    Message.objects.filter(pk=message.pk).update(content_attributes=message.content_attributes)
    return message


@transaction.atomic
def queue_unsent_message(message_id: int) -> None:
    """The sweeper queued a send again: its next sweep waits a minute for this task before queueing another."""
    now = timezone.now()
    if not OutgoingSend.objects.filter(pk=message_id, state=SendState.QUEUED).update(due_at=now):
        OutgoingSend.objects.bulk_create([OutgoingSend(message_id=message_id, due_at=now)], ignore_conflicts=True)


@transaction.atomic
def expire_unsent_message(message_id: int) -> None:
    """A message that could not be queued for a whole day is failed rather than sent so late."""
    message = Message.objects.select_related("conversation__account").filter(
        pk=message_id, source_id__isnull=True).first()
    if message is None:
        return
    with override(message.conversation.account.locale or "pt-br"):
        text = _("Not sent: the message could not be queued for sending within a day.")
    fail_outgoing_message(message, text)


@transaction.atomic
def resend_uncertain_message(message: Message, *, actor) -> Message:
    """The agent chose to send again a message that may not have gone out (it may reach the customer twice).

    Emits message.updated (and the message_updated webhook) like any status change."""
    from automations import webhooks
    from conversations import realtime as conversation_realtime
    from inboxes.providers.whatsapp.tasks import enqueue_outgoing

    message = Message.objects.select_for_update(of=("self",)).get(pk=message.pk)
    row = OutgoingSend.objects.filter(pk=message.pk, state=SendState.UNCERTAIN).first()
    if row is None or message.source_id:
        raise DomainError(_("This message is not waiting for a decision."))
    attrs = {k: v for k, v in message.content_attributes.items()
             if k not in ("external_error", "whatsapp_send_uncertain")}
    Message.objects.filter(pk=message.pk).update(status=Message.Status.SENT, content_attributes=attrs)
    OutgoingSend.objects.filter(pk=message.pk).update(state=SendState.QUEUED, due_at=timezone.now())
    message.status, message.content_attributes = Message.Status.SENT, attrs
    audit(message.account_id, actor, "whatsapp_resend", message)
    conversation_realtime.message_updated(message)
    webhooks.emit("message_updated", message_id=message.pk)
    message_id = message.pk
    transaction.on_commit(lambda: enqueue_outgoing(message_id), robust=True)
    return message


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


def render_template_text(template: MessageTemplate, params: list[str], *, header_params: list[str] = (),
                         button_params: dict | None = None) -> str:
    """The template as the customer sees it, in Markdown: the header in bold, the body, the footer in italics
    and the buttons (URL buttons as links with their suffix filled)."""
    body = dict(zip(template.body_parameters, params))
    lines = []
    if template.header_text:
        lines.append(f"**{fill_placeholders(template.header_text, dict(zip(template.header_parameters, header_params)))}**")
    lines.append(fill_placeholders(template.body_text, body))
    if template.footer_text:
        lines.append(f"_{template.footer_text}_")
    buttons = []
    for button in template.buttons:
        if button["type"] == "URL":
            suffix = (button_params or {}).get(button["index"], "")
            url = fill_placeholders(button["url"], {name: suffix for name in placeholders(button["url"])})
            buttons.append(f"[{button['text']}]({url})")
        elif button["text"]:
            buttons.append(button["text"])
    if buttons:
        lines.append("\n".join(buttons))
    return "\n\n".join(line for line in lines if line)


HEADER_MEDIA_MISSING = {
    "image": gettext_lazy("The template's header needs an image: upload one or enter its link."),
    "video": gettext_lazy("The template's header needs a video: upload one or enter its link."),
    "document": gettext_lazy("The template's header needs a PDF document: upload one or enter its link."),
}


def _check_template_values(template: MessageTemplate, params: list[str], header_params: list[str],
                           button_params: dict, header_media: dict | None) -> None:
    button_values = [button_params.get(b["index"], "") for b in template.url_buttons_with_parameter]
    complete = len(params) == len(template.body_parameters) and len(header_params) == len(template.header_parameters)
    if not complete or not all([*params, *header_params, *button_values]):
        raise DomainError(_("Fill in every template parameter."), field="params")
    media_type = template.header_media_type
    if media_type and not (header_media and (header_media.get("url") or header_media.get("attachment"))):
        raise DomainError(str(HEADER_MEDIA_MISSING[media_type]), field="header_media")


@transaction.atomic
def send_template(conversation: Conversation, *, actor, template: MessageTemplate, params: list[str],
                  header_params: list[str] = (), button_params: dict | None = None,
                  header_media: dict | None = None) -> Message:
    """Send an approved template (the only thing allowed outside the 24-hour window) with every parameter it
    has: header text or header media ({"url": …} or {"attachment": {Attachment fields}}), body, URL buttons'
    suffixes (by button index). The stored message shows the rendered text, the header media as its attachment."""
    if template.channel.inbox_id != conversation.inbox_id or not template.is_approved:
        raise DomainError(_("Choose an approved template of this inbox."), field="template")
    params = [str(p or "").strip() for p in params]
    header_params = [str(p or "").strip() for p in header_params]
    button_params = {int(k): str(v or "").strip() for k, v in (button_params or {}).items()}
    _check_template_values(template, params, header_params, button_params, header_media)
    media_type = template.header_media_type
    attachments = []
    if media_type:
        attachments = [header_media["attachment"] if header_media.get("attachment") else _linked_attachment(
            media_type, header_media["url"])]
    content = render_template_text(template, params, header_params=header_params, button_params=button_params)
    message = conversation_actions.send_reply(conversation, actor=actor, content=content, attachments=attachments)
    processed = {"body": dict(zip(template.body_parameters, params))}
    if template.header_parameters:
        processed["header"] = dict(zip(template.header_parameters, header_params))
    elif media_type:
        processed["header"] = {"media_type": media_type}
        if header_media.get("url"):
            processed["header"]["media_url"] = header_media["url"]
        else:
            processed["header"]["attachment_id"] = message.attachments.values_list("pk", flat=True).first()
    if template.url_buttons_with_parameter:
        processed["buttons"] = [{"type": "url", "index": b["index"], "parameter": button_params[b["index"]]}
                                for b in template.url_buttons_with_parameter]
    template_params = {"name": template.name, "category": template.category, "language": template.language,
                       "processed_params": processed}
    Message.objects.filter(pk=message.pk).update(
        additional_attributes={**message.additional_attributes, "template_params": template_params})
    message.additional_attributes = {**message.additional_attributes, "template_params": template_params}
    audit(conversation.account_id, actor, "template_sent", conversation, {"template": template.name})
    return message


def _linked_attachment(media_type: str, url: str) -> dict:
    """A header media given by its link: an attachment pointing at it (the provider fetches it)."""
    file_type = {"image": Attachment.FileType.IMAGE, "video": Attachment.FileType.VIDEO}.get(
        media_type, Attachment.FileType.FILE)
    name = url.rsplit("/", 1)[-1].split("?")[0][:255]
    return {"file_type": file_type, "external_url": url, "file_name": name, "fallback_title": name}


def recipient_number(conversation: Conversation) -> str:
    """The digits (or group JID) to send to: the contact inbox's source id, else the contact's phone."""
    contact_inbox = conversation.contact_inbox
    if contact_inbox and contact_inbox.source_id and (contact_inbox.source_id.isdigit()
                                                      or "@" in contact_inbox.source_id):
        return contact_inbox.source_id
    return digits(conversation.contact.phone_number)
