"""Alú's JSON endpoints, mounted under /api/v2/accounts/<account_id>/ (Chatwoot keeps reports in v2)."""

from django.urls import path

from automations.assistant import api

urlpatterns = [
    path("reports/assistant", api.assistant_report),
]
