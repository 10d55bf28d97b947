"""Core endpoints of the JSON API: accounts, agents, teams, profile, and the Platform API."""

urlpatterns = []
