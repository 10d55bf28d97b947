"""API routes outside the account prefix (mounted at the site root by autonomia/urls_api.py)."""

from django.urls import path

from conversations import api

urlpatterns = [
    path("api/v1/conversations", api.create_conversation_without_account),
    path("api/v1/conversations/", api.create_conversation_without_account),
]
