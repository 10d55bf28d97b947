"""Reads and permission checks for contacts."""

from django.db.models import Q, QuerySet
from django.http import Http404

from autonomia.models import AccountUser
from contacts.models import Contact


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
    """Contacts whose name, email, phone or identifier contains `q`."""
    q = q.strip()
    qs = visible_contacts(account_user)
    if q:
        qs = qs.filter(Q(name__icontains=q) | Q(email__icontains=q) | Q(phone_number__icontains=q)
                       | Q(identifier__icontains=q))
    return qs.order_by("-last_activity_at", "-id")


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
        return qs.order_by(F("last_activity_at").desc(nulls_last=True), "-id")
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


def _contact_filter_fields() -> dict:
    from conversations.queries import choice_condition, date_condition, text_condition

    def text(field, transform=lambda v: v):
        return lambda op, v: text_condition(field, op, v, transform=transform)

    return {
        "name": text("name"), "email": text("email", str.lower), "identifier": text("identifier"),
        "phone_number": _phone_condition, "country_code": text("country_code"),
        "city": text("additional_attributes__city"), "country": text("additional_attributes__country"),
        "company": text("additional_attributes__company_name"),
        "blocked": lambda op, v: choice_condition("blocked", op, v, parse=lambda x: str(x).lower() in ("true", "1")),
        "created_at": lambda op, v: date_condition("created_at", op, v),
        "last_activity_at": lambda op, v: date_condition("last_activity_at", op, v),
        "labels": _contact_label_condition,
    }


def filter_contacts(qs: QuerySet[Contact], rows) -> QuerySet[Contact]:
    """Apply the filter API's rows to contacts (raises conversations.queries.FilterError)."""
    from conversations.queries import filter_q

    return qs.filter(filter_q(rows, _contact_filter_fields()))
