"""This app's endpoints of the JSON API, mounted under api/v1/accounts/<account_id>/ (autonomia/urls_api.py).

Every route answers with and without a trailing slash: Chatwoot clients use both spellings.
"""

from django.urls import path

from conversations import api, api_bulk, api_extra, api_messages

C = "conversations/<int:display_id>/"


def both(route: str, view, **kwargs):
    return [path(route, view, **kwargs), path(route + "/", view)]


urlpatterns = [
    *both("conversations", api.conversations),
    *both("conversations/meta", api.conversations_meta),
    *both("conversations/search", api.conversations_search),
    *both("conversations/filter", api.conversations_filter),
    *both("conversations/<int:display_id>", api.conversation_detail),
    *both(C + "toggle_status", api.toggle_status),
    *both(C + "toggle_priority", api.toggle_priority),
    *both(C + "toggle_typing_status", api.toggle_typing_status),
    *both(C + "update_last_seen", api.update_last_seen),
    *both(C + "unread", api.unread),
    *both(C + "custom_attributes", api.custom_attributes),
    *both(C + "assignments", api.assignments),
    *both(C + "labels", api.labels),
    *both(C + "participants", api.participants),
    *both(C + "attachments", api.conversation_attachments),
    *both(C + "mute", api_extra.mute),
    *both(C + "unmute", api_extra.unmute),
    *both(C + "transcript", api_extra.transcript),
    *both(C + "draft_messages", api_extra.draft_messages),
    *both("bulk_actions", api_bulk.bulk_actions_view),
    *both(C + "messages", api_messages.messages),
    *both(C + "messages/<int:message_id>", api_messages.message_detail),
    path("attachments/<str:token>/<str:name>", api.attachment_file, name="api-attachment-file"),
]
