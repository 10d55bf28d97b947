"""This app's endpoints of the JSON API, mounted under api/v1/accounts/<account_id>/ (autonomia/urls_api.py).

Every route answers with and without a trailing slash: Chatwoot clients use both spellings.
"""

from django.urls import path

from contacts import api

C = "contacts/<int:contact_id>/"


def both(route: str, view):
    return [path(route, view), path(route + "/", view)]


urlpatterns = [
    *both("contacts", api.contacts),
    *both("contacts/search", api.contacts_search),
    *both("contacts/filter", api.contacts_filter),
    *both("contacts/active", api.contacts_active),
    *both("contacts/import", api.contacts_import),
    *both("contacts/export", api.contacts_export),
    *both("contacts/<int:contact_id>", api.contact_detail),
    *both(C + "conversations", api.contact_conversations),
    *both(C + "contact_inboxes", api.contact_inboxes),
    *both(C + "contactable_inboxes", api.contactable_inboxes),
    *both(C + "labels", api.labels),
    *both(C + "notes", api.notes),
    *both(C + "notes/<int:note_id>", api.note_detail),
    *both("actions/contact_merge", api.contact_merge),
]
