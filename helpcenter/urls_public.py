"""The public portal's routes, relative to /hc/<portal_slug>/ (autonomia/urls.py) or to the root of a custom
domain (helpcenter/urls_domain.py, chosen by helpcenter.middleware.custom_domains)."""

from django.urls import path

from helpcenter import views_public as views

app_name = "hc"

urlpatterns = [
    path("", views.portal_root, name="root"),
    path("robots.txt", views.robots, name="robots"),
    path("sitemap.xml", views.sitemap, name="sitemap"),
    path("unlock/", views.unlock, name="unlock"),
    path("logo", views.logo, name="logo"),
    path("favicon", views.favicon, name="favicon"),
    path("images/<int:image_id>/<str:name>", views.image, name="image"),
    path("articles/<int:article_id>/view", views.record_view, name="record-view"),
    path("articles/<slug:article_slug>/", views.article_redirect, name="article-redirect"),
    path("<str:locale>/", views.home, name="home"),
    path("<str:locale>/search/", views.search, name="search"),
    path("<str:locale>/articles.json", views.search_json, name="search-json"),
    path("<str:locale>/categories/<slug:category_slug>/", views.category, name="category"),
    path("<str:locale>/articles/<slug:article_slug>/", views.article, name="article"),
    path("<str:locale>/articles/<slug:article_slug>/feedback/", views.feedback, name="feedback"),
]
