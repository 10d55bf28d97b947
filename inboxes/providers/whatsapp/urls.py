"""WhatsApp routes: public provider webhooks, settings pages and the conversation's reply-box panel."""

from django.urls import path

from inboxes.providers.whatsapp import views, webhooks

app_name = "whatsapp"
APP = "app/accounts/<int:account_id>/"

urlpatterns = [
    path("webhooks/whatsapp/<str:phone_number>", webhooks.cloud_webhook, name="cloud-webhook"),
    path("webhooks/evolution/<int:channel_id>", webhooks.evolution_webhook, name="evolution-webhook"),
    # Evolution's byEvents mode appends the event name (/messages-upsert).
    path("webhooks/evolution/<int:channel_id>/<slug:event>", webhooks.evolution_webhook,
         name="evolution-webhook-event"),
    path(APP + "settings/inboxes/new/whatsapp/", views.whatsapp_new, name="new"),
    path(APP + "settings/inboxes/<int:whatsapp_inbox_id>/whatsapp/", views.whatsapp_settings, name="settings"),
    path(APP + "settings/inboxes/<int:whatsapp_inbox_id>/whatsapp/action/", views.whatsapp_action, name="action"),
    path(APP + "conversations/<int:display_id>/whatsapp/", views.composer_panel, name="composer"),
    path(APP + "conversations/<int:display_id>/whatsapp/template/", views.send_template_view,
         name="send-template"),
    path(APP + "conversations/<int:display_id>/whatsapp/resend/", views.resend_message_view, name="resend"),
]
