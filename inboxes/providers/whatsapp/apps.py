from django.apps import AppConfig


class WhatsappConfig(AppConfig):
    name = "inboxes.providers.whatsapp"
    label = "whatsapp"
    verbose_name = "WhatsApp"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from conversations import outgoing
        from inboxes.models import Inbox
        from inboxes.providers.whatsapp.tasks import enqueue_outgoing

        outgoing.register(Inbox.ChannelType.WHATSAPP, enqueue_outgoing)
