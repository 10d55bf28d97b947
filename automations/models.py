"""Canned responses now; automation rules, macros, webhooks and campaigns arrive in their issues."""

import uuid

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from autonomia.models import Account


class CannedResponse(models.Model):
    """A saved reply inserted with "/" + short_code; content may use {{contact.name}} and {{agent.name}}."""

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="canned_responses")
    short_code = models.CharField(_("short code"), max_length=100)
    content = models.TextField(_("content"))
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["short_code"]
        constraints = [models.UniqueConstraint(fields=["account", "short_code"], name="canned_short_code_unique")]

    def __str__(self) -> str:
        return self.short_code


# --- Outgoing webhooks (chatwoot-compat §9, targets.md §5.5) ------------------------------

WEBHOOK_EVENTS = [
    "conversation_created", "conversation_status_changed", "conversation_updated", "contact_created",
    "contact_updated", "message_created", "message_updated", "webwidget_triggered", "inbox_created",
    "inbox_updated", "conversation_typing_on", "conversation_typing_off",
]
DEFAULT_WEBHOOK_SUBSCRIPTIONS = WEBHOOK_EVENTS[:8]


def default_webhook_subscriptions() -> list[str]:
    return list(DEFAULT_WEBHOOK_SUBSCRIPTIONS)


def new_webhook_secret() -> str:
    import secrets

    return secrets.token_urlsafe(32)


class Webhook(models.Model):
    """An account webhook: JSON POSTs of the subscribed events, signed with the per-webhook secret."""

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="webhooks")
    inbox = models.ForeignKey("inboxes.Inbox", null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    url = models.URLField(_("URL"), max_length=2000)
    name = models.CharField(_("name"), max_length=255, blank=True)
    subscriptions = models.JSONField(default=default_webhook_subscriptions)
    secret = models.CharField(max_length=100, default=new_webhook_secret)
    enabled = models.BooleanField(default=True)
    disabled_reason = models.TextField(blank=True)
    failing_since = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        constraints = [models.UniqueConstraint(fields=["account", "url"], name="webhook_url_unique")]

    def __str__(self) -> str:
        return self.name or self.url


class WebhookDelivery(models.Model):
    """One event for one target URL (an outbox row): retried with the same delivery_id until it succeeds."""

    class Kind(models.TextChoices):
        ACCOUNT = "account", _("Account webhook")
        API_INBOX = "api_inbox", _("API inbox")
        AGENT_BOT = "agent_bot", _("Agent bot")

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        SUCCEEDED = "succeeded", _("Succeeded")
        FAILED = "failed", _("Failed, will retry")
        GAVE_UP = "gave_up", _("Gave up")

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="+")
    webhook = models.ForeignKey(Webhook, null=True, blank=True, on_delete=models.SET_NULL, related_name="deliveries")
    kind = models.CharField(max_length=16, choices=Kind.choices, default=Kind.ACCOUNT)
    inbox_id = models.BigIntegerField(null=True, blank=True)
    agent_bot_id = models.BigIntegerField(null=True, blank=True)
    conversation_id = models.BigIntegerField(null=True, blank=True)
    message_id = models.BigIntegerField(null=True, blank=True)
    target_url = models.URLField(max_length=2000)
    event = models.CharField(max_length=64)
    delivery_id = models.UUIDField(default=uuid.uuid4, unique=True)
    payload = models.JSONField(default=dict)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    last_status_code = models.PositiveIntegerField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    last_latency_ms = models.PositiveIntegerField(null=True, blank=True)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["webhook", "-id"], name="webhook_delivery_log"),
            models.Index(fields=["status", "next_attempt_at"], name="webhook_delivery_due"),
        ]


class CustomAttributeDefinition(models.Model):
    """A custom attribute offered on conversations or contacts (Chatwoot's custom_attribute_definitions)."""

    class DisplayType(models.IntegerChoices):
        TEXT = 0, _("Text")
        NUMBER = 1, _("Number")
        CURRENCY = 2, _("Currency")
        PERCENT = 3, _("Percent")
        LINK = 4, _("Link")
        DATE = 5, _("Date")
        LIST = 6, _("List")
        CHECKBOX = 7, _("Checkbox")

    class AttributeModel(models.IntegerChoices):
        CONVERSATION = 0, _("Conversation")
        CONTACT = 1, _("Contact")

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="custom_attribute_definitions")
    attribute_display_name = models.CharField(max_length=255)
    attribute_display_type = models.IntegerField(choices=DisplayType.choices, default=DisplayType.TEXT)
    attribute_description = models.TextField(blank=True)
    attribute_key = models.CharField(max_length=255)
    attribute_model = models.IntegerField(choices=AttributeModel.choices, default=AttributeModel.CONVERSATION)
    attribute_values = models.JSONField(default=list, blank=True)
    default_value = models.JSONField(null=True, blank=True)
    regex_pattern = models.CharField(max_length=255, blank=True)
    regex_cue = models.CharField(max_length=255, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["id"]
        constraints = [models.UniqueConstraint(fields=["account", "attribute_model", "attribute_key"],
                                               name="custom_attribute_key_unique")]


class CustomFilter(models.Model):
    """A user's saved filter (conversation, contact or report folder); the query is a filter-API payload."""

    class FilterType(models.IntegerChoices):
        CONVERSATION = 0, _("Conversation")
        CONTACT = 1, _("Contact")
        REPORT = 2, _("Report")

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="custom_filters")
    user = models.ForeignKey("autonomia.User", on_delete=models.CASCADE, related_name="custom_filters")
    name = models.CharField(max_length=255)
    filter_type = models.IntegerField(choices=FilterType.choices, default=FilterType.CONVERSATION)
    query = models.JSONField(default=dict)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["account", "user", "filter_type"])]
