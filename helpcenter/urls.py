"""Help center authoring (namespace "helpcenter"), mounted under /app/accounts/<account_id>/."""

from django.urls import path

from helpcenter import views, views_categories, views_inbox

app_name = "helpcenter"

S = "settings/help-center/"
C = "conversations/<int:display_id>/help-articles/"

urlpatterns = [
    path(S, views.portal_list, name="portals"),
    path(S + "new/", views.portal_edit, name="portal-new"),
    path(S + "<int:portal_id>/", views.article_list, name="articles"),
    path(S + "<int:portal_id>/settings/", views.portal_edit, name="portal-edit"),
    path(S + "<int:portal_id>/delete/", views.portal_delete, name="portal-delete"),
    path(S + "<int:portal_id>/articles/new/", views.article_new, name="article-new"),
    path(S + "<int:portal_id>/articles/reorder/", views.article_reorder, name="article-reorder"),
    path(S + "<int:portal_id>/images/", views.image_upload, name="image-upload"),
    path(S + "<int:portal_id>/analytics/", views.analytics, name="analytics"),
    path(S + "<int:portal_id>/categories/", views_categories.category_list, name="categories"),
    path(S + "<int:portal_id>/categories/new/", views_categories.category_edit, name="category-new"),
    path(S + "<int:portal_id>/categories/reorder/", views_categories.category_reorder, name="category-reorder"),
    path(S + "<int:portal_id>/categories/<int:category_id>/", views_categories.category_edit, name="category-edit"),
    path(S + "<int:portal_id>/categories/<int:category_id>/delete/", views_categories.category_delete,
         name="category-delete"),
    path(S + "articles/<int:article_id>/", views.article_edit, name="article-edit"),
    path(S + "articles/<int:article_id>/preview/", views.article_preview, name="article-preview"),
    path(S + "articles/<int:article_id>/autosave/", views.article_autosave, name="article-autosave"),
    path(S + "articles/<int:article_id>/status/", views.article_status, name="article-status"),
    path(S + "articles/<int:article_id>/translate/", views.article_translate, name="article-translate"),
    path(S + "articles/<int:article_id>/delete/", views.article_delete, name="article-delete"),
    path(S + "articles/<int:article_id>/revisions/", views.revision_list, name="revisions"),
    path(S + "articles/<int:article_id>/revisions/<int:revision_id>/", views.revision_diff, name="revision"),
    path(S + "articles/<int:article_id>/revisions/<int:revision_id>/restore/", views.revision_restore,
         name="revision-restore"),
    path(C, views_inbox.suggestions, name="suggestions"),
    path(C + "insert/", views_inbox.insert, name="suggestion-insert"),
    path(C + "new-article/", views_inbox.new_article, name="article-from-conversation"),
]
