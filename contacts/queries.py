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

