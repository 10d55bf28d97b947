"""The URL conf of a request on a portal's custom domain: the portal's pages at the root (see middleware.py)."""

from django.urls import include, path

urlpatterns = [path("", include("helpcenter.urls_public"))]
