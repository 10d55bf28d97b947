"""Writes on contacts: create, update, labels, identities per inbox."""

import re

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from autonomia.actions import DomainError, audit
from autonomia.models import Account
from automations import webhooks
from contacts.models import Contact, ContactExport, ContactImport, ContactInbox, ContactLabel, ContactNote

E164 = re.compile(r"^\+[1-9]\d{1,14}$")
EDITABLE = ("name", "email", "phone_number", "identifier", "additional_attributes", "custom_attributes", "blocked",
            "location", "country_code")


def normalize_phone(raw: str | None) -> str | None:
    """'+55 (11) 91234-5678' → '+5511912345678'; raises DomainError when it is not E.164."""
    if raw is None or not str(raw).strip():
        return None
    digits = re.sub(r"[^\d+]", "", str(raw).strip())
    if not digits.startswith("+"):
        digits = "+" + digits
    if not E164.match(digits):
        raise DomainError(_("Enter the phone in international format, e.g. +5511912345678."), field="phone_number")
    return digits


def normalize_email(raw: str | None) -> str | None:
    value = (raw or "").strip().lower()
    return value or None


def _clean(fields: dict) -> dict:
    data = {k: v for k, v in fields.items() if k in EDITABLE}
    if "email" in data:
        data["email"] = normalize_email(data["email"])
    if "phone_number" in data:
        data["phone_number"] = normalize_phone(data["phone_number"])
    if "identifier" in data:
        data["identifier"] = (data["identifier"] or "").strip() or None
    return data


def _save(contact: Contact) -> None:
    try:
        with transaction.atomic():
            contact.save()
    except IntegrityError:
        raise DomainError(_("Another contact already has this email, phone or identifier.")) from None


@transaction.atomic
def create_contact(account: Account, *, actor, **fields) -> Contact:
    """Create a contact; email, phone and identifier must be unique in the account."""
    contact = Contact(account=account, **_clean(fields))
    _save(contact)
    audit(account.pk, actor, "create", contact)
    webhooks.emit("contact_created", contact_id=contact.pk)
    return contact


@transaction.atomic
def update_contact(contact: Contact, *, actor, **fields) -> Contact:
    """Change a contact's details (attributes dicts are replaced, as in Chatwoot's PUT)."""
    data = _clean(fields)
    before = {k: getattr(contact, k) for k in data}
    for key, value in data.items():
        setattr(contact, key, value)
    _save(contact)
    audit(contact.account_id, actor, "update", contact, {"before": before})
    changes = {k: (v, getattr(contact, k)) for k, v in before.items() if v != getattr(contact, k)}
    if changes:
        webhooks.emit("contact_updated", contact_id=contact.pk, changes=changes)
    return contact


@transaction.atomic
def set_contact_labels(contact: Contact, *, actor, titles) -> list[str]:
    """Replace the contact's labels."""
    wanted = {t.strip().lower() for t in titles if t and t.strip()}
    ContactLabel.objects.filter(contact=contact).exclude(title__in=wanted).delete()
    existing = set(ContactLabel.objects.filter(contact=contact).values_list("title", flat=True))
    ContactLabel.objects.bulk_create([ContactLabel(contact=contact, title=t) for t in wanted - existing])
    audit(contact.account_id, actor, "labels_changed", contact, {"labels": sorted(wanted)})
    return sorted(wanted)


@transaction.atomic
def get_or_create_contact_inbox(contact: Contact, inbox, *, source_id: str | None = None) -> ContactInbox:
    """The contact's identity in the inbox, created with `source_id` (or a UUID) when missing."""
    import uuid

    if inbox.account_id != contact.account_id:
        raise DomainError(_("The inbox belongs to another account."))
    if source_id:
        existing = ContactInbox.objects.filter(inbox=inbox, source_id=source_id).first()
        if existing:
            if existing.contact_id != contact.pk:
                raise DomainError(_("This source id belongs to another contact."), field="source_id")
            return existing
    else:
        existing = ContactInbox.objects.filter(inbox=inbox, contact=contact).order_by("id").first()
        if existing:
            return existing
    return ContactInbox.objects.create(contact=contact, inbox=inbox, source_id=source_id or str(uuid.uuid4()))


