"""Inboxes: the settings every channel shares, members, working hours, agent bots and the API channel."""

import datetime as dt
import secrets
import uuid
import zoneinfo

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from autonomia.models import Account


def new_secret() -> str:
    return secrets.token_urlsafe(24)


class Inbox(models.Model):
    """Where conversations of one channel land; channel-specific fields live in the channel row."""

    class ChannelType(models.TextChoices):
        API = "Channel::Api", "API"
        WEB_WIDGET = "Channel::WebWidget", _("Website")
        EMAIL = "Channel::Email", _("Email")
        WHATSAPP = "Channel::Whatsapp", "WhatsApp"
        FACEBOOK = "Channel::FacebookPage", "Messenger"
        INSTAGRAM = "Channel::Instagram", "Instagram"
        SMS = "Channel::Sms", "SMS"
        TWILIO = "Channel::TwilioSms", "Twilio"
        TELEGRAM = "Channel::Telegram", "Telegram"

    class SenderNameType(models.IntegerChoices):
        FRIENDLY = 0, _("Friendly")
        PROFESSIONAL = 1, _("Professional")

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="inboxes")
    name = models.CharField(_("name"), max_length=255)
    channel_type = models.CharField(max_length=40, choices=ChannelType.choices, default=ChannelType.API)
    avatar = models.ImageField(_("avatar"), upload_to="avatars/inboxes/", blank=True)
    greeting_enabled = models.BooleanField(_("send a greeting"), default=False)
    greeting_message = models.TextField(_("greeting message"), blank=True)
    working_hours_enabled = models.BooleanField(_("enable business hours"), default=False)
    out_of_office_message = models.TextField(_("out-of-office message"), blank=True)
    timezone = models.CharField(_("time zone"), max_length=64, default="America/Sao_Paulo")
    holidays = models.JSONField(_("holidays"), default=list, blank=True)  # ["2026-12-25", ...]
    enable_auto_assignment = models.BooleanField(_("auto-assignment"), default=True)
    auto_assignment_config = models.JSONField(default=dict, blank=True)  # {"max_assignment_limit": int}
    lock_to_single_conversation = models.BooleanField(_("lock to a single conversation"), default=False)
    allow_messages_after_resolved = models.BooleanField(default=True)
    enable_email_collect = models.BooleanField(default=True)
    csat_survey_enabled = models.BooleanField(default=False)
    csat_config = models.JSONField(default=dict, blank=True)
    sender_name_type = models.IntegerField(choices=SenderNameType.choices, default=SenderNameType.FRIENDLY)
    business_name = models.CharField(max_length=255, blank=True)
    members = models.ManyToManyField(settings.AUTH_USER_MODEL, through="InboxMember", related_name="inboxes")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        indexes = [models.Index(fields=["account", "channel_type"])]

    def __str__(self) -> str:
        return self.name

    @property
    def max_assignment_limit(self) -> int | None:
        return self.auto_assignment_config.get("max_assignment_limit") or None

    @property
    def channel_label(self) -> str:
        return self.ChannelType(self.channel_type).label

    @property
    def channel_key(self) -> str:
        """Short lower-case channel name for icons and CSS (api, webwidget, whatsapp...)."""
        return self.channel_type.split("::")[-1].lower()

    def local_now(self, now: dt.datetime | None = None) -> dt.datetime:
        return (now or timezone.now()).astimezone(zoneinfo.ZoneInfo(self.timezone or "UTC"))

    def is_open_at(self, now: dt.datetime | None = None, hours: list["WorkingHour"] | None = None) -> bool:
        """Whether the business is open at `now` (always open when business hours are off)."""
        if not self.working_hours_enabled:
            return True
        local = self.local_now(now)
        if local.date().isoformat() in set(self.holidays or []):
            return False
        weekday = (local.weekday() + 1) % 7  # Chatwoot: 0 = Sunday
        rows = hours if hours is not None else list(self.working_hours.all())
        for row in rows:
            if row.day_of_week == weekday:
                return row.is_open_at(local.time())
        return False


class WorkingHour(models.Model):
    """Opening hours of one weekday (0 = Sunday), in the inbox's time zone."""

    inbox = models.ForeignKey(Inbox, on_delete=models.CASCADE, related_name="working_hours")
    day_of_week = models.PositiveSmallIntegerField()
    closed_all_day = models.BooleanField(default=False)
    open_all_day = models.BooleanField(default=False)
    open_hour = models.PositiveSmallIntegerField(default=9)
    open_minutes = models.PositiveSmallIntegerField(default=0)
    close_hour = models.PositiveSmallIntegerField(default=17)
    close_minutes = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["day_of_week"]
        constraints = [models.UniqueConstraint(fields=["inbox", "day_of_week"], name="working_hour_day")]

    def is_open_at(self, at: dt.time) -> bool:
        if self.closed_all_day:
            return False
        if self.open_all_day:
            return True
        return dt.time(self.open_hour, self.open_minutes) <= at < dt.time(self.close_hour, self.close_minutes)


