from django.apps import AppConfig


class AutonomiaConfig(AppConfig):
    name = "autonomia"
    default_auto_field = "django.db.models.BigAutoField"