# --- API additions: notes, deletion, merge -------------------------------------------------

@transaction.atomic
def create_contact_in_inbox(account: Account, *, actor, inbox=None, source_id: str | None = None, **fields):
    """Create a contact and, with `inbox`, its identity there (source_id or a UUID); all or nothing."""
    contact = create_contact(account, actor=actor, **fields)
    contact_inbox = get_or_create_contact_inbox(contact, inbox, source_id=source_id) if inbox is not None else None
    return contact, contact_inbox


@transaction.atomic
def add_contact_note(contact: Contact, *, actor, content: str) -> ContactNote:
    """A note on the contact, written by a member."""
    if not (content or "").strip():
        raise DomainError(_("Write the note."), field="content")
    note = ContactNote.objects.create(contact=contact, user=actor, content=content.strip())
    audit(contact.account_id, actor, "create", note)
    return note


@transaction.atomic
def update_contact_note(note: ContactNote, *, actor, content: str) -> ContactNote:
    """Change a note's text."""
    if not (content or "").strip():
        raise DomainError(_("Write the note."), field="content")
    note.content = content.strip()
    note.save(update_fields=["content"])
    audit(note.contact.account_id, actor, "update", note)
    return note


@transaction.atomic
def delete_contact_note(note: ContactNote, *, actor) -> None:
    audit(note.contact.account_id, actor, "destroy", note)
    note.delete()


@transaction.atomic
def delete_contact(contact: Contact, *, actor) -> None:
    """Delete the contact with its conversations and identities (Chatwoot's destroy)."""
    audit(contact.account_id, actor, "destroy", contact, {"name": contact.name, "email": contact.email})
    contact.delete()


@transaction.atomic
def merge_contacts(base: Contact, mergee: Contact, *, actor) -> Contact:
    """Fold `mergee` into `base`: conversations, identities, notes, labels and message senders move; base keeps
    its own values and takes the mergee's where it has none; the mergee is deleted."""
    from conversations.models import Conversation, Message

    if base.pk == mergee.pk or base.account_id != mergee.account_id:
        raise DomainError(_("Choose two different contacts of the account."), field="mergee_contact_id")
    base = Contact.objects.select_for_update().get(pk=base.pk)
    mergee = Contact.objects.select_for_update().get(pk=mergee.pk)
    Conversation.objects.filter(contact=mergee).update(contact=base)
    ContactInbox.objects.filter(contact=mergee).update(contact=base)
    ContactNote.objects.filter(contact=mergee).update(contact=base)
    Message.objects.filter(account_id=base.account_id, sender_type="Contact", sender_id=mergee.pk).update(
        sender_id=base.pk)
    titles = set(ContactLabel.objects.filter(contact=mergee).values_list("title", flat=True))
    titles -= set(ContactLabel.objects.filter(contact=base).values_list("title", flat=True))
    ContactLabel.objects.bulk_create([ContactLabel(contact=base, title=t) for t in titles])
    taken = {f: getattr(mergee, f) for f in ("email", "phone_number", "identifier", "name", "location",
                                             "country_code") if getattr(mergee, f) and not getattr(base, f)}
    base.additional_attributes = {**mergee.additional_attributes, **base.additional_attributes}
    base.custom_attributes = {**mergee.custom_attributes, **base.custom_attributes}
    if mergee.last_activity_at and (not base.last_activity_at or mergee.last_activity_at > base.last_activity_at):
        base.last_activity_at = mergee.last_activity_at
    audit(base.account_id, actor, "merge", base, {"mergee_id": mergee.pk, "taken": sorted(taken)})
    mergee.delete()  # first, so its unique email / phone / identifier can move to the base
    for key, value in taken.items():
        setattr(base, key, value)
    _save(base)
    return base