class InboxMember(models.Model):
    """An agent allowed to work an inbox; `last_assigned_at` drives round-robin auto-assignment."""

    inbox = models.ForeignKey(Inbox, on_delete=models.CASCADE)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    last_assigned_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["inbox", "user"], name="inbox_member_unique")]


class ApiChannel(models.Model):
    """Chatwoot's Channel::Api: conversations fed by the integrator's own system."""

    inbox = models.OneToOneField(Inbox, on_delete=models.CASCADE, related_name="api_channel")
    identifier = models.CharField(max_length=64, unique=True, default=new_secret)
    webhook_url = models.URLField(blank=True)
    hmac_token = models.CharField(max_length=64, default=new_secret)
    hmac_mandatory = models.BooleanField(default=False)
    secret = models.CharField(max_length=64, default=new_secret)
    additional_attributes = models.JSONField(default=dict, blank=True)


class AgentBot(models.Model):
    """A bot that works pending conversations and hands off by opening them (Chatwoot agent bots)."""

    account = models.ForeignKey(Account, null=True, blank=True, on_delete=models.CASCADE, related_name="agent_bots")
    name = models.CharField(max_length=255)
    description = models.TextField(blank=True)
    outgoing_url = models.URLField(blank=True)
    bot_type = models.IntegerField(default=0)  # 0 = webhook
    bot_config = models.JSONField(default=dict, blank=True)
    avatar = models.ImageField(upload_to="avatars/bots/", blank=True)
    uid = models.UUIDField(default=uuid.uuid4, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.name


class AgentBotInbox(models.Model):
    class Status(models.IntegerChoices):
        ACTIVE = 0, _("Active")
        INACTIVE = 1, _("Inactive")

    inbox = models.OneToOneField(Inbox, on_delete=models.CASCADE, related_name="agent_bot_inbox")
    agent_bot = models.ForeignKey(AgentBot, on_delete=models.CASCADE, related_name="agent_bot_inboxes")
    status = models.IntegerField(choices=Status.choices, default=Status.ACTIVE)


def new_website_token() -> str:
    return secrets.token_urlsafe(18)


class WebWidgetChannel(models.Model):
    """Chatwoot's Channel::WebWidget: the chat bubble a business embeds on its website."""

    class ReplyTime(models.TextChoices):
        FEW_MINUTES = "in_a_few_minutes", _("In a few minutes")
        FEW_HOURS = "in_a_few_hours", _("In a few hours")
        A_DAY = "in_a_day", _("In a day")

    class Position(models.TextChoices):
        RIGHT = "right", _("Right")
        LEFT = "left", _("Left")

    inbox = models.OneToOneField(Inbox, on_delete=models.CASCADE, related_name="web_widget")
    website_token = models.CharField(max_length=64, unique=True, default=new_website_token)
    website_url = models.URLField(blank=True)
    allowed_domains = models.TextField(blank=True)  # one host pattern per line; empty: any site may embed
    widget_color = models.CharField(max_length=7, default="#1f93ff")
    welcome_title = models.CharField(max_length=255, blank=True)
    welcome_tagline = models.CharField(max_length=255, blank=True)
    reply_time = models.CharField(max_length=20, choices=ReplyTime.choices, default=ReplyTime.FEW_MINUTES)
    position = models.CharField(max_length=5, choices=Position.choices, default=Position.RIGHT)
    launcher_title = models.CharField(max_length=100, blank=True)
    pre_chat_form_enabled = models.BooleanField(default=False)
    # {"pre_chat_message": str, "pre_chat_fields": [{name, label, type, field_type, required, enabled, regex}]}
    pre_chat_form_options = models.JSONField(default=dict, blank=True)
    feature_flags = models.JSONField(default=dict, blank=True)  # {"attachments", "emoji_picker", "end_conversation"}
    continuity_via_email = models.BooleanField(default=True)
    hmac_token = models.CharField(max_length=64, default=new_secret)
    hmac_mandatory = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    def flag(self, name: str) -> bool:
        """A feature flag; attachments, emoji and end-conversation default to on, as in Chatwoot."""
        return bool(self.feature_flags.get(name, True))

    @property
    def domain_patterns(self) -> list[str]:
        """The allowed host patterns ("loja.com.br", "*.loja.com.br"), lower-case, without scheme or path."""
        patterns = []
        for raw in self.allowed_domains.replace(",", "\n").splitlines():
            host = raw.strip().lower().split("://")[-1].split("/")[0]
            if host:
                patterns.append(host)
        return patterns
