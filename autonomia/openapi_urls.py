"""Routes of the OpenAPI document and the API docs page (mounted at the root by autonomia/urls_api.py)."""

from django.urls import path

from autonomia import views_docs

urlpatterns = [
    path("api/v1/openapi.json", views_docs.openapi_json, name="api-openapi"),
    path("api/docs/", views_docs.api_docs, name="api-docs"),
]
