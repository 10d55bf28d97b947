from django.apps import AppConfig


class AssistantApp(AppConfig):
    """Alú, the assistant that answers pending conversations until a person takes over (issue 5)."""

    name = "automations.assistant"
    label = "assistant"
    verbose_name = "Assistant"
    default_auto_field = "django.db.models.BigAutoField"
