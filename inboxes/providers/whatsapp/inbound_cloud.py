"""Cloud API webhook payloads → messages and receipts (channels.md §1).

Every entry, change, message and status of a batched delivery is handled, each on its own: one bad item is
logged and skipped and the others still land. Media are downloaded (two-step flow) before the event's
transaction opens (`media_to_fetch` / `fetch_media`, called by tasks.process_event), so a slow media server
holds no row lock and no transaction.
"""

import logging
import mimetypes
import re
import uuid

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _
from django.utils.translation import override

from conversations.models import Attachment, Message
from inboxes.providers.whatsapp import actions, queries
from inboxes.providers.whatsapp.cloud import ERROR_TEXT, CloudClient, MediaTooLarge, ProviderError
from inboxes.providers.whatsapp.formatting import whatsapp_to_markdown
from inboxes.providers.whatsapp.models import WhatsappChannel

log = logging.getLogger(__name__)
FileType = Attachment.FileType
STATUSES = {"sent": Message.Status.SENT, "delivered": Message.Status.DELIVERED, "read": Message.Status.READ,
            "failed": Message.Status.FAILED}
MEDIA_TYPES = {"image": FileType.IMAGE, "sticker": FileType.IMAGE, "audio": FileType.AUDIO,
               "video": FileType.VIDEO, "document": FileType.FILE}
SKIPPED_TYPES = {"ephemeral", "request_welcome", "system"}
# The biz_opaque_callback_data of our sends (outbound._cloud_part), echoed in their status webhooks.
CALLBACK_DATA = re.compile(r"autonomia:([0-9]{1,18}):([0-9]{1,4})")


class RetryLater(Exception):
    """A temporary failure (media server down): the event is kept and processed again later."""


def changes_of(payload: dict):
    """(value dict) for every change of every entry; raises ValueError when the envelope is not Meta's."""
    if not isinstance(payload, dict) or not isinstance(payload.get("entry"), list):
        raise ValueError("not a WhatsApp Business Account payload")
    for entry in payload["entry"]:
        for change in (entry.get("changes") if isinstance(entry, dict) else None) or []:
            if isinstance(change, dict) and isinstance(change.get("value"), dict):
                yield change["value"]


def phone_number_ids(payload: dict) -> set[str]:
    return {str((value.get("metadata") or {}).get("phone_number_id") or "") for value in changes_of(payload)} - {""}


def _routed(payload: dict, known: WhatsappChannel | None) -> list[tuple[WhatsappChannel | None, dict]]:
    """(channel, change value) pairs; `known` (the webhook URL's channel, with inbox and account) routes a
    delivery that names only its phone_number_id, the usual case, without reading the channels again."""
    values = list(changes_of(payload))
    wanted = {str((v.get("metadata") or {}).get("phone_number_id") or "") for v in values}
    if known is not None and known.phone_number_id and wanted == {known.phone_number_id}:
        channels = {known.phone_number_id: known}
    else:
        channels = queries.cloud_channels_by_phone_number_id(wanted)
    return [(channels.get(str((v.get("metadata") or {}).get("phone_number_id") or "")), v) for v in values]


def process(payload: dict, known: WhatsappChannel | None = None, media: dict | None = None) -> list[str]:
    """Handle a whole delivery; returns the errors of the items that failed (empty when all went in).

    `media`: what `fetch_media` downloaded for it (media id → attachment and note); media not in it are
    downloaded here."""
    errors, retry = [], False
    for channel, value in _routed(payload, known):
        if channel is None:
            errors.append("unknown phone_number_id %s" % (value.get("metadata") or {}).get("phone_number_id"))
            continue
        names = {c.get("wa_id"): (c.get("profile") or {}).get("name", "") for c in value.get("contacts") or []
                 if isinstance(c, dict)}
        for item in value.get("messages") or []:
            retry |= _safely(errors, _message, channel, item, names, media or {})
        for item in value.get("statuses") or []:
            retry |= _safely(errors, _status, channel, item)
    if retry:
        raise RetryLater("; ".join(errors))
    return errors


