"""Account settings and the profile page (namespace "settings")."""

from django.urls import path

from autonomia import views_settings as views

app_name = "settings"

urlpatterns = [
    path("settings/", views.account_settings, name="account"),
    path("settings/agents/", views.agent_list, name="agents"),
    path("settings/agents/invite/", views.agent_invite, name="agent-invite"),
    path("settings/agents/<int:membership_id>/", views.agent_edit, name="agent-edit"),
    path("settings/agents/<int:membership_id>/remove/", views.agent_remove, name="agent-remove"),
    path("settings/teams/", views.team_list, name="teams"),
    path("settings/teams/new/", views.team_edit, name="team-new"),
    path("settings/teams/<int:team_id>/", views.team_edit, name="team-edit"),
    path("settings/teams/<int:team_id>/delete/", views.team_delete, name="team-delete"),
    path("profile/", views.profile, name="profile"),
    path("profile/availability/", views.set_availability, name="availability"),
    path("profile/access-token/regenerate/", views.regenerate_access_token, name="access-token-regenerate"),
    path("users/<int:user_id>/avatar/", views.user_avatar, name="user-avatar"),
]
