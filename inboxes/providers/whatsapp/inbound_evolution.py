"""Evolution API webhook events → messages, receipts and connection state (channels.md §2.2).

messages.upsert: text, extended text, image, audio, video, document, sticker, location; `fromMe` ones were
sent from the phone and appear as outgoing. Groups (…@g.us) are conversations of their own, each message
prefixed with the participant's name (as Evolution's Chatwoot bridge does). messages.update: receipts.
"""

import base64
import binascii
import logging
import mimetypes
import time
import uuid

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _
from django.utils.translation import override

from conversations.models import Attachment, Message
from inboxes.providers.whatsapp import actions
from inboxes.providers.whatsapp.cloud import ProviderError
from inboxes.providers.whatsapp.evolution import EvolutionClient
from inboxes.providers.whatsapp.formatting import e164, whatsapp_to_markdown
from inboxes.providers.whatsapp.inbound_cloud import RetryLater
from inboxes.providers.whatsapp.models import WhatsappChannel

log = logging.getLogger(__name__)
FileType = Attachment.FileType
RECEIPTS = {"SERVER_ACK": Message.Status.SENT, "DELIVERY_ACK": Message.Status.DELIVERED,
            "READ": Message.Status.READ, "PLAYED": Message.Status.READ, "ERROR": Message.Status.FAILED,
            2: Message.Status.SENT, 3: Message.Status.DELIVERED, 4: Message.Status.READ, 5: Message.Status.READ,
            0: Message.Status.FAILED}
MEDIA = {"imageMessage": FileType.IMAGE, "stickerMessage": FileType.IMAGE, "audioMessage": FileType.AUDIO,
         "videoMessage": FileType.VIDEO, "documentMessage": FileType.FILE, "ptvMessage": FileType.VIDEO}
WRAPPERS = ("ephemeralMessage", "viewOnceMessage", "viewOnceMessageV2", "viewOnceMessageV2Extension",
            "documentWithCaptionMessage", "editedMessage")


def process(channel: WhatsappChannel, payload: dict, media: dict | None = None) -> list[str]:
    """Handle one event; returns the errors of skipped items. `media`: what `fetch_media` got for it."""
    if not isinstance(payload, dict) or not isinstance(payload.get("event"), str):
        raise ValueError("not an Evolution API event")
    event = payload["event"].lower().replace("_", ".")
    data = payload.get("data")
    items = data if isinstance(data, list) else [data]
    errors, retry = [], False
    for item in items:
        if not isinstance(item, dict):
            continue
        try:
            with transaction.atomic():  # one item's savepoint: a failure undoes only its own writes
                _item(channel, event, item, media or {})
        except RetryLater as error:
            errors.append(str(error))
            retry = True
        except Exception as error:  # noqa: BLE001 (one bad item must not stop the others)
            log.exception("Evolution item skipped")
            errors.append(f"{type(error).__name__}: {error}")
    if retry:
        raise RetryLater("; ".join(errors))
    return errors


def media_to_fetch(channel: WhatsappChannel, payload: dict) -> list[str]:
    """Message ids whose media must be asked for (not in the payload's base64, not too large, not stored)."""
    if not isinstance(payload, dict) or str(payload.get("event", "")).lower().replace("_", ".") not in (
            "messages.upsert", "send.message"):
        return []
    data = payload.get("data")
    wanted = []
    for item in data if isinstance(data, list) else [data]:
        if not isinstance(item, dict):
            continue
        source_id = (item.get("key") or {}).get("id")
        message = _unwrap(item.get("message") or {})
        media = next((message[k] for k in MEDIA if isinstance(message.get(k), dict)), None)
        if (source_id and media is not None and not (message.get("base64") or item.get("base64"))
                and int(media.get("fileLength") or 0) <= settings.WHATSAPP_MEDIA_MAX_BYTES
                and not actions.message_exists(channel, source_id)):
            wanted.append(str(source_id))
    return wanted


def fetch_media(channel: WhatsappChannel, source_ids: list[str]) -> dict[str, str | None]:
    """Ask Evolution for each message's media (getBase64FromMediaMessage) outside any transaction: id → base64,
    or None when it cannot be had. Raises RetryLater on a temporary failure (the event is retried later)."""
    fetched = {}
    for source_id in source_ids:
        try:
            fetched[source_id] = EvolutionClient(channel).media_base64(source_id).get("base64")
        except ProviderError as error:
            if error.retryable:
                raise RetryLater(f"media {source_id}: {error}") from error
            fetched[source_id] = None
    return fetched


