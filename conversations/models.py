"""Conversations, messages, attachments, labels, mentions and in-app notifications."""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from autonomia.models import Account, Team


class Label(models.Model):
    """A tag for conversations and contacts; title is lower-case and unique per account."""

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="labels")
    title = models.CharField(_("name"), max_length=255)
    description = models.TextField(_("description"), blank=True)
    color = models.CharField(_("colour"), max_length=7, default="#1f93ff")
    show_on_sidebar = models.BooleanField(_("show on sidebar"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["title"]
        constraints = [models.UniqueConstraint(fields=["account", "title"], name="label_title_unique")]

    def __str__(self) -> str:
        return self.title


class Conversation(models.Model):
    """A thread between a contact and the business in one inbox; `display_id` is its public id."""

    class Status(models.IntegerChoices):
        OPEN = 0, _("Open")
        RESOLVED = 1, _("Resolved")
        PENDING = 2, _("Pending")
        SNOOZED = 3, _("Snoozed")

    class Priority(models.IntegerChoices):
        LOW = 0, _("Low")
        MEDIUM = 1, _("Medium")
        HIGH = 2, _("High")
        URGENT = 3, _("Urgent")

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="conversations")
    inbox = models.ForeignKey("inboxes.Inbox", on_delete=models.CASCADE, related_name="conversations")
    contact = models.ForeignKey("contacts.Contact", on_delete=models.CASCADE, related_name="conversations")
    contact_inbox = models.ForeignKey("contacts.ContactInbox", null=True, blank=True, on_delete=models.SET_NULL,
                                      related_name="conversations")
    display_id = models.PositiveIntegerField()
    uuid = models.UUIDField(default=uuid.uuid4, unique=True)
    status = models.IntegerField(choices=Status.choices, default=Status.OPEN)
    priority = models.IntegerField(choices=Priority.choices, null=True, blank=True)
    assignee = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                 related_name="assigned_conversations")
    assignee_agent_bot = models.ForeignKey("inboxes.AgentBot", null=True, blank=True, on_delete=models.SET_NULL,
                                           related_name="+")
    team = models.ForeignKey(Team, null=True, blank=True, on_delete=models.SET_NULL, related_name="conversations")
    campaign_id = models.BigIntegerField(null=True, blank=True)
    snoozed_until = models.DateTimeField(null=True, blank=True)
    additional_attributes = models.JSONField(default=dict, blank=True)
    custom_attributes = models.JSONField(default=dict, blank=True)
    identifier = models.CharField(max_length=255, blank=True)
    contact_last_seen_at = models.DateTimeField(null=True, blank=True)
    agent_last_seen_at = models.DateTimeField(null=True, blank=True)
    assignee_last_seen_at = models.DateTimeField(null=True, blank=True)
    first_reply_created_at = models.DateTimeField(null=True, blank=True)
    waiting_since = models.DateTimeField(null=True, blank=True)
    last_activity_at = models.DateTimeField()
    # Denormalised so the conversation list needs no per-row query (chatwoot#15719).
    last_message = models.ForeignKey("Message", null=True, blank=True, on_delete=models.SET_NULL,
                                     related_name="+")
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["account", "display_id"], name="conversation_display_id_unique"),
        ]
        indexes = [
            models.Index(fields=["account", "status", "-last_activity_at"], name="conv_status_activity"),
            models.Index(fields=["inbox", "status", "-last_activity_at"], name="conv_inbox_status_activity"),
            models.Index(fields=["assignee", "status", "-last_activity_at"], name="conv_assignee_status"),
            models.Index(fields=["team", "status"], name="conv_team_status"),
            models.Index(fields=["contact", "-last_activity_at"], name="conv_contact_activity"),
            models.Index(fields=["status", "snoozed_until"], name="conv_snoozed"),
        ]

    def __str__(self) -> str:
        return f"#{self.display_id}"

    @property
    def status_name(self) -> str:
        return self.Status(self.status).name.lower()

    @property
    def priority_name(self) -> str | None:
        return None if self.priority is None else self.Priority(self.priority).name.lower()

    @property
    def is_open(self) -> bool:
        return self.status == self.Status.OPEN

    @property
    def is_resolved(self) -> bool:
        return self.status == self.Status.RESOLVED

    @property
    def is_pending(self) -> bool:
        return self.status == self.Status.PENDING

    @property
    def is_snoozed(self) -> bool:
        return self.status == self.Status.SNOOZED