def media_to_fetch(payload: dict, known: WhatsappChannel | None = None) -> list[tuple[WhatsappChannel, str, dict]]:
    """(channel, kind, media object) of the delivery's media messages that are not stored yet."""
    wanted = []
    for channel, value in _routed(payload, known):
        for item in (value.get("messages") or []) if channel is not None else []:
            kind = item.get("type") if isinstance(item, dict) else None
            if (kind in MEDIA_TYPES and isinstance(item.get(kind), dict) and item.get("id")
                    and not actions.message_exists(channel, item["id"])):
                wanted.append((channel, kind, item[kind]))
    return wanted


def fetch_media(wanted: list[tuple[WhatsappChannel, str, dict]]) -> dict[str, tuple[dict | None, str]]:
    """Download `media_to_fetch`'s media, outside any transaction: media id → (attachment fields, note).
    Raises RetryLater when a download failed for a temporary reason (the event is retried later)."""
    fetched = {}
    for channel, kind, body in wanted:
        with override(channel.inbox.account.locale or "pt-br"):
            fetched[str(body.get("id"))] = _media(channel, kind, body)
    return fetched


def _safely(errors: list, handler, *args) -> bool:
    """Run one item's handler in its own savepoint; record its error. True when the failure is temporary."""
    try:
        with transaction.atomic():
            handler(*args)
    except RetryLater as error:
        errors.append(str(error))
        return True
    except Exception as error:  # noqa: BLE001 (a bad item must not stop the good ones)
        log.exception("WhatsApp item skipped: %s", args[1] if len(args) > 1 else "")
        errors.append(f"{type(error).__name__}: {error}")
    return False


def _status(channel: WhatsappChannel, item: dict) -> None:
    status = STATUSES.get(item.get("status"))
    if status is None or not item.get("id"):
        return
    error = ""
    if status == Message.Status.FAILED:
        first = (item.get("errors") or [{}])[0]
        code = first.get("code")
        with override(channel.inbox.account.locale or "pt-br"):
            explanation = ERROR_TEXT.get(code) or first.get("title") or first.get("message") or _("Unknown error")
            error = f"{code}: {explanation}" if code is not None else str(explanation)
    actions.apply_delivery_status(channel, str(item["id"]), status, error, sent_as=_sent_as(item))


def _sent_as(item: dict) -> tuple[int, int] | None:
    """(message id, part) named by a status's callback data; the action checks it is this channel's send."""
    match = CALLBACK_DATA.fullmatch(str(item.get("biz_opaque_callback_data") or ""))
    return (int(match[1]), int(match[2])) if match else None


def _message(channel: WhatsappChannel, item: dict, names: dict, media: dict) -> None:
    kind, source_id = item.get("type"), item.get("id")
    if not source_id or kind in SKIPPED_TYPES:
        return
    if actions.message_exists(channel, source_id):  # a redelivery: nothing to download or store
        return
    phone = item.get("from") or ""
    content, attachments, attrs = _content(channel, kind, item, media)
    if kind == "reaction" and not content:
        return  # a reaction removed
    if (item.get("context") or {}).get("id"):
        attrs["in_reply_to_external_id"] = item["context"]["id"]
    attrs["external_created_at"] = item.get("timestamp")
    contact_inbox = actions.contact_inbox_for_phone(channel, phone, name=names.get(phone, ""))
    actions.receive_whatsapp_message(channel, contact_inbox, source_id=source_id, content=content,
                                     attachments=attachments, content_attributes=attrs)


