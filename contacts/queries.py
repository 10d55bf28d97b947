"""Reads and permission checks for contacts."""

import datetime as dt

from django.db import models
from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils import timezone

from autonomia.models import AccountUser
from contacts.models import Contact

# Latest activity first, never-active contacts last: the order of the `contact_activity_order` index
# (migrations/0002_contact_search_trigram.py), shared by the list, the search and active contacts.
LIST_ORDER = (models.F("last_activity_at").desc(nulls_last=True), "-id")


def visible_contacts(account_user: AccountUser) -> QuerySet[Contact]:
    """Contacts of the member's account (every member may see every contact, as in Chatwoot)."""
    return Contact.objects.filter(account_id=account_user.account_id)


def access_contact(account_user: AccountUser, contact_id: int) -> Contact:
    """A contact of the member's account, or 404."""
    try:
        return visible_contacts(account_user).get(pk=contact_id)
    except (Contact.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def search_contacts(account_user: AccountUser, q: str) -> QuerySet[Contact]:
    """Contacts whose name, email, phone (typed with or without '+') or identifier contains `q`."""
    q = q.strip()
    qs = visible_contacts(account_user)
    return (qs.filter(search_q(q)) if q else qs).order_by(*LIST_ORDER)


def search_q(q: str) -> Q:
    """The search's condition. Each icontains is UPPER(column) LIKE UPPER('%q%'), the expression of the
    column's pg_trgm index (migrations/0002_contact_search_trigram.py): keep the lookups and indexes in step."""
    return (Q(name__icontains=q) | Q(email__icontains=q) | Q(phone_number__icontains=q.lstrip("+") or q)
            | Q(identifier__icontains=q))


ACTIVE_MINUTES = 5


def active_contacts(account_user: AccountUser) -> QuerySet[Contact]:
    """Contacts active now: a message from them in the last ACTIVE_MINUTES (contacts have no presence yet)."""
    since = timezone.now() - dt.timedelta(minutes=ACTIVE_MINUTES)
    return visible_contacts(account_user).filter(last_activity_at__gte=since).order_by(*LIST_ORDER)


def contactable_inboxes(account_user: AccountUser, contact: Contact) -> list[tuple[str, object]]:
    """(source_id, inbox) for each inbox the member may use to reach the contact (Chatwoot's
    ContactableInboxesService): API inboxes always (the contact's identity there or a new UUID), email with
    an email, WhatsApp / SMS / Twilio with a phone, the website only through an identity without
    conversations; other channels cannot start a conversation."""
    import uuid

    from conversations.models import Conversation
    from inboxes.models import Inbox
    from inboxes.queries import visible_inboxes

    kinds = Inbox.ChannelType
    latest = {}  # inbox id → the contact's latest identity there
    for identity in contact.contact_inboxes.order_by("id"):
        latest[identity.inbox_id] = identity
    talked = set(Conversation.objects.filter(contact_inbox__in=list(latest.values())).values_list(
        "contact_inbox_id", flat=True))
    found = []
    for inbox in visible_inboxes(account_user).select_related("api_channel").order_by("id"):
        identity, phone = latest.get(inbox.pk), contact.phone_number
        if inbox.channel_type == kinds.API:
            source_id = identity.source_id if identity else str(uuid.uuid4())
        elif inbox.channel_type == kinds.EMAIL:
            source_id = contact.email
        elif inbox.channel_type == kinds.WHATSAPP:
            source_id = phone.lstrip("+") if phone else None
        elif inbox.channel_type in (kinds.SMS, kinds.TWILIO):
            source_id = phone
        elif inbox.channel_type == kinds.WEB_WIDGET:
            source_id = identity.source_id if identity and identity.pk not in talked else None
        else:
            source_id = None
        if source_id:
            found.append((source_id, inbox))
    return found


def contact_labels(contact: Contact) -> list[str]:
    return list(contact.label_rows.order_by("title").values_list("title", flat=True))



# --- The JSON API ---------------------------------------------------------------------------

CONTACT_SORTS = {
    "name": "name", "email": "email", "phone_number": "phone_number", "last_activity_at": "last_activity_at",
    "created_at": "created_at", "company": "additional_attributes__company_name",
    "city": "additional_attributes__city", "country": "additional_attributes__country",
}


def sorted_contacts(qs: QuerySet[Contact], sort: str | None) -> QuerySet[Contact]:
    """Chatwoot's `sort` (name, email, ..., `-` prefix for descending); default: latest activity first."""
    from django.db.models import F

    key = (sort or "").lstrip("-")
    if key not in CONTACT_SORTS:
        return qs.order_by(*LIST_ORDER)
    field = F(CONTACT_SORTS[key])
    return qs.order_by(field.desc(nulls_last=True) if sort.startswith("-") else field.asc(nulls_last=True), "id")


def with_contact_inboxes(qs: QuerySet[Contact]) -> QuerySet[Contact]:
    """Prefetch each contact's inboxes (and API channels) for contact_json(contact_inboxes=...)."""
    from django.db.models import Prefetch

    from contacts.models import ContactInbox

    return qs.prefetch_related(Prefetch("contact_inboxes", queryset=ContactInbox.objects.select_related(
        "inbox", "inbox__api_channel").order_by("id")))


def phone_variants(value) -> list[str]:
    """'5511912345678' / '+55 11 91234-5678' → ['+5511912345678']; a Brazilian mobile also matches the number
    with / without the 9th digit (Evolution API sends both, stored numbers have '+')."""
    import re

    digits = re.sub(r"\D", "", str(value))
    if not digits:
        return []
    found = {"+" + digits}
    if digits.startswith("55") and len(digits) == 13 and digits[4] == "9":
        found.add("+" + digits[:4] + digits[5:])
    elif digits.startswith("55") and len(digits) == 12 and digits[4] in "6789":
        found.add("+" + digits[:4] + "9" + digits[4:])
    return sorted(found)


def _phone_condition(operator: str, values: list) -> Q:
    from conversations.queries import text_condition

    if operator in ("equal_to", "not_equal_to"):
        numbers = [n for v in values for n in phone_variants(v)]
        q = Q(phone_number__in=numbers)
        return q if operator == "equal_to" else ~q | Q(phone_number__isnull=True)
    return text_condition("phone_number", operator, [str(v).lstrip("+") for v in values])


def _contact_label_condition(operator: str, values: list) -> Q:
    from contacts.models import ContactLabel
    from conversations.queries import FilterError

    tagged = ContactLabel.objects.filter(title__in=[str(v).lower() for v in values]).values("contact_id")
    if operator == "equal_to":
        return Q(id__in=tagged)
    if operator == "not_equal_to":
        return ~Q(id__in=tagged)
    if operator in ("is_present", "is_not_present"):
        q = Q(id__in=ContactLabel.objects.values("contact_id"))
        return q if operator == "is_present" else ~q
    raise FilterError(f"Invalid filter operator for this attribute - [{operator}]", "filter_operator")


def _custom_attribute_condition(key: str, display_type: int):
    """fn(operator, values) → Q on custom_attributes[key], compared as its definition's type: text (link,
    list: case-insensitive), number (currency, percent), date or checkbox. Values that are not of the type
    compare as absent, never as an SQL error."""
    from django.db.models import Case, FloatField, When
    from django.db.models.fields.json import KeyTextTransform
    from django.db.models.functions import Cast, Lower, Substr
    from django.db.models.lookups import Exact, GreaterThan, IContains, In, IsNull, LessThan, Regex

    from automations.models import CustomAttributeDefinition
    from conversations.queries import FilterError

    kinds = CustomAttributeDefinition.DisplayType
    raw = KeyTextTransform(key, "custom_attributes")
    present = Q(IsNull(raw, False)) & ~Q(Exact(raw, ""))

    def invalid(operator):
        return FilterError(f"Invalid filter operator for this attribute - [{operator}]", "filter_operator")

    def number(value) -> float:
        if isinstance(value, bool):
            raise ValueError(value)
        return float(value)

    def day(value) -> dt.date:
        return dt.date.fromisoformat(str(value)[:10])

    if display_type in (kinds.NUMBER, kinds.CURRENCY, kinds.PERCENT):
        typed, parse = Case(When(Regex(raw, r"^\s*-?[0-9]+(\.[0-9]+)?\s*$"),
                                 then=Cast(raw, FloatField()))), number
        operators = ("equal_to", "not_equal_to", "is_greater_than", "is_less_than")
    elif display_type == kinds.DATE:
        typed, parse = Case(When(Regex(raw, r"^[0-9]{4}-[0-9]{2}-[0-9]{2}"),
                                 then=Cast(Substr(raw, 1, 10), models.DateField()))), day
        operators = ("equal_to", "not_equal_to", "is_greater_than", "is_less_than", "days_before")
    elif display_type == kinds.CHECKBOX:
        typed, parse = Lower(raw), lambda v: "true" if str(v).lower() in ("true", "1") else "false"
        operators = ("equal_to", "not_equal_to")
    else:
        typed, parse = Lower(raw), lambda v: str(v).lower()
        operators = ("equal_to", "not_equal_to", "contains", "does_not_contain")

    def condition(operator: str, values: list) -> Q:
        if operator in ("is_present", "is_not_present"):
            return present if operator == "is_present" else ~present
        if operator not in operators:
            raise invalid(operator)
        if operator == "days_before":
            try:
                return Q(LessThan(typed, timezone.now().date() - dt.timedelta(days=int(values[0]))))
            except (TypeError, ValueError):
                raise FilterError(f"Invalid number of days for {key}", "values") from None
        if operator in ("contains", "does_not_contain"):
            found = Q()
            for value in values:
                found |= Q(IContains(raw, str(value)))
            return found if operator == "contains" else ~found | ~present
        try:
            parsed = [parse(v) for v in values if v is not None]
        except (TypeError, ValueError):
            raise FilterError(f"Invalid value for {key}", "values") from None
        if not parsed:
            raise FilterError(f"Values are required for {key}", "values")
        if operator == "equal_to":
            return Q(In(typed, parsed))
        if operator == "not_equal_to":
            return ~Q(In(typed, parsed)) | Q(IsNull(typed, True))
        return Q(GreaterThan(typed, parsed[0])) if operator == "is_greater_than" else Q(
            LessThan(typed, parsed[0]))

    return condition


def _custom_attribute_fields(account_id: int) -> dict:
    """The account's contact custom attributes as filter keys (Chatwoot filters them by attribute_key)."""
    from automations.models import CustomAttributeDefinition

    definitions = CustomAttributeDefinition.objects.filter(
        account_id=account_id, attribute_model=CustomAttributeDefinition.AttributeModel.CONTACT)
    return {key: _custom_attribute_condition(key, display_type)
            for key, display_type in definitions.values_list("attribute_key", "attribute_display_type")}


def _contact_filter_fields(account_id: int) -> dict:
    from conversations.queries import choice_condition, date_condition, text_condition

    def text(field, transform=lambda v: v):
        return lambda op, v: text_condition(field, op, v, transform=transform)

    return {
        **_custom_attribute_fields(account_id),  # the standard keys below win over a custom key of the same name
        "name": text("name"), "email": text("email", str.lower), "identifier": text("identifier"),
        "phone_number": _phone_condition, "country_code": text("country_code"),
        "city": text("additional_attributes__city"), "country": text("additional_attributes__country"),
        "company": text("additional_attributes__company_name"),
        "blocked": lambda op, v: choice_condition("blocked", op, v, parse=lambda x: str(x).lower() in ("true", "1")),
        "created_at": lambda op, v: date_condition("created_at", op, v),
        "last_activity_at": lambda op, v: date_condition("last_activity_at", op, v),
        "labels": _contact_label_condition,
    }


def filter_contacts(qs: QuerySet[Contact], rows, *, account_id: int) -> QuerySet[Contact]:
    """Apply the filter API's rows (standard keys and the account's contact custom attributes) to contacts
    (raises conversations.queries.FilterError)."""
    from conversations.queries import filter_q

    return qs.filter(filter_q(rows, _contact_filter_fields(account_id)))


# --- Exports ---------------------------------------------------------------------------------

EXPORT_LINK_DAYS = 7
EXPORT_SALT = "contacts.export"


def exported_contacts(account_id: int, query: dict) -> QuerySet[Contact]:
    """The contacts an export covers: a filter's (`payload` rows), else a label's, else all of the account.
    Raises conversations.queries.FilterError for a bad filter."""
    qs = Contact.objects.filter(account_id=account_id)
    if query.get("payload"):
        return filter_contacts(qs, query["payload"], account_id=account_id)
    if query.get("label"):
        from contacts.models import ContactLabel

        tagged = ContactLabel.objects.filter(title=str(query["label"]).lower()).values("contact_id")
        return qs.filter(id__in=tagged)
    return qs


def export_download_url(export) -> str:
    """The export's download link: signed, valid EXPORT_LINK_DAYS, and only for members of its account."""
    from django.conf import settings
    from django.core import signing
    from django.urls import reverse

    token = signing.dumps([export.pk, export.account_id], salt=EXPORT_SALT)
    return settings.FRONTEND_URL + reverse("contacts:export_download", kwargs={
        "account_id": export.account_id, "token": token})


def access_contact_export(account_user: AccountUser, token: str):
    """The ready export a download link names; None when the link is tampered with or expired; 404 when it
    is another account's or another member's (administrators may download any of their account's)."""
    from django.core import signing

    from contacts.models import ContactExport

    try:
        export_id, account_id = signing.loads(token, salt=EXPORT_SALT, max_age=dt.timedelta(days=EXPORT_LINK_DAYS))
    except (signing.BadSignature, ValueError, TypeError):
        return None
    export = ContactExport.objects.filter(pk=export_id, account_id=account_user.account_id,
                                          status=ContactExport.Status.READY).first()
    if export is None or account_id != account_user.account_id or not (
            export.user_id == account_user.user_id or account_user.is_administrator):
        raise Http404
    return export
