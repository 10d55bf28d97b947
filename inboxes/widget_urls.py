"""The website widget's public routes, mounted at the site root: the loader (/packs/js/sdk.js), the frame
(/widget), the inbox picture, and Chatwoot's widget API (/api/v1/widget/…), plus the help-center article
reader (/api/v1/widget/articles/<id>)."""

from django.urls import path

from inboxes import widget_api as api
from inboxes import widget_views as views

app_name = "widget"

API = "api/v1/widget/"

urlpatterns = [
    path("packs/js/sdk.js", views.sdk, name="sdk"),
    path("widget", views.frame, name="frame"),
    path("widget/avatar/<str:website_token>", views.avatar, name="avatar"),
    path("widget/bot-avatar/<uuid:uid>", views.bot_avatar, name="bot-avatar"),
    path(API + "config", api.config, name="config"),
    path(API + "contact", api.contact, name="contact"),
    path(API + "contact/set_user", api.set_user, name="set-user"),
    path(API + "contact/destroy_custom_attributes", api.destroy_contact_attributes),
    path(API + "conversations", api.conversations, name="conversations"),
    path(API + "conversations/update_last_seen", api.update_last_seen, name="update-last-seen"),
    path(API + "conversations/toggle_typing", api.toggle_typing, name="toggle-typing"),
    path(API + "conversations/toggle_status", api.toggle_status, name="toggle-status"),
    path(API + "conversations/set_custom_attributes", api.set_conversation_attributes),
    path(API + "conversations/destroy_custom_attributes", api.destroy_conversation_attributes),
    path(API + "messages", api.messages, name="messages"),
    path(API + "messages/<int:message_id>", api.message, name="message"),
    path(API + "events", api.events, name="events"),
    path(API + "labels", api.labels, name="labels"),
    path(API + "labels/<str:label>", api.labels),
    path(API + "inbox_members", api.inbox_members),
    path(API + "articles/<int:article_id>", api.article, name="article"),
]
