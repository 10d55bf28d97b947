"""Forms of the WhatsApp pages: new inbox and channel settings (per provider), template sending."""

from django import forms
from django.template.defaultfilters import filesizeformat
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


# What Meta accepts as a template's header media: extensions and the largest file (channels.md §1).
HEADER_MEDIA = {
    "image": ({"jpg", "jpeg", "png"}, 5 * 1024 * 1024, _("The header image must be a JPEG or PNG file.")),
    "video": ({"mp4", "3gp"}, 16 * 1024 * 1024, _("The header video must be an MP4 or 3GPP file.")),
    "document": ({"pdf"}, 100 * 1024 * 1024, _("The header document must be a PDF file.")),
}


class TemplateSendForm(StyledForm):
    """One approved template's parameters: header text or media, body, and URL buttons' dynamic suffixes."""

    template = forms.IntegerField(widget=forms.HiddenInput)

    def __init__(self, *args, template: MessageTemplate, **kwargs):
        kwargs.setdefault("auto_id", f"wa-t{template.pk}-%s")
        kwargs.setdefault("initial", {"template": template.pk})
        self.template_obj = template
        super().__init__(*args, **kwargs)
        for name in template.header_parameters:
            self.fields[f"header_{name}"] = forms.CharField(
                label=_("Header parameter %(n)s") % {"n": name}, max_length=60)
        if template.header_media_type:
            self.fields["header_file"] = forms.FileField(label=_("Header file"), required=False)
            self.fields["header_url"] = forms.URLField(label=_("Or the file's link"), required=False,
                                                       assume_scheme="https", max_length=2000)
        for name in template.body_parameters:
            self.fields[f"param_{name}"] = forms.CharField(label=_("Parameter %(n)s") % {"n": name},
                                                           max_length=1024)
        for button in template.url_buttons_with_parameter:
            self.fields[f"button_{button['index']}"] = forms.CharField(
                label=_("Link suffix of “%(button)s”") % {"button": button["text"]}, max_length=2000)
        for name, field in self.fields.items():
            if name != "template":  # added after StyledForm styled the declared fields
                field.widget.attrs["class"] = "input input-sm"

    def clean(self):
        data = super().clean()
        kind = self.template_obj.header_media_type
        if kind and not self.errors:
            upload, url = data.get("header_file"), data.get("header_url")
            if upload and url:
                self.add_error("header_url", _("Upload a file or enter a link, not both."))
            elif upload:
                data["header_attachment"] = self._header_attachment(kind, upload)
            elif not url:
                from inboxes.providers.whatsapp.actions import HEADER_MEDIA_MISSING

                self.add_error("header_file", HEADER_MEDIA_MISSING[kind])
        return data

    def _header_attachment(self, kind: str, upload) -> dict | None:
        from conversations.forms import prepare_attachment

        extensions, limit, wrong_type = HEADER_MEDIA[kind]
        extension = upload.name.rsplit(".", 1)[-1].lower() if "." in upload.name else ""
        if extension not in extensions:
            self.add_error("header_file", wrong_type)
            return None
        if upload.size > limit:
            self.add_error("header_file", _("The file is too large (at most %(size)s).") % {
                "size": filesizeformat(limit)})
            return None
        try:
            return prepare_attachment(upload)
        except forms.ValidationError as error:
            self.add_error("header_file", error)
            return None

    def values(self) -> dict:
        """The keyword arguments of actions.send_template."""
        data, template = self.cleaned_data, self.template_obj
        media = None
        if template.header_media_type:
            media = {"attachment": data["header_attachment"]} if data.get("header_attachment") \
                else {"url": data.get("header_url")}
        return {"params": [data[f"param_{n}"] for n in template.body_parameters],
                "header_params": [data[f"header_{n}"] for n in template.header_parameters],
                "button_params": {b["index"]: data[f"button_{b['index']}"]
                                  for b in template.url_buttons_with_parameter},
                "header_media": media}