# --- Imports and exports (Chatwoot's POST contacts/import and contacts/export) ---------------------

IMPORT_BATCH = 500  # rows per transaction; a re-run after a crash resumes after the last committed batch
MAX_REPORTED_FAILURES = 1000
EXPORT_COLUMNS = ("id", "name", "middle_name", "last_name", "email", "phone_number", "identifier",
                  "additional_attributes", "custom_attributes", "contact_type", "location", "country_code",
                  "blocked", "last_activity_at", "created_at", "updated_at")  # Chatwoot's Contact.column_names
DEFAULT_EXPORT_COLUMNS = ["id", "name", "email", "phone_number"]


@transaction.atomic
def start_contact_import(account: Account, *, actor, import_file) -> ContactImport:
    """Store an uploaded CSV of contacts and process it in the background (422 when it is not a usable CSV)."""
    from django.core.files.base import ContentFile

    from contacts.csv_files import read_import_file
    from contacts.tasks import process_contact_import_task

    data = import_file.read()
    rows = read_import_file(data)  # refuse a broken file now, while the caller can still be told
    job = ContactImport(account=account, user=actor, total_records=len(rows))
    job.import_file.save("contacts.csv", ContentFile(data), save=False)
    job.save()
    audit(account.pk, actor, "create", job, {"rows": len(rows)})
    transaction.on_commit(lambda: process_contact_import_task.delay(job.pk))
    return job


def process_contact_import(contact_import_id: int):
    """Import the file's rows a batch per transaction: each row creates a contact or updates the one with its
    identifier, email or phone (in that order); rejected rows are kept with the reason. Safe to run twice:
    it resumes after the last committed batch and does nothing once completed."""
    from django.conf import settings
    from django.utils.translation import override

    from contacts.csv_files import read_import_file

    rows = None
    while True:
        with transaction.atomic():
            job = ContactImport.objects.select_for_update(of=("self",)).select_related("account", "user").filter(
                pk=contact_import_id).first()
            if job is None or job.status in (ContactImport.Status.COMPLETED, ContactImport.Status.FAILED):
                return job
            # The reasons of rejected rows are read by the uploader: in their language.
            with override((job.user and job.user.locale) or job.account.locale or settings.LANGUAGE_CODE):
                try:
                    if rows is None:
                        with job.import_file.open("rb") as stored:
                            rows = read_import_file(stored.read())
                except (DomainError, OSError) as error:  # the stored file vanished or no longer reads
                    job.status = ContactImport.Status.FAILED
                    job.failed_rows = [{"line": 0, "message": str(getattr(error, "message", error)), "row": []}]
                    audit(job.account_id, job.user, "import_failed", job)
                else:
                    _import_batch(job, rows)
            job.save()
            if job.status in (ContactImport.Status.COMPLETED, ContactImport.Status.FAILED):
                transaction.on_commit(lambda: _email_import_result(job.pk), robust=True)  # a mail outage is logged
                return job


def _import_batch(job: ContactImport, rows: list) -> None:
    """The next IMPORT_BATCH rows of the job, each in its own savepoint; completes the job after the last."""
    job.status, job.total_records = ContactImport.Status.PROCESSING, len(rows)
    definitions = _number_and_checkbox_attributes(job.account_id)
    for line, row in rows[job.processed_records:job.processed_records + IMPORT_BATCH]:
        try:
            with transaction.atomic():
                created = _import_row(job.account, row, definitions)
        except DomainError as error:
            if len(job.failed_rows) < MAX_REPORTED_FAILURES:  # [column, value] pairs: jsonb reorders keys
                job.failed_rows.append({"line": line, "message": error.message, "row": list(row.items())})
        else:
            job.created_records += created
            job.updated_records += not created
        job.processed_records += 1
    if job.processed_records >= len(rows):
        job.status = ContactImport.Status.COMPLETED
        audit(job.account_id, job.user, "import_completed", job, {
            "created": job.created_records, "updated": job.updated_records,
            "failed": job.processed_records - job.created_records - job.updated_records})