class Message(models.Model):
    """One message, note or activity line in a conversation."""

    class MessageType(models.IntegerChoices):
        INCOMING = 0, _("Incoming")
        OUTGOING = 1, _("Outgoing")
        ACTIVITY = 2, _("Activity")
        TEMPLATE = 3, _("Template")

    class ContentType(models.IntegerChoices):
        TEXT = 0, "text"
        INPUT_TEXT = 1, "input_text"
        INPUT_TEXTAREA = 2, "input_textarea"
        INPUT_EMAIL = 3, "input_email"
        INPUT_SELECT = 4, "input_select"
        CARDS = 5, "cards"
        FORM = 6, "form"
        ARTICLE = 7, "article"
        INCOMING_EMAIL = 8, "incoming_email"
        INPUT_CSAT = 9, "input_csat"
        INTEGRATIONS = 10, "integrations"
        STICKER = 11, "sticker"
        VOICE_CALL = 12, "voice_call"

    class Status(models.IntegerChoices):
        SENT = 0, _("Sent")
        DELIVERED = 1, _("Delivered")
        READ = 2, _("Read")
        FAILED = 3, _("Failed")

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="+")
    inbox = models.ForeignKey("inboxes.Inbox", on_delete=models.CASCADE, related_name="+")
    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="messages")
    message_type = models.IntegerField(choices=MessageType.choices)
    content_type = models.IntegerField(choices=ContentType.choices, default=ContentType.TEXT)
    content = models.TextField(blank=True, max_length=150_000)
    private = models.BooleanField(default=False)
    status = models.IntegerField(choices=Status.choices, default=Status.SENT)
    source_id = models.CharField(max_length=255, null=True, blank=True)
    sender_type = models.CharField(max_length=20, blank=True)  # "User" | "Contact" | "AgentBot" | ""
    sender_id = models.BigIntegerField(null=True, blank=True)
    content_attributes = models.JSONField(default=dict, blank=True)
    additional_attributes = models.JSONField(default=dict, blank=True)
    external_source_ids = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            # At-least-once inbound delivery is made exactly-once here (chatwoot#6046, #11901).
            models.UniqueConstraint(fields=["inbox", "source_id"], condition=Q(source_id__isnull=False),
                                    name="message_inbox_source_unique"),
        ]
        indexes = [
            models.Index(fields=["conversation", "id"], name="message_conversation_id"),
            models.Index(fields=["conversation", "message_type", "created_at"], name="message_conv_type_created"),
            models.Index(fields=["account", "created_at", "message_type"], name="message_account_created"),
        ]

    @property
    def is_incoming(self) -> bool:
        return self.message_type == self.MessageType.INCOMING

    @property
    def is_outgoing(self) -> bool:
        return self.message_type in (self.MessageType.OUTGOING, self.MessageType.TEMPLATE)

    @property
    def is_activity(self) -> bool:
        return self.message_type == self.MessageType.ACTIVITY

    @property
    def message_type_name(self) -> str:
        return self.MessageType(self.message_type).name.lower()

    @property
    def status_name(self) -> str:
        return self.Status(self.status).name.lower()

    @property
    def is_deleted(self) -> bool:
        return bool(self.content_attributes.get("deleted"))


class Attachment(models.Model):
    """A file on a message; served only through an access-checked view."""

    class FileType(models.IntegerChoices):
        IMAGE = 0, "image"
        AUDIO = 1, "audio"
        VIDEO = 2, "video"
        FILE = 3, "file"
        LOCATION = 4, "location"
        FALLBACK = 5, "fallback"
        SHARE = 6, "share"
        STORY_MENTION = 7, "story_mention"
        CONTACT = 8, "contact"

    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="attachments")
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="+")
    file_type = models.IntegerField(choices=FileType.choices, default=FileType.FILE)
    file = models.FileField(upload_to="attachments/%Y/%m/", blank=True)
    thumbnail = models.FileField(upload_to="attachments/thumbs/%Y/%m/", blank=True)
    file_name = models.CharField(max_length=255, blank=True)
    content_type = models.CharField(max_length=100, blank=True)
    file_size = models.PositiveBigIntegerField(default=0)
    width = models.PositiveIntegerField(null=True, blank=True)
    height = models.PositiveIntegerField(null=True, blank=True)
    extension = models.CharField(max_length=16, blank=True)
    external_url = models.URLField(max_length=2000, blank=True)
    coordinates_lat = models.FloatField(null=True, blank=True)
    coordinates_long = models.FloatField(null=True, blank=True)
    fallback_title = models.CharField(max_length=255, blank=True)
    meta = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    @property
    def file_type_name(self) -> str:
        return self.FileType(self.file_type).label


class ConversationLabel(models.Model):
    """A label on a conversation, by title (Chatwoot tags by title, not by foreign key)."""

    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="label_rows")
    title = models.CharField(max_length=255)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["conversation", "title"], name="conversation_label_unique")]
        indexes = [models.Index(fields=["title", "conversation"], name="conversation_label_title")]


class ConversationParticipant(models.Model):
    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="participants")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["conversation", "user"], name="participant_unique")]


class Mention(models.Model):
    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="mentions")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="mentions")
    mentioned_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["conversation", "user"], name="mention_unique")]


class Notification(models.Model):
    """An in-app notification for one user (the bell)."""

    class Type(models.IntegerChoices):
        CONVERSATION_CREATION = 1, _("New conversation")
        CONVERSATION_ASSIGNMENT = 2, _("Conversation assigned to you")
        ASSIGNED_CONVERSATION_NEW_MESSAGE = 3, _("New message in your conversation")
        CONVERSATION_MENTION = 4, _("You were mentioned")
        PARTICIPATING_CONVERSATION_NEW_MESSAGE = 5, _("New message in a conversation you follow")

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    notification_type = models.IntegerField(choices=Type.choices)
    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="+")
    secondary_actor_type = models.CharField(max_length=20, blank=True)
    secondary_actor_id = models.BigIntegerField(null=True, blank=True)
    meta = models.JSONField(default=dict, blank=True)
    read_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-id"]
        indexes = [models.Index(fields=["user", "account", "read_at"], name="notification_user_unread")]
