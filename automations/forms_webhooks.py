"""The webhook settings form (administrators)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from autonomia.forms import StyledForm
from automations.models import DEFAULT_WEBHOOK_SUBSCRIPTIONS, WEBHOOK_EVENTS

EVENT_LABELS = {
    "conversation_created": _("Conversation created"),
    "conversation_status_changed": _("Conversation status changed"),
    "conversation_updated": _("Conversation updated"),
    "contact_created": _("Contact created"),
    "contact_updated": _("Contact updated"),
    "message_created": _("Message created"),
    "message_updated": _("Message updated"),
    "webwidget_triggered": _("Live chat widget opened"),
    "inbox_created": _("Inbox created"),
    "inbox_updated": _("Inbox updated"),
    "conversation_typing_on": _("Conversation typing on"),
    "conversation_typing_off": _("Conversation typing off"),
}


class WebhookForm(StyledForm):
    url = forms.URLField(label=_("Webhook URL"), max_length=2000, assume_scheme="https",
                         help_text=_("Autonomia sends a signed JSON POST to this address for every chosen event. "
                                     "It must be reachable from the internet."))
    name = forms.CharField(label=_("Name"), max_length=255, required=False,
                           help_text=_("Helps you recognise the webhook, for example “CRM sync”."))
    inbox = forms.ModelChoiceField(label=_("Inbox"), queryset=None, required=False,
                                   empty_label=_("All inboxes"),
                                   help_text=_("Only send events of this inbox. Contact events are sent only to "
                                               "webhooks for all inboxes."))
    subscriptions = forms.MultipleChoiceField(
        label=_("Events"), widget=forms.CheckboxSelectMultiple,
        choices=[(event, f"{EVENT_LABELS[event]} ({event})") for event in WEBHOOK_EVENTS],
        error_messages={"required": _("Choose at least one event.")})
    enabled = forms.BooleanField(label=_("Enabled"), required=False,
                                 help_text=_("Disabled webhooks receive nothing. Webhooks failing for 24 hours "
                                             "are disabled automatically."))

    def __init__(self, *args, account, webhook=None, **kwargs):
        if webhook is not None:
            kwargs.setdefault("initial", {"url": webhook.url, "name": webhook.name, "inbox": webhook.inbox_id,
                                          "subscriptions": webhook.subscriptions, "enabled": webhook.enabled})
        else:
            kwargs.setdefault("initial", {"subscriptions": list(DEFAULT_WEBHOOK_SUBSCRIPTIONS), "enabled": True})
        super().__init__(*args, **kwargs)
        from inboxes.models import Inbox

        self.fields["inbox"].queryset = Inbox.objects.filter(account=account).order_by("name")
        if webhook is None:
            del self.fields["enabled"]
