"""This app's endpoints of the JSON API, mounted under api/v1/accounts/<account_id>/ (autonomia/urls_api.py)."""

from django.urls import path

from automations import api, api_webhooks

urlpatterns = [
    path("canned_responses", api.canned_responses),
    path("canned_responses/<int:canned_id>", api.canned_response_detail),
    path("labels", api.labels),
    path("labels/<int:label_id>", api.label_detail),
    path("custom_attribute_definitions", api.custom_attribute_definitions),
    path("custom_attribute_definitions/<int:definition_id>", api.custom_attribute_definition_detail),
    path("custom_filters", api.custom_filters),
    path("custom_filters/<int:filter_id>", api.custom_filter_detail),
    path("webhooks", api_webhooks.webhooks_view),
    path("webhooks/<int:webhook_id>", api_webhooks.webhook_detail),
]
