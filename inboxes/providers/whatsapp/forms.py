"""Forms of the WhatsApp pages: new inbox and channel settings (per provider), template sending."""

from django import forms
from django.utils.translation import gettext_lazy as _

from autonomia.forms import MemberChoiceField, StyledForm, member_choices
from inboxes.providers.whatsapp.models import MessageTemplate, WhatsappChannel


class CloudSettingsForm(StyledForm):
    phone_number = forms.CharField(label=_("Phone number"), max_length=20,
                                   help_text=_("In international format, e.g. +5511912345678."))
    phone_number_id = forms.CharField(label=_("Phone number ID"), max_length=64)
    business_account_id = forms.CharField(label=_("WhatsApp Business Account ID"), max_length=64)
    api_key = forms.CharField(label=_("Permanent access token"), max_length=1000, required=False,
                              widget=forms.PasswordInput(render_value=False),
                              help_text=_("Leave blank to keep the current value."))
    app_secret = forms.CharField(label=_("App secret"), max_length=255, required=False,
                                 widget=forms.PasswordInput(render_value=False),
                                 help_text=_("Checks that webhooks really come from Meta."))
    webhook_verify_token = forms.CharField(label=_("Webhook verify token"), max_length=255, required=False,
                                           help_text=_("Leave blank to generate one."))

    CONFIG = ("phone_number_id", "business_account_id", "api_key", "app_secret", "webhook_verify_token")

    def __init__(self, *args, channel: WhatsappChannel | None = None, **kwargs):
        if channel is not None:
            initial = {k: channel.config(k) for k in self.CONFIG if k not in ("api_key", "app_secret")}
            kwargs.setdefault("initial", {**initial, "phone_number": channel.phone_number})
        super().__init__(*args, **kwargs)
        if channel is None:  # a new inbox needs its secrets
            self.fields["api_key"].required = self.fields["app_secret"].required = True

    @property
    def config(self) -> dict:
        return {k: self.cleaned_data.get(k, "") for k in self.CONFIG}


class EvolutionSettingsForm(StyledForm):
    server_url = forms.URLField(label=_("Evolution API server URL"), assume_scheme="https",
                                help_text=_("For example https://evolution.example.com"))
    instance_name = forms.CharField(label=_("Instance name"), max_length=255)
    apikey = forms.CharField(label=_("API key"), max_length=255, required=False,
                             widget=forms.PasswordInput(render_value=False),
                             help_text=_("The instance token or the server's global API key."))

    CONFIG = ("server_url", "instance_name", "apikey")

    def __init__(self, *args, channel: WhatsappChannel | None = None, **kwargs):
        if channel is not None:
            kwargs.setdefault("initial", {k: channel.config(k) for k in ("server_url", "instance_name")})
        super().__init__(*args, **kwargs)
        if channel is None:
            self.fields["apikey"].required = True

    @property
    def config(self) -> dict:
        return {k: self.cleaned_data.get(k, "") for k in self.CONFIG}


FORMS = {WhatsappChannel.Provider.CLOUD: CloudSettingsForm, WhatsappChannel.Provider.EVOLUTION: EvolutionSettingsForm}


class NewInboxMixin(forms.Form):
    name = forms.CharField(label=_("Inbox name"), max_length=255,
                           help_text=_("Only your team sees this name, for example “Support” or “Sales”."))
    member_ids = MemberChoiceField(label=_("Agents"),
                                   help_text=_("Agents who answer this inbox. Administrators see every inbox."))


def new_inbox_form(provider: str, data, memberships):
    """The provider's settings form plus the inbox name and agents."""
    form_class = type("NewWhatsappInboxForm", (FORMS[provider], NewInboxMixin), {})
    form = form_class(data)
    form.fields["member_ids"].choices = member_choices(memberships)
    return form


class TemplateSendForm(forms.Form):
    template = forms.IntegerField()
    params = forms.CharField(required=False)

    def __init__(self, *args, template: MessageTemplate | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.template_obj = template

    def param_values(self, data) -> list[str]:
        count = self.template_obj.body_parameter_count if self.template_obj else 0
        return [data.get(f"param_{i + 1}", "") for i in range(count)]