def _content(channel: WhatsappChannel, kind: str, item: dict, media: dict) -> tuple[str, list[dict], dict]:
    """(Markdown content, Attachment field dicts, content_attributes) of one message."""
    body = item.get(kind) if isinstance(item.get(kind), dict) else {}
    with override(channel.inbox.account.locale or "pt-br"):
        if kind == "text":
            return whatsapp_to_markdown(body.get("body", "")), [], {}
        if kind in MEDIA_TYPES:
            caption = whatsapp_to_markdown(body.get("caption", ""))
            attachment, note = media.get(str(body.get("id"))) or _media(channel, kind, body)
            content = "\n\n".join(t for t in (caption, note) if t)
            return content, [attachment] if attachment else [], ({"is_voice": True} if body.get("voice") else {})
        if kind == "location":
            return _location(body)
        if kind == "contacts":
            return _contacts(item.get("contacts") or [])
        if kind == "interactive":
            reply = body.get("button_reply") or body.get("list_reply") or {}
            return reply.get("title", ""), [], {"submitted_values": [{"id": reply.get("id"),
                                                                      "title": reply.get("title")}]}
        if kind == "button":
            return body.get("text", ""), [], {"submitted_values": [{"payload": body.get("payload"),
                                                                    "title": body.get("text")}]}
        if kind == "reaction":
            return body.get("emoji", ""), [], {"is_reaction": True,
                                               "in_reply_to_external_id": body.get("message_id")}
        return _("This message type is not supported."), [], {"is_unsupported": True}


def _media(channel: WhatsappChannel, kind: str, body: dict) -> tuple[dict | None, str]:
    """Download through the two-step flow → (attachment fields, note for the agent when it could not be)."""
    limit = settings.WHATSAPP_MEDIA_MAX_BYTES
    mime = body.get("mime_type") or "application/octet-stream"
    name = body.get("filename") or f"{kind}{mimetypes.guess_extension(mime.split(';')[0]) or ''}"
    try:
        data, info = CloudClient(channel).download_media(str(body.get("id")), limit)
    except MediaTooLarge:
        note = _("Media too large (over %(limit)s): not downloaded.") % {"limit": filesizeformat(limit)}
        return {"file_type": FileType.FALLBACK, "fallback_title": note, "file_name": name,
                "meta": {"error": "media_too_large", "media_id": body.get("id")}}, f"_{note}_"
    except ProviderError as error:
        if error.code == 190 or error.http_status == 401:
            actions.mark_reauthorization_required(channel)
        if error.retryable:
            raise RetryLater(f"media {body.get('id')}: {error}") from error
        note = _("The media could not be downloaded from WhatsApp.")
        return {"file_type": FileType.FALLBACK, "fallback_title": note, "file_name": name,
                "meta": {"error": str(error), "media_id": body.get("id")}}, f"_{note}_"
    extension = (name.rsplit(".", 1)[-1].lower() if "." in name else "")[:16]
    stored = ContentFile(data, name=f"{uuid.uuid4().hex}.{extension or 'bin'}")
    return {"file_type": MEDIA_TYPES[kind], "file": stored, "file_name": name[:255],
            "content_type": (info.get("mime_type") or mime)[:100], "file_size": len(data), "extension": extension,
            "meta": {"media_id": body.get("id"), "sticker": kind == "sticker"}}, ""


def _location(body: dict) -> tuple[str, list[dict], dict]:
    lat, long = body.get("latitude"), body.get("longitude")
    title = " — ".join(t for t in (body.get("name"), body.get("address")) if t) or _("Location")
    attachment = {"file_type": FileType.LOCATION, "coordinates_lat": lat, "coordinates_long": long,
                  "fallback_title": title[:255],
                  "external_url": f"https://www.google.com/maps?q={lat},{long}" if lat is not None else ""}
    return title, [attachment], {}


def _contacts(cards: list) -> tuple[str, list[dict], dict]:
    lines, attachments = [], []
    for card in cards:
        name = (card.get("name") or {}).get("formatted_name", "")
        phones = [p.get("phone") or p.get("wa_id") for p in card.get("phones") or [] if p.get("phone") or p.get("wa_id")]
        lines.append(" ".join([name, *phones]).strip())
        attachments.append({"file_type": FileType.CONTACT, "fallback_title": name[:255], "meta": {"phones": phones}})
    return "\n".join(lines), attachments, {}
