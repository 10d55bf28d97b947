"""Chatwoot's help center endpoints, mounted under api/v1/accounts/<account_id>/ by autonomia/urls_api.py."""

from django.urls import path

from helpcenter import api

P = "portals/<str:portal_slug>"

urlpatterns = [
    path("portals", api.portals),
    path(P, api.portal_detail),
    path(P + "/archive", api.portal_archive),
    path(P + "/logo", api.portal_logo),
    path(P + "/categories", api.categories),
    path(P + "/categories/<int:category_id>", api.category_detail),
    path(P + "/articles", api.articles),
    path(P + "/articles/reorder", api.articles_reorder),
    path(P + "/articles/<int:article_id>", api.article_detail),
]
