from django.apps import AppConfig


class HelpcenterConfig(AppConfig):
    name = "helpcenter"
    default_auto_field = "django.db.models.BigAutoField"