def _item(channel: WhatsappChannel, event: str, item: dict, media: dict) -> None:
    if event in ("messages.upsert", "send.message"):
        _upsert(channel, item, media, echo_only=event == "send.message")
    elif event == "messages.update":
        _receipt(channel, item)
    elif event == "connection.update":
        actions.record_connection_state(channel, state=item.get("state") or "close",
                                        phone_number=item.get("wuid"), profile_name=item.get("profileName"))
    elif event == "qrcode.updated":
        _qrcode(channel, item)


def _qrcode(channel: WhatsappChannel, item: dict) -> None:
    qrcode = item.get("qrcode") if isinstance(item.get("qrcode"), dict) else item
    if qrcode.get("statusCode") or (qrcode.get("message") and not qrcode.get("base64")):
        actions.record_connection_state(channel, state="refused", qrcode="")
        return
    actions.record_connection_state(channel, state="connecting", qrcode=qrcode.get("base64") or "",
                                    pairing_code=qrcode.get("pairingCode") or "")


def _receipt(channel: WhatsappChannel, item: dict) -> None:
    status = RECEIPTS.get(item.get("status"))
    source_id = item.get("keyId") or (item.get("key") or {}).get("id")
    if status is None or not source_id or not item.get("fromMe", True):
        return
    actions.apply_delivery_status(channel, str(source_id), status, "" if status != Message.Status.FAILED
                                  else _("WhatsApp reported an error delivering this message."))


def _unwrap(message: dict) -> dict:
    for _depth in range(4):
        for wrapper in WRAPPERS:
            inner = message.get(wrapper)
            if isinstance(inner, dict) and isinstance(inner.get("message"), dict):
                message = {**{k: v for k, v in message.items() if k != wrapper}, **inner["message"]}
                break
        else:
            return message
    return message


def _upsert(channel: WhatsappChannel, item: dict, media: dict, *, echo_only: bool = False) -> None:
    key = item.get("key") or {}
    jid, source_id = str(key.get("remoteJid") or ""), key.get("id")
    if not source_id or not jid or jid == "status@broadcast" or jid.endswith("@broadcast"):
        return
    if actions.message_exists(channel, source_id):
        return
    message = _unwrap(item.get("message") or {})
    with override(channel.inbox.account.locale or "pt-br"):
        content, attachments = _content(channel, item, message, source_id, media)
        group = jid.endswith("@g.us")
        if group:
            contact_inbox = actions.contact_inbox_for_identifier(channel, jid, name=actions.group_placeholder(jid))
            _ask_group_name(channel, contact_inbox.contact)
        else:
            phone = e164(key.get("remoteJidAlt") if jid.endswith("@lid") else jid)
            if phone:
                contact_inbox = actions.contact_inbox_for_phone(channel, phone,
                                                                name="" if key.get("fromMe") else item.get(
                                                                    "pushName") or "")
            else:  # a hidden number (LID) without its phone
                contact_inbox = actions.contact_inbox_for_identifier(channel, jid, name=item.get("pushName") or "")
    if key.get("fromMe"):
        actions.record_sent_from_phone(channel, contact_inbox, source_id=source_id, content=content,
                                       attachments=attachments)
        return
    if echo_only:
        return
    extra = {}
    if group:
        participant = key.get("participantAlt") or key.get("participant") or ""
        name = item.get("pushName") or e164(participant) or participant
        extra = {"participant_name": name, "participant": participant}
        content = f"**{name}:**\n{content}" if content else f"**{name}:**"
    context = _context_info(message)
    attrs = {"external_created_at": item.get("messageTimestamp")}
    if context.get("stanzaId"):
        attrs["in_reply_to_external_id"] = context["stanzaId"]
    actions.receive_whatsapp_message(channel, contact_inbox, source_id=source_id, content=content,
                                     attachments=attachments, content_attributes=attrs,
                                     additional_attributes=extra)


GROUP_NAME_RETRY = 600.0  # seconds before a process asks Evolution again for a group whose name it could not get
_group_names_asked: dict[int, float] = {}  # contact id → when this process last queued the lookup


