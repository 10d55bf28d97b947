from django.urls import path

from inboxes import views, widget_settings

app_name = "inboxes"

urlpatterns = [
    path("", views.inbox_list, name="list"),
    path("new/", views.inbox_new, name="new"),
    path("<int:inbox_id>/", views.inbox_settings, name="settings"),
    path("<int:inbox_id>/hours/", views.inbox_hours, name="hours"),
    path("<int:inbox_id>/members/", views.inbox_members, name="members"),
    path("<int:inbox_id>/delete/", views.inbox_delete, name="delete"),
    path("<int:inbox_id>/avatar/", views.inbox_avatar, name="avatar"),
    path("<int:widget_inbox_id>/widget/", widget_settings.widget_settings, name="widget"),
    path("<int:widget_inbox_id>/widget/pre-chat/", widget_settings.widget_prechat, name="widget-prechat"),
    path("<int:widget_inbox_id>/widget/install/", widget_settings.widget_install, name="widget-install"),
]
