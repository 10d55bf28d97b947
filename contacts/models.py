"""Contacts (the customers) and their identity in each inbox."""

import secrets

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from autonomia.models import Account


def new_pubsub_token() -> str:
    return secrets.token_urlsafe(24)


class Contact(models.Model):
    """A customer; email, phone (E.164) and identifier are each unique within the account."""

    class ContactType(models.IntegerChoices):
        VISITOR = 0, _("Visitor")
        LEAD = 1, _("Lead")
        CUSTOMER = 2, _("Customer")

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="contacts")
    name = models.CharField(_("name"), max_length=255, blank=True)
    middle_name = models.CharField(max_length=255, blank=True)
    last_name = models.CharField(max_length=255, blank=True)
    email = models.EmailField(_("email"), null=True, blank=True)
    phone_number = models.CharField(_("phone"), max_length=20, null=True, blank=True)
    identifier = models.CharField(_("identifier"), max_length=255, null=True, blank=True)
    avatar = models.ImageField(upload_to="avatars/contacts/", blank=True)
    additional_attributes = models.JSONField(default=dict, blank=True)  # city, country, company_name, ...
    custom_attributes = models.JSONField(default=dict, blank=True)
    contact_type = models.IntegerField(choices=ContactType.choices, default=ContactType.VISITOR)
    location = models.CharField(max_length=255, blank=True)
    country_code = models.CharField(max_length=8, blank=True)
    blocked = models.BooleanField(_("blocked"), default=False)
    last_activity_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["account", "email"], condition=Q(email__isnull=False),
                                    name="contact_email_unique"),
            models.UniqueConstraint(fields=["account", "phone_number"], condition=Q(phone_number__isnull=False),
                                    name="contact_phone_unique"),
            models.UniqueConstraint(fields=["account", "identifier"], condition=Q(identifier__isnull=False),
                                    name="contact_identifier_unique"),
        ]
        # Plus, on PostgreSQL only, pg_trgm GIN indexes for the search (migrations/0002_contact_search_trigram.py).
        indexes = [models.Index(fields=["account", "-last_activity_at"])]

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        return self.name or self.email or self.phone_number or f"#{self.pk}"

    @property
    def initials(self) -> str:
        parts = (self.name or self.email or "?").split()
        return "".join(p[0] for p in parts[:2]).upper()

    @property
    def company_name(self) -> str:
        return self.additional_attributes.get("company_name", "")


class ContactInbox(models.Model):
    """A contact's identity in one inbox: source_id is the channel's id for them (phone, UUID, PSID...)."""

    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="contact_inboxes")
    inbox = models.ForeignKey("inboxes.Inbox", on_delete=models.CASCADE, related_name="contact_inboxes")
    source_id = models.CharField(max_length=255)
    pubsub_token = models.CharField(max_length=64, unique=True, default=new_pubsub_token)
    hmac_verified = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["inbox", "source_id"], name="contact_inbox_source_unique")]


class ContactLabel(models.Model):
    """A label on a contact, by title as in Chatwoot."""

    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="label_rows")
    title = models.CharField(max_length=255)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["contact", "title"], name="contact_label_unique")]


class ContactNote(models.Model):
    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="notes")
    user = models.ForeignKey("autonomia.User", null=True, on_delete=models.SET_NULL, related_name="+")
    content = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)


class ContactImport(models.Model):
    """An uploaded CSV of contacts (Chatwoot's DataImport), processed in the background in batches."""

    class Status(models.IntegerChoices):
        PENDING = 0, _("Pending")
        PROCESSING = 1, _("Processing")
        COMPLETED = 2, _("Completed")
        FAILED = 3, _("Failed")

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="contact_imports")
    user = models.ForeignKey("autonomia.User", null=True, on_delete=models.SET_NULL, related_name="+")
    import_file = models.FileField(upload_to="contact_imports/%Y/%m/")
    status = models.IntegerField(choices=Status.choices, default=Status.PENDING)
    total_records = models.PositiveIntegerField(default=0)
    processed_records = models.PositiveIntegerField(default=0)  # rows done so far: a re-run resumes here
    created_records = models.PositiveIntegerField(default=0)
    updated_records = models.PositiveIntegerField(default=0)
    failed_rows = models.JSONField(default=list, blank=True)  # rejected: [{"line", "message", "row": [[col, value]]}]
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)


class ContactExport(models.Model):
    """A CSV of the account's contacts built in the background and offered through a signed, expiring link."""

    class Status(models.IntegerChoices):
        PENDING = 0, _("Pending")
        READY = 1, _("Ready")

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="contact_exports")
    user = models.ForeignKey("autonomia.User", on_delete=models.CASCADE, related_name="+")
    column_names = models.JSONField(default=list)
    query = models.JSONField(default=dict, blank=True)  # {"payload": filter rows, "label": title}
    status = models.IntegerField(choices=Status.choices, default=Status.PENDING)
    export_file = models.FileField(upload_to="contact_exports/%Y/%m/", blank=True)
    row_count = models.PositiveIntegerField(default=0)
    emailed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
