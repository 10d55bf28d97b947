"""WhatsApp channels (Cloud API and Evolution API), the raw-event inbox and the message templates."""

import re
import secrets

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from inboxes.models import Inbox


def new_token() -> str:
    return secrets.token_hex(16)


class WhatsappChannel(models.Model):
    """Chatwoot's Channel::Whatsapp: one phone number served by a provider.

    provider_config keys — cloud: phone_number_id, business_account_id, api_key (permanent token), app_secret,
    webhook_verify_token; evolution: server_url, instance_name, apikey, connection_state, qrcode, pairing_code.
    """

    class Provider(models.TextChoices):
        CLOUD = "whatsapp_cloud", _("WhatsApp Cloud API")
        EVOLUTION = "evolution", _("Evolution API")

    inbox = models.OneToOneField(Inbox, on_delete=models.CASCADE, related_name="whatsapp_channel")
    provider = models.CharField(max_length=20, choices=Provider.choices, default=Provider.CLOUD)
    phone_number = models.CharField(max_length=20, blank=True)
    provider_config = models.JSONField(default=dict, blank=True)
    # The secret part of the inbound webhook URL (and the Evolution JWT key): unguessable per channel.
    webhook_token = models.CharField(max_length=64, unique=True, default=new_token)
    # Cloud phone_number_id, copied out of provider_config so inbound routing is one indexed lookup.
    phone_number_id = models.CharField(max_length=64, blank=True, db_index=True)
    reauthorization_required = models.BooleanField(default=False)
    message_templates_last_updated = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["phone_number_id"], condition=~Q(phone_number_id=""),
                                    name="whatsapp_phone_number_id_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.get_provider_display()} {self.phone_number}"

    @property
    def is_cloud(self) -> bool:
        return self.provider == self.Provider.CLOUD

    @property
    def is_evolution(self) -> bool:
        return self.provider == self.Provider.EVOLUTION

    def config(self, key: str, default: str = "") -> str:
        return self.provider_config.get(key) or default


class ReceivedEvent(models.Model):
    """A webhook delivery exactly as it arrived: stored before anything else so nothing is lost when Redis or
    the workers are down; processed (idempotently) by a task, or by the sweeper when the task never ran."""

    class Status(models.IntegerChoices):
        PENDING = 0, _("Pending")
        PROCESSED = 1, _("Processed")
        FAILED = 2, _("Failed")
        MALFORMED = 3, _("Malformed")
        REJECTED = 4, _("Rejected")

    channel = models.ForeignKey(WhatsappChannel, null=True, blank=True, on_delete=models.CASCADE,
                                related_name="received_events")
    provider = models.CharField(max_length=20)
    event = models.CharField(max_length=64, blank=True)
    body = models.TextField()  # the raw body, decoded as UTF-8 with replacement
    status = models.IntegerField(choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)
    received_at = models.DateTimeField(auto_now_add=True)
    processed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["status", "received_at"], name="wa_event_status_received")]


class ParkedStatus(models.Model):
    """A delivery status that arrived before the send call returned its message id; applied when it does."""

    channel = models.ForeignKey(WhatsappChannel, on_delete=models.CASCADE, related_name="+")
    source_id = models.CharField(max_length=255)
    status = models.IntegerField()
    external_error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["channel", "source_id"], name="wa_parked_status_source")]


class OutgoingSend(models.Model):
    """The send bookkeeping of one outgoing message that has not gone out yet (deleted once it is sent or failed).

    A task claims the row (under the message's row lock) before sending, so duplicate tasks and the sweeper never
    send twice; `attempted_at` is committed just before each provider call and cleared once its outcome is
    stored, so a crash inside that window is known afterwards and the message is marked uncertain, not resent.
    """

    class State(models.IntegerChoices):
        QUEUED = 0, _("Queued")  # a task is queued (or a retry scheduled) to run at due_at
        SENDING = 1, _("Sending")  # a worker holds the claim since claimed_at
        UNCERTAIN = 2, _("Uncertain")  # a provider call was interrupted; the agent decides whether to resend

    message = models.OneToOneField("conversations.Message", primary_key=True, on_delete=models.CASCADE,
                                   related_name="whatsapp_send")
    state = models.IntegerField(choices=State.choices, default=State.QUEUED)
    due_at = models.DateTimeField()
    claimed_at = models.DateTimeField(null=True, blank=True)
    attempted_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        indexes = [models.Index(fields=["state", "due_at"], name="wa_outgoing_state_due")]


class MessageTemplate(models.Model):
    """An approved-or-not template of the business account, synced from Meta (Cloud API only)."""

    channel = models.ForeignKey(WhatsappChannel, on_delete=models.CASCADE, related_name="templates")
    name = models.CharField(max_length=512)
    language = models.CharField(max_length=16)
    status = models.CharField(max_length=32, blank=True)
    category = models.CharField(max_length=32, blank=True)
    components = models.JSONField(default=list, blank=True)
    external_id = models.CharField(max_length=64, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "language"]
        constraints = [models.UniqueConstraint(fields=["channel", "name", "language"],
                                               name="whatsapp_template_unique")]

    def __str__(self) -> str:
        return f"{self.name} ({self.language})"

    @property
    def is_approved(self) -> bool:
        return self.status.upper() == "APPROVED"

    def component(self, kind: str) -> dict:
        return next((c for c in self.components if str(c.get("type", "")).upper() == kind.upper()), {})

    @property
    def body_text(self) -> str:
        return self.component("BODY").get("text", "")

    @property
    def body_parameter_count(self) -> int:
        return len(self.body_parameters)

    @property
    def body_parameters(self) -> list[str]:
        return placeholders(self.body_text)

    @property
    def header_format(self) -> str:
        """TEXT, IMAGE, VIDEO, DOCUMENT or LOCATION; "" when the template has no header."""
        header = self.component("HEADER")
        return str(header.get("format") or ("TEXT" if header else "")).upper()

    @property
    def header_text(self) -> str:
        return self.component("HEADER").get("text", "") if self.header_format == "TEXT" else ""

    @property
    def header_parameters(self) -> list[str]:
        return placeholders(self.header_text)

    @property
    def header_media_type(self) -> str:
        """image, video or document when the header is a media the sender supplies."""
        return {"IMAGE": "image", "VIDEO": "video", "DOCUMENT": "document"}.get(self.header_format, "")

    @property
    def footer_text(self) -> str:
        return self.component("FOOTER").get("text", "")

    @property
    def buttons(self) -> list[dict]:
        """The buttons with their position (Meta's `index`), type (URL, QUICK_REPLY, …), text and url."""
        return [{"index": index, "type": str(b.get("type", "")).upper(), "text": b.get("text", ""),
                 "url": b.get("url", "")} for index, b in enumerate(self.component("BUTTONS").get("buttons") or [])]

    @property
    def url_buttons_with_parameter(self) -> list[dict]:
        """URL buttons whose address ends in a dynamic suffix ({{1}}) the sender fills."""
        return [b for b in self.buttons if b["type"] == "URL" and placeholders(b["url"])]


PLACEHOLDER = re.compile(r"\{\{\s*(\w+)\s*\}\}")


def placeholders(text: str) -> list[str]:
    """The {{n}} / {{name}} parameters of a template text, once each: numbered ones by number, named ones in
    order of appearance (how Meta matches the values it is sent)."""
    names = list(dict.fromkeys(PLACEHOLDER.findall(text or "")))
    return sorted(names, key=int) if all(n.isdigit() for n in names) else names


def fill_placeholders(text: str, values: dict) -> str:
    return PLACEHOLDER.sub(lambda m: values.get(m.group(1), m.group(0)), text or "")