def _number_and_checkbox_attributes(account_id: int) -> dict:
    from automations.models import CustomAttributeDefinition

    kinds = CustomAttributeDefinition.DisplayType
    return dict(CustomAttributeDefinition.objects.filter(
        account_id=account_id, attribute_model=CustomAttributeDefinition.AttributeModel.CONTACT,
        attribute_display_type__in=[kinds.NUMBER, kinds.CURRENCY, kinds.PERCENT, kinds.CHECKBOX],
    ).values_list("attribute_key", "attribute_display_type"))


def _typed_custom_attributes(custom: dict, definitions: dict) -> dict:
    """CSV text → the JSON type of the attribute's definition: numbers and checkboxes (true/false)."""
    from automations.models import CustomAttributeDefinition

    typed = {}
    for key, value in custom.items():
        kind = definitions.get(key)
        if kind == CustomAttributeDefinition.DisplayType.CHECKBOX:
            if value.lower() not in ("true", "false", "1", "0", "yes", "no"):
                raise DomainError(_("%(key)s must be true or false.") % {"key": key}, field=key)
            typed[key] = value.lower() in ("true", "1", "yes")
        elif kind is not None:
            try:
                number = float(value.replace(",", "."))
            except ValueError:
                raise DomainError(_("%(key)s must be a number.") % {"key": key}, field=key) from None
            typed[key] = int(number) if number.is_integer() and "." not in value and "," not in value else number
        else:
            typed[key] = value
    return typed


def _import_row(account: Account, row: dict, definitions: dict) -> bool:
    """Create or update the contact of one CSV row; True when created. Raises DomainError for a bad row."""
    from django.core.exceptions import ValidationError
    from django.core.validators import validate_email

    from contacts.csv_files import split_row

    fields, additional, custom = split_row(row)
    fields = _clean(fields)
    if not fields:
        raise DomainError(_("The row has no name, email, phone or identifier."))
    if fields.get("email"):
        try:
            validate_email(fields["email"])
        except ValidationError:
            raise DomainError(_("Enter a valid email address."), field="email") from None
    custom = _typed_custom_attributes(custom, definitions)
    contact = None
    for key in ("identifier", "email", "phone_number"):
        if fields.get(key) and contact is None:
            contact = Contact.objects.filter(account=account, **{key: fields[key]}).first()
    created = contact is None
    contact = contact or Contact(account=account)
    for key, value in fields.items():
        setattr(contact, key, value)
    contact.additional_attributes = {**contact.additional_attributes, **additional}
    contact.custom_attributes = {**contact.custom_attributes, **custom}
    _save(contact)
    return created


def _email_import_result(contact_import_id: int) -> None:
    """Tell the person who uploaded the file how it went; rejected rows come attached as a CSV."""
    from django.conf import settings
    from django.core.mail import EmailMessage
    from django.utils.translation import override

    from contacts.csv_files import write_rows

    job = ContactImport.objects.select_related("account", "user").get(pk=contact_import_id)
    if job.user is None or not job.user.email:
        return
    failed = job.processed_records - job.created_records - job.updated_records
    with override(job.user.locale or job.account.locale or settings.LANGUAGE_CODE):
        if job.status == ContactImport.Status.FAILED:
            subject = _("Your contact import failed")
            body = _("The file could not be read: %(reason)s") % {"reason": job.failed_rows[0]["message"]}
        else:
            subject = _("Your contact import is done")
            body = _("%(account)s: %(created)s contacts created, %(updated)s updated, %(failed)s rejected.") % {
                "account": job.account.name, "created": job.created_records, "updated": job.updated_records,
                "failed": failed}
            if failed:
                body += "\n\n" + _("The attached file lists the rejected rows and why.")
    message = EmailMessage(subject, body, settings.DEFAULT_FROM_EMAIL, [job.user.email])
    if job.status == ContactImport.Status.COMPLETED and job.failed_rows:
        columns = list(dict.fromkeys(column for failure in job.failed_rows for column, _value in failure["row"]))
        message.attach("rejected-contacts.csv", write_rows(["line", *columns, "errors"], (
            [failure["line"], *(dict(failure["row"]).get(c, "") for c in columns), failure["message"]]
            for failure in job.failed_rows)), "text/csv")
    message.send()


