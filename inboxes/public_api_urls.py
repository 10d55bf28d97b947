"""The Client (public) API routes, mounted at the site root by autonomia/urls_api.py (see inboxes/public_api.py).

Each route answers with and without a trailing slash (clients differ; a redirect would drop a POST body).
"""

from django.urls import path

from inboxes import public_api

PREFIX = "public/api/v1/inboxes/<str:inbox_identifier>"
CONTACT = PREFIX + "/contacts/<str:source_id>"
CONVERSATION = CONTACT + "/conversations/<int:display_id>"

ROUTES = [
    (PREFIX, public_api.inbox),
    (PREFIX + "/contacts", public_api.create_contact),
    (CONTACT, public_api.contact),
    (CONTACT + "/conversations", public_api.conversations),
    (CONVERSATION, public_api.conversation),
    (CONVERSATION + "/toggle_status", public_api.toggle_status),
    (CONVERSATION + "/toggle_typing", public_api.toggle_typing),
    (CONVERSATION + "/update_last_seen", public_api.update_last_seen),
    (CONVERSATION + "/messages", public_api.messages),
    (CONVERSATION + "/messages/<int:message_id>", public_api.message),
]

urlpatterns = [path(route + slash, view) for route, view in ROUTES for slash in ("", "/")]
