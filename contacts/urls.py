from django.urls import path

from contacts import views

app_name = "contacts"

urlpatterns = [
    path("<int:contact_id>/", views.contact_edit, name="edit"),  # GET form partial, POST save (contact panel)
    path("<int:contact_id>/labels/", views.contact_labels, name="labels"),
    # The signed link emailed by POST /api/v1/accounts/<id>/contacts/export (contacts.actions).
    path("exports/<str:token>/", views.export_download, name="export_download"),
]
