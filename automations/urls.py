from django.urls import path

from automations import views

app_name = "automations"

urlpatterns = [
    path("", views.canned_list, name="canned"),
    path("new/", views.canned_edit, name="canned-new"),
    path("<int:canned_id>/", views.canned_edit, name="canned-edit"),
    path("<int:canned_id>/delete/", views.canned_delete, name="canned-delete"),
]
