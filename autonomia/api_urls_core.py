"""Core endpoints of the JSON API: accounts, agents, teams, profile, and the Platform API (full paths)."""

from django.urls import path

from autonomia import api_views as api
from autonomia import platform_api as platform

ACCOUNT = "api/v1/accounts/<int:account_id>"
PLATFORM = "platform/api/v1/"

urlpatterns = [
    path(ACCOUNT, api.account_detail),
    path(ACCOUNT + "/agents", api.agents),
    path(ACCOUNT + "/agents/bulk_create", api.agents_bulk_create),
    path(ACCOUNT + "/agents/<int:user_id>", api.agent_detail),
    path(ACCOUNT + "/teams", api.teams),
    path(ACCOUNT + "/teams/<int:team_id>", api.team_detail),
    path(ACCOUNT + "/teams/<int:team_id>/team_members", api.team_members),
    path("api/v1/profile", api.profile),
    path("api/v1/profile/availability", api.profile_availability),
    path("api/v1/profile/auto_offline", api.profile_auto_offline),
    path("api/v1/profile/set_active_account", api.profile_set_active_account),
    path("api/v1/profile/reset_access_token", api.profile_reset_access_token),
    path(PLATFORM + "accounts", platform.accounts),
    path(PLATFORM + "accounts/<int:pk>", platform.account_detail),
    path(PLATFORM + "accounts/<int:pk>/account_users", platform.account_users),
    path(PLATFORM + "users", platform.users),
    path(PLATFORM + "users/<int:user_id>", platform.user_detail),
    path(PLATFORM + "users/<int:user_id>/login", platform.user_login),
    path(PLATFORM + "users/<int:user_id>/token", platform.user_token),
    path(PLATFORM + "agent_bots", platform.agent_bots),
    path(PLATFORM + "agent_bots/<int:bot_id>", platform.agent_bot_detail),
]