def _ask_group_name(channel: WhatsappChannel, contact) -> None:
    """A group contact whose subject was never fetched gets it from Evolution after commit, by a task (once per
    group: the subject is kept on the contact; a failed lookup is retried by a later message, at most every
    GROUP_NAME_RETRY seconds per process), so the message itself never waits for it."""
    from inboxes.providers.whatsapp.tasks import fetch_group_name_task

    if actions.GROUP_SUBJECT in (contact.additional_attributes or {}):
        return
    now = time.monotonic()
    if now - _group_names_asked.get(contact.pk, -GROUP_NAME_RETRY) < GROUP_NAME_RETRY:
        return
    _group_names_asked[contact.pk] = now
    channel_id, contact_id = channel.pk, contact.pk
    transaction.on_commit(lambda: fetch_group_name_task.delay(channel_id, contact_id), robust=True)


def _context_info(message: dict) -> dict:
    for value in message.values():
        if isinstance(value, dict) and isinstance(value.get("contextInfo"), dict):
            return value["contextInfo"]
    return {}


def _content(channel: WhatsappChannel, item: dict, message: dict, source_id: str,
             fetched: dict) -> tuple[str, list[dict]]:
    if isinstance(message.get("conversation"), str):
        return whatsapp_to_markdown(message["conversation"]), []
    if isinstance(message.get("extendedTextMessage"), dict):
        return whatsapp_to_markdown(message["extendedTextMessage"].get("text", "")), []
    location = message.get("locationMessage") or message.get("liveLocationMessage")
    if isinstance(location, dict):
        lat, long = location.get("degreesLatitude"), location.get("degreesLongitude")
        title = " — ".join(t for t in (location.get("name"), location.get("address")) if t) or _("Location")
        return title, [{"file_type": FileType.LOCATION, "coordinates_lat": lat, "coordinates_long": long,
                        "fallback_title": title[:255],
                        "external_url": f"https://www.google.com/maps?q={lat},{long}"}]
    for kind, file_type in MEDIA.items():
        media = message.get(kind)
        if isinstance(media, dict):
            caption = whatsapp_to_markdown(media.get("caption") or "")
            attachment, note = _media(channel, item, message, kind, file_type, media, source_id, fetched)
            return "\n\n".join(t for t in (caption, note) if t), [attachment]
    return _("This message type is not supported."), []


def _media(channel, item: dict, message: dict, kind: str, file_type: int, media: dict,
           source_id: str, fetched: dict) -> tuple[dict, str]:
    limit = settings.WHATSAPP_MEDIA_MAX_BYTES
    mime = (media.get("mimetype") or "application/octet-stream").split(";")[0]
    name = media.get("fileName") or f"{kind.removesuffix('Message')}{mimetypes.guess_extension(mime) or ''}"
    if int(media.get("fileLength") or 0) > limit:
        return _fallback(name, limit, "media_too_large")
    encoded = message.get("base64") or item.get("base64") or fetched.get(source_id)
    if not encoded and source_id not in fetched:
        try:
            encoded = EvolutionClient(channel).media_base64(source_id).get("base64")
        except ProviderError as error:
            if error.retryable:
                raise RetryLater(f"media {source_id}: {error}") from error
            encoded = None
    try:
        data = base64.b64decode(str(encoded or "").split(",", 1)[-1], validate=False) if encoded else b""
    except (binascii.Error, ValueError):
        data = b""
    if not data:
        note = _("The media could not be downloaded from WhatsApp.")
        return {"file_type": FileType.FALLBACK, "fallback_title": note, "file_name": name[:255],
                "meta": {"error": "unavailable"}}, f"_{note}_"
    if len(data) > limit:
        return _fallback(name, limit, "media_too_large")
    extension = (name.rsplit(".", 1)[-1].lower() if "." in name else "")[:16]
    return {"file_type": file_type, "file": ContentFile(data, name=f"{uuid.uuid4().hex}.{extension or 'bin'}"),
            "file_name": name[:255], "content_type": mime[:100], "file_size": len(data), "extension": extension,
            "meta": {"sticker": kind == "stickerMessage", "voice": bool(media.get("ptt"))}}, ""


def _fallback(name: str, limit: int, error: str) -> tuple[dict, str]:
    note = _("Media too large (over %(limit)s): not downloaded.") % {"limit": filesizeformat(limit)}
    return {"file_type": FileType.FALLBACK, "fallback_title": note, "file_name": name[:255],
            "meta": {"error": error}}, f"_{note}_"
