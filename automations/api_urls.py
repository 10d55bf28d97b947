"""This app's endpoints of the JSON API, mounted under api/v1/accounts/<account_id>/ (autonomia/urls_api.py)."""

urlpatterns = []