@transaction.atomic
def request_contact_export(account: Account, *, actor, column_names=None, payload=None,
                           label: str | None = None) -> ContactExport:
    """Queue a CSV of the account's contacts (all, a filter's or a label's) that is emailed to `actor` as a
    signed, expiring link. 422 for unknown columns or a bad filter, before anything is stored."""
    from contacts.queries import exported_contacts
    from contacts.tasks import build_contact_export_task
    from conversations.queries import FilterError

    columns = list(column_names) if column_names else DEFAULT_EXPORT_COLUMNS
    unknown = [c for c in columns if c not in EXPORT_COLUMNS]
    if unknown:
        raise DomainError(_("Unknown columns: %(columns)s") % {"columns": ", ".join(map(str, unknown))},
                          field="column_names")
    query = {"payload": payload or [], "label": label or ""}
    try:
        exported_contacts(account.pk, query)
    except FilterError as error:
        raise DomainError(error.message, field=error.attribute) from None
    export = ContactExport.objects.create(account=account, user=actor, column_names=columns, query=query)
    audit(account.pk, actor, "create", export, {"columns": columns, "query": query})
    transaction.on_commit(lambda: build_contact_export_task.delay(export.pk))
    return export


def build_contact_export(contact_export_id: int):
    """Write the export's CSV once, then email its link once (both safe to repeat)."""
    from django.core.files.base import ContentFile

    from contacts.csv_files import write_rows
    from contacts.queries import exported_contacts

    with transaction.atomic():
        export = ContactExport.objects.select_for_update().filter(pk=contact_export_id).first()
        if export is None:
            return None
        if export.status == ContactExport.Status.PENDING:
            contacts = exported_contacts(export.account_id, export.query).order_by("id")
            rows = [[getattr(c, column) for column in export.column_names] for c in contacts.iterator(2000)]
            data = write_rows(export.column_names, rows)
            export.row_count = len(rows)
            export.export_file.save(f"contacts-{export.account_id}-{export.pk}.csv", ContentFile(data), save=False)
            export.status = ContactExport.Status.READY
            export.save()
    if ContactExport.objects.filter(pk=export.pk, emailed_at__isnull=True).update(emailed_at=timezone.now()):
        try:
            _email_export_link(export.pk)
        except Exception:
            ContactExport.objects.filter(pk=export.pk).update(emailed_at=None)  # the retry sends it
            raise
    return export


def _email_export_link(contact_export_id: int) -> None:
    from django.conf import settings
    from django.core.mail import send_mail
    from django.utils.translation import override

    from contacts.queries import EXPORT_LINK_DAYS, export_download_url

    export = ContactExport.objects.select_related("account", "user").get(pk=contact_export_id)
    with override(export.user.locale or export.account.locale or settings.LANGUAGE_CODE):
        subject = _("Your contacts export is ready")
        body = _("The export of %(count)s contacts of %(account)s is ready. Download it (signed in to "
                 "Autonomia) within %(days)s days:\n\n%(link)s\n") % {
            "count": export.row_count, "account": export.account.name, "days": EXPORT_LINK_DAYS,
            "link": export_download_url(export)}
    send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [export.user.email])
