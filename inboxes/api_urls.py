"""This app's endpoints of the JSON API, mounted under api/v1/accounts/<account_id>/ (autonomia/urls_api.py)."""

from django.urls import path

from inboxes import api

urlpatterns = [
    path("inboxes", api.inboxes),
    path("inboxes/<int:inbox_id>", api.inbox_detail),
    path("inboxes/<int:inbox_id>/assignable_agents", api.assignable_agents),
    path("inboxes/<int:inbox_id>/agent_bot", api.inbox_agent_bot),
    path("inboxes/<int:inbox_id>/set_agent_bot", api.set_agent_bot),
    path("assignable_agents", api.account_assignable_agents),
    path("inbox_members", api.change_inbox_members),
    path("inbox_members/<int:inbox_id>", api.inbox_members),
    path("agent_bots", api.agent_bots),
    path("agent_bots/<int:bot_id>", api.agent_bot_detail),
    path("agent_bots/<int:bot_id>/reset_access_token", api.agent_bot_reset_access_token),
]
