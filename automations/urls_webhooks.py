"""Webhook settings, mounted at app/accounts/<account_id>/settings/webhooks/ (namespace "webhooks")."""

from django.urls import path

from automations import views_webhooks as views

app_name = "webhooks"

urlpatterns = [
    path("", views.webhook_list, name="list"),
    path("new/", views.webhook_edit, name="new"),
    path("<int:webhook_id>/", views.webhook_edit, name="edit"),
    path("<int:webhook_id>/delete/", views.webhook_delete, name="delete"),
    path("<int:webhook_id>/secret/", views.webhook_regenerate_secret, name="secret"),
    path("<int:webhook_id>/deliveries/", views.delivery_list, name="deliveries"),
    path("<int:webhook_id>/deliveries/<int:delivery_id>/", views.delivery_detail, name="delivery"),
    path("<int:webhook_id>/deliveries/<int:delivery_id>/resend/", views.delivery_resend, name="resend"),
]
