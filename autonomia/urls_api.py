"""The Chatwoot-compatible JSON API: /api/v1/... and /platform/api/v1/... (see autonomia/api.py).

Each app mounts its own endpoints from its `api_urls.py`; account-scoped ones live under
`api/v1/accounts/<account_id>/`.
"""

from django.urls import include, path

from inboxes import api as inboxes_api

ACCOUNT = "api/v1/accounts/<int:account_id>/"

urlpatterns = [
    path(ACCOUNT, include("conversations.api_urls")),
    path("", include("conversations.api_urls_root")),  # POST /api/v1/conversations (the manual's API-Key example)
    path(ACCOUNT, include("contacts.api_urls")),
    path(ACCOUNT, include("inboxes.api_urls")),
    path(ACCOUNT + "inboxes/", inboxes_api.inboxes),  # Evolution's bridge auto-creates with POST …/inboxes/
    path(ACCOUNT, include("automations.api_urls")),
    path(ACCOUNT, include("helpcenter.api_urls")),
    path("api/v2/accounts/<int:account_id>/", include("automations.assistant.api_urls")),  # Alú report
    path("", include("autonomia.api_urls_core")),
    path("", include("autonomia.openapi_urls")),  # GET /api/v1/openapi.json, /api/docs/
    path("", include("inboxes.public_api_urls")),  # /public/api/v1/inboxes/<inbox_identifier>/... (no token)
]
