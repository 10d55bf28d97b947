"""Sending an outgoing message through the channel's provider (called by the Celery task, never in a request).

Text goes as WhatsApp markup (converted from the agent's Markdown); each attachment is one media message, the
text riding as the first one's caption when the type allows; replies carry the quoted provider id; a message
with `template_params` goes as a template. A retry skips the parts already sent (external_source_ids).
"""

import mimetypes

from django.utils.translation import override

from conversations.models import Attachment, Message
from inboxes.providers.whatsapp import actions, queries
from inboxes.providers.whatsapp.cloud import CloudClient, ProviderError
from inboxes.providers.whatsapp.evolution import MEDIA_TYPES, EvolutionClient
from inboxes.providers.whatsapp.formatting import markdown_to_whatsapp

FileType = Attachment.FileType
CLOUD_MEDIA = {FileType.IMAGE: "image", FileType.AUDIO: "audio", FileType.VIDEO: "video"}
NO_CAPTION = {"audio", "sticker"}


def load(message_id: int) -> Message | None:
    return (Message.objects.select_related("conversation__contact", "conversation__contact_inbox",
                                           "conversation__account", "inbox__whatsapp_channel")
            .filter(pk=message_id).first())


def send_message(message_id: int) -> str:
    """Send the message unless it already went out or failed; raises ProviderError for the task to judge."""
    message = load(message_id)
    if message is None or message.source_id or message.status == Message.Status.FAILED or message.private:
        return "skipped"
    channel = message.inbox.whatsapp_channel
    parts = _parts(message)
    done = dict(message.external_source_ids.get("whatsapp_parts") or {})
    if channel.is_cloud and not message.additional_attributes.get("template_params") and \
            not queries.window_open(message.conversation):
        raise ProviderError("window closed", code=131047, retryable=False)
    sender = _cloud_part if channel.is_cloud else _evolution_part
    for index, part in enumerate(parts):
        if str(index) in done:
            continue
        done[str(index)] = sender(channel, message, part)
        if len(parts) > 1:
            actions.record_send_progress(message, done)
    ids = [done[str(i)] for i in range(len(parts))]
    actions.store_sent_id(message, channel, ids[0], extra_ids=ids[1:])
    return "sent"


def fail(message_id: int, error: ProviderError) -> None:
    """Mark the message failed with the provider's explanation, in the account's language."""
    message = load(message_id)
    if message is None:
        return
    if error.code == 190 or error.http_status == 401:
        actions.mark_reauthorization_required(message.inbox.whatsapp_channel)
    with override(message.conversation.account.locale or "pt-br"):
        text = error.agent_text
    actions.fail_outgoing_message(message, text)


def _parts(message: Message) -> list[dict]:
    """What to send, in order: [{text}] and/or [{attachment, caption}]."""
    text = markdown_to_whatsapp(message.content or "")
    template = message.additional_attributes.get("template_params")
    if template:
        return [{"template": template}]
    files = [a for a in message.attachments.all().order_by("id") if a.file]
    if not files:
        return [{"text": text}]
    parts = []
    first_kind = _cloud_kind(files[0])
    if text and first_kind in NO_CAPTION:
        parts.append({"text": text})
        text = ""
    for attachment in files:
        parts.append({"attachment": attachment, "caption": text})
        text = ""
    return parts


def _cloud_kind(attachment: Attachment) -> str:
    return CLOUD_MEDIA.get(attachment.file_type, "document")


def _reply_context(message: Message) -> str | None:
    """The provider id of the message this one replies to (content_attributes.in_reply_to)."""
    attrs = message.content_attributes or {}
    if attrs.get("in_reply_to_external_id"):
        return attrs["in_reply_to_external_id"]
    if attrs.get("in_reply_to"):
        return Message.objects.filter(pk=attrs["in_reply_to"], inbox_id=message.inbox_id).values_list(
            "source_id", flat=True).first()
    return None


def _read(attachment: Attachment) -> bytes:
    with attachment.file.open("rb") as handle:
        return handle.read()


def _mime(attachment: Attachment) -> str:
    return attachment.content_type or mimetypes.guess_type(attachment.file_name)[0] or "application/octet-stream"


def _cloud_part(channel, message: Message, part: dict) -> str:
    client = CloudClient(channel)
    payload = {"recipient_type": "individual", "to": actions.recipient_number(message.conversation)}
    context = _reply_context(message)
    if context:
        payload["context"] = {"message_id": context}
    if "template" in part:
        template = part["template"]
        params = [{"type": "text", "text": value}
                  for _key, value in sorted((template.get("processed_params") or {}).items(),
                                            key=lambda kv: int(kv[0]) if str(kv[0]).isdigit() else 0)]
        payload.update(type="template", template={
            "name": template["name"], "language": {"code": template["language"], "policy": "deterministic"},
            "components": [{"type": "body", "parameters": params}] if params else []})
    elif "text" in part:
        payload.update(type="text", text={"body": part["text"], "preview_url": False})
    else:
        attachment, kind = part["attachment"], _cloud_kind(part["attachment"])
        media_id = client.upload_media(_read(attachment), _mime(attachment), attachment.file_name or "file")
        media = {"id": media_id}
        if part["caption"] and kind not in NO_CAPTION:
            media["caption"] = part["caption"]
        if kind == "document":
            media["filename"] = attachment.file_name or "file"
        payload.update(type=kind, **{kind: media})
    return client.send(payload)


def _evolution_part(channel, message: Message, part: dict) -> str:
    client = EvolutionClient(channel)
    number = actions.recipient_number(message.conversation)
    if "text" in part:
        return client.send_text(number, part["text"], quoted_id=_reply_context(message))
    if "template" in part:  # Evolution has no templates: the rendered text goes as plain text
        return client.send_text(number, markdown_to_whatsapp(message.content))
    attachment = part["attachment"]
    return client.send_media(number, media_type=MEDIA_TYPES.get(attachment.file_type, "document"),
                             mime_type=_mime(attachment), data=_read(attachment),
                             file_name=attachment.file_name or "file", caption=part["caption"])
