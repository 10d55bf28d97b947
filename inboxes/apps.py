from django.apps import AppConfig


class InboxesConfig(AppConfig):
    name = "inboxes"
    default_auto_field = "django.db.models.BigAutoField"
