from django.urls import path

from automations.assistant import views

app_name = "assistant"

urlpatterns = [
    path("settings/inboxes/<int:inbox_id>/assistant/", views.assistant_settings, name="settings"),
    path("assistant/report/", views.assistant_report, name="report"),
    path("bots/<int:bot_id>/avatar/", views.bot_avatar, name="bot-avatar"),
]
