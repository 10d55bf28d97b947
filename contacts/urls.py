from django.urls import path

from contacts import views

app_name = "contacts"

urlpatterns = [
    path("<int:contact_id>/", views.contact_edit, name="edit"),  # GET form partial, POST save (contact panel)
    path("<int:contact_id>/labels/", views.contact_labels, name="labels"),
]
