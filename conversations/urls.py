"""The agent inbox (namespace "conversations"); ids in URLs are display ids."""

from django.urls import path

from conversations.views import inbox, labels

app_name = "conversations"

C = "conversations/<int:display_id>/"

urlpatterns = [
    path("conversations/", inbox.inbox, name="inbox"),
    path("conversations/list/", inbox.conversation_list, name="list"),
    path("conversations/bulk/", inbox.bulk_action, name="bulk"),
    path(C, inbox.conversation_detail, name="detail"),
    path(C + "row/", inbox.conversation_row, name="row"),
    path(C + "header/", inbox.conversation_header, name="header"),
    path(C + "messages/", inbox.messages, name="messages"),  # GET older (?before=id), POST reply/note
    path(C + "status/", inbox.change_status, name="status"),
    path(C + "assignee/", inbox.assign_agent, name="assignee"),
    path(C + "team/", inbox.assign_team, name="team"),
    path(C + "labels/", inbox.set_labels, name="labels"),
    path(C + "priority/", inbox.change_priority, name="priority"),
    path(C + "typing/", inbox.typing, name="typing"),
    path(C + "seen/", inbox.mark_seen, name="seen"),
    path(C + "contact-panel/", inbox.contact_panel, name="contact-panel"),
    path("attachments/<int:attachment_id>/<str:name>", inbox.attachment, name="attachment"),
    path("canned-responses/search/", inbox.canned_search, name="canned-search"),
    path("mentions/search/", inbox.mention_search, name="mention-search"),
    path("notifications/", inbox.notifications, name="notifications"),
    path("notifications/read/", inbox.notifications_read, name="notifications-read"),
    path("settings/labels/", labels.label_list, name="labels-settings"),
    path("settings/labels/new/", labels.label_edit, name="label-new"),
    path("settings/labels/<int:label_id>/", labels.label_edit, name="label-edit"),
    path("settings/labels/<int:label_id>/delete/", labels.label_delete, name="label-delete"),
]
