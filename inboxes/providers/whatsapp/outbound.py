"""Sending an outgoing message through the channel's provider (called by the Celery task, never in a request).

Text goes as WhatsApp markup (converted from the agent's Markdown); each attachment is one media message, the
text riding as the first one's caption when the type allows; replies carry the quoted provider id; a message
with `template_params` goes as a template. A retry skips the parts already sent (external_source_ids).

Each send first claims the message (actions.claim_send), so duplicate tasks never send twice, and commits
"attempt in flight" before each provider call: a call cut off before its id is stored makes the message
uncertain (shown to the agent with a "send again" button) instead of being resent blindly.
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
    """Send the message unless it already went out, failed, is uncertain or is held by another worker; raises
    ProviderError for the task to judge (the claim stays until the task fails, retries or marks it uncertain)."""
    outcome, message = actions.claim_send(message_id)
    if message is None:
        return outcome
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
        done[str(index)] = sender(channel, message, part, index)
        if len(parts) > 1:
            actions.record_send_progress(message, done)
    ids = [done[str(i)] for i in range(len(parts))]
    actions.store_sent_id(message, channel, ids[0], extra_ids=ids[1:])
    return "sent"


def fail(message_id: int, error: ProviderError) -> None:
    """Mark the message failed with the provider's explanation, in the account's language (or uncertain)."""
    message = load(message_id)
    if message is None:
        return
    if error.uncertain:
        actions.mark_send_uncertain(message)
        return
    if error.code == 190 or error.http_status == 401:
        actions.mark_reauthorization_required(message.inbox.whatsapp_channel)
    with override(message.conversation.account.locale or "pt-br"):
        text = error.agent_text
    actions.fail_outgoing_message(message, text)


def part_count(message: Message) -> int:
    """How many provider messages the send of this message is (the `<part>` of its callback data)."""
    return len(_parts(message))


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


def _cloud_part(channel, message: Message, part: dict, index: int) -> str:
    client = CloudClient(channel)
    # Echoed by Meta in this message's status webhooks: ties a receipt to our message and part.
    payload = {"recipient_type": "individual", "to": actions.recipient_number(message.conversation),
               "biz_opaque_callback_data": f"autonomia:{message.pk}:{index}"}
    context = _reply_context(message)
    if context:
        payload["context"] = {"message_id": context}
    if "template" in part:
        template = part["template"]
        payload.update(type="template", template={
            "name": template["name"], "language": {"code": template["language"], "policy": "deterministic"},
            "components": _template_components(client, message, template.get("processed_params") or {})})
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
    actions.mark_send_attempt(message)
    return client.send(payload)


def _text_parameters(values: dict) -> list[dict]:
    """Meta's text parameters: numbered ones in order, named ones with their parameter_name."""
    items = sorted(values.items(), key=lambda kv: int(kv[0])) if all(str(k).isdigit() for k in values) \
        else list(values.items())
    return [{"type": "text", "text": value} if str(key).isdigit()
            else {"type": "text", "parameter_name": key, "text": value} for key, value in items]


def _template_components(client: CloudClient, message: Message, processed: dict) -> list[dict]:
    """The `components` of a template send (channels.md §1): header (text or media), body, URL buttons.
    processed_params is Chatwoot's shape ({body, header, buttons}); the older flat {"1": …} means the body."""
    if processed and "body" not in processed and all(isinstance(v, str) for v in processed.values()):
        processed = {"body": processed}
    components = []
    header = processed.get("header") or {}
    kind = header.get("media_type")
    if kind:
        media = {"link": header["media_url"]} if header.get("media_url") else _uploaded(client, message, header)
        if kind == "document" and "filename" not in media:
            media["filename"] = header["media_url"].rsplit("/", 1)[-1].split("?")[0] or "document.pdf"
        components.append({"type": "header", "parameters": [{"type": kind, kind: media}]})
    elif header:
        components.append({"type": "header", "parameters": _text_parameters(header)})
    if processed.get("body"):
        components.append({"type": "body", "parameters": _text_parameters(processed["body"])})
    for button in processed.get("buttons") or []:
        components.append({"type": "button", "sub_type": "url", "index": str(button["index"]),
                           "parameters": [{"type": "text", "text": button["parameter"]}]})
    return components


def _uploaded(client: CloudClient, message: Message, header: dict) -> dict:
    """A header media the agent uploaded: sent to Meta's media endpoint first, then referred to by id."""
    attachment = message.attachments.get(pk=header["attachment_id"])
    media = {"id": client.upload_media(_read(attachment), _mime(attachment), attachment.file_name or "file")}
    if header["media_type"] == "document":
        media["filename"] = attachment.file_name or "file"
    return media


def _evolution_part(channel, message: Message, part: dict, index: int) -> str:
    client = EvolutionClient(channel)
    number = actions.recipient_number(message.conversation)
    if "text" in part:
        quoted = _reply_context(message)
        actions.mark_send_attempt(message)
        return client.send_text(number, part["text"], quoted_id=quoted)
    if "template" in part:  # Evolution has no templates: the rendered text goes as plain text
        actions.mark_send_attempt(message)
        return client.send_text(number, markdown_to_whatsapp(message.content))
    attachment = part["attachment"]
    data = _read(attachment)
    actions.mark_send_attempt(message)
    return client.send_media(number, media_type=MEDIA_TYPES.get(attachment.file_type, "document"),
                             mime_type=_mime(attachment), data=data, file_name=attachment.file_name or "file",
                             caption=part["caption"])
