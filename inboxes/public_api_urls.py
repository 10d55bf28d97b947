"""The Client (public) API routes, mounted at the site root by autonomia/urls_api.py (see inboxes/public_api.py)."""

from django.urls import path

from inboxes import public_api

PREFIX = "public/api/v1/inboxes/<str:inbox_identifier>/"

urlpatterns = [
    path(PREFIX + "contacts/<str:source_id>/conversations/<int:display_id>/update_last_seen",
         public_api.update_last_seen),
]
