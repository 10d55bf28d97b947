"""Forms of the website inbox pages: new website inbox, widget settings, pre-chat form, identity validation."""

from django import forms
from django.utils.translation import gettext_lazy as _

from autonomia.forms import MemberChoiceField, StyledForm, member_choices
from inboxes.models import Inbox, WebWidgetChannel

STANDARD_FIELDS = [("fullName", _("Full name")), ("emailAddress", _("Email")), ("phoneNumber", _("Phone number"))]
CUSTOM_ROWS = 3  # empty rows offered for new custom fields
FIELD_TYPES = [("text", _("Text")), ("email", _("Email")), ("phone", _("Phone")), ("number", _("Number")),
               ("url", _("Link")), ("date", _("Date")), ("checkbox", _("Checkbox"))]
ATTRIBUTE_TARGETS = [("contact_attribute", _("Contact attribute")),
                     ("conversation_attribute", _("Conversation attribute"))]


def _style(widget) -> None:
    """The shared CSS classes (as autonomia.forms.StyledFormMixin) for fields added after __init__."""
    css = ("checkbox" if isinstance(widget, forms.CheckboxInput) else "select" if isinstance(widget, forms.Select)
           else "input")
    widget.attrs["class"] = f"{css} {widget.attrs.get('class', '')}".strip()


class ColorInput(forms.TextInput):
    input_type = "color"


class WebsiteInboxNewForm(StyledForm):
    name = forms.CharField(label=_("Website name"), max_length=255,
                           help_text=_("Shown to visitors at the top of the chat window, e.g. “Loja Exemplo”."))
    website_url = forms.URLField(label=_("Website address"), assume_scheme="https", required=False)
    allowed_domains = forms.CharField(
        label=_("Allowed domains"), required=False, widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("One per line, e.g. loja.com.br or *.loja.com.br. Empty: any website may show the chat."))
    welcome_title = forms.CharField(label=_("Welcome title"), max_length=255, required=False)
    welcome_tagline = forms.CharField(label=_("Welcome tagline"), max_length=255, required=False)
    widget_color = forms.CharField(label=_("Colour"), initial="#1f93ff",
                                   widget=ColorInput(attrs={"class": "input-colour"}))
    member_ids = MemberChoiceField(label=_("Agents"),
                                   help_text=_("Agents who answer this inbox. Administrators see every inbox."))

    def __init__(self, *args, memberships, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["member_ids"].choices = member_choices(memberships)


class WidgetSettingsForm(StyledForm):
    """Appearance, texts, availability and features of the chat window."""

    website_url = forms.URLField(label=_("Website address"), assume_scheme="https", required=False)
    allowed_domains = forms.CharField(
        label=_("Allowed domains"), required=False, widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Only these sites can show the chat (one per line, *.loja.com.br for subdomains). "
                    "Empty: any website."))
    welcome_title = forms.CharField(label=_("Welcome title"), max_length=255, required=False,
                                    help_text=_("The big greeting before a conversation starts."))
    welcome_tagline = forms.CharField(label=_("Welcome tagline"), max_length=255, required=False)
    widget_color = forms.CharField(label=_("Colour"), widget=ColorInput(attrs={"class": "input-colour"}))
    position = forms.ChoiceField(label=_("Position on the page"), choices=WebWidgetChannel.Position.choices)
    launcher_title = forms.CharField(label=_("Bubble text"), max_length=100, required=False,
                                     help_text=_("Shown next to the bubble icon, e.g. “Fale conosco”."))
    reply_time = forms.ChoiceField(label=_("Expected reply time"), choices=WebWidgetChannel.ReplyTime.choices,
                                   help_text=_("Shown while your team is available (see Business hours)."))
    attachments = forms.BooleanField(label=_("Visitors can send files"), required=False)
    end_conversation = forms.BooleanField(label=_("Visitors can end the conversation"), required=False)
    enable_email_collect = forms.BooleanField(
        label=_("Ask anonymous visitors for their email"), required=False,
        help_text=_("After their first message, so they can get the answer even if they leave."))

    CHANNEL_FIELDS = ("website_url", "allowed_domains", "welcome_title", "welcome_tagline", "widget_color",
                      "position", "launcher_title", "reply_time")

    def __init__(self, *args, inbox: Inbox, **kwargs):
        channel = inbox.web_widget
        initial = {name: getattr(channel, name) for name in self.CHANNEL_FIELDS}
        initial.update(attachments=channel.flag("attachments"), end_conversation=channel.flag("end_conversation"),
                       enable_email_collect=inbox.enable_email_collect)
        kwargs.setdefault("initial", initial)
        super().__init__(*args, **kwargs)

    @property
    def channel_changes(self) -> dict:
        data = {name: self.cleaned_data[name] for name in self.CHANNEL_FIELDS}
        data["feature_flags"] = {"attachments": self.cleaned_data["attachments"],
                                 "end_conversation": self.cleaned_data["end_conversation"]}
        return data


class PreChatForm(StyledForm):
    """The form visitors fill in before the first message: standard fields and custom attribute fields."""

    pre_chat_form_enabled = forms.BooleanField(label=_("Ask visitors to fill in a form before chatting"),
                                               required=False)
    pre_chat_message = forms.CharField(label=_("Message above the form"), required=False, max_length=500,
                                       widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, channel: WebWidgetChannel, **kwargs):
        options = channel.pre_chat_form_options or {}
        saved = {f["name"]: f for f in options.get("pre_chat_fields", [])}
        custom = [f for f in options.get("pre_chat_fields", []) if f["name"] not in dict(STANDARD_FIELDS)]
        initial = {"pre_chat_form_enabled": channel.pre_chat_form_enabled,
                   "pre_chat_message": options.get("pre_chat_message", "")}
        for key, _label in STANDARD_FIELDS:
            field = saved.get(key, {})
            initial.update({f"{key}_enabled": field.get("enabled", False), f"{key}_required": field.get("required", False),
                            f"{key}_label": field.get("label", "")})
        for index in range(len(custom) + CUSTOM_ROWS):
            field = custom[index] if index < len(custom) else {}
            for attr in ("name", "label", "type", "field_type", "required", "regex_pattern", "regex_cue"):
                initial[f"custom_{index}_{attr}"] = field.get(attr, "")
        kwargs.setdefault("initial", initial)
        super().__init__(*args, **kwargs)
        self.custom_count = len(custom) + CUSTOM_ROWS
        for key, label in STANDARD_FIELDS:
            self.fields[f"{key}_enabled"] = forms.BooleanField(label=label, required=False)
            self.fields[f"{key}_required"] = forms.BooleanField(label=_("Required"), required=False)
            self.fields[f"{key}_label"] = forms.CharField(label=_("Label"), required=False, max_length=100,
                                                         widget=forms.TextInput(attrs={"placeholder": label}))
        for index in range(self.custom_count):
            prefix = f"custom_{index}_"
            self.fields[prefix + "name"] = forms.RegexField(
                label=_("Key"), required=False, regex=r"^[A-Za-z][\w-]{0,49}$",
                error_messages={"invalid": _("Letters, digits, - and _, starting with a letter.")},
                widget=forms.TextInput(attrs={"placeholder": "pedido"}))
            self.fields[prefix + "label"] = forms.CharField(label=_("Label"), required=False, max_length=100)
            self.fields[prefix + "type"] = forms.ChoiceField(label=_("Type"), choices=FIELD_TYPES, required=False)
            self.fields[prefix + "field_type"] = forms.ChoiceField(label=_("Saved as"), choices=ATTRIBUTE_TARGETS,
                                                                   required=False)
            self.fields[prefix + "required"] = forms.BooleanField(label=_("Required"), required=False)
            self.fields[prefix + "regex_pattern"] = forms.CharField(
                label=_("Validation pattern"), required=False, max_length=200,
                widget=forms.TextInput(attrs={"placeholder": "^[0-9]{5}$"}))
            self.fields[prefix + "regex_cue"] = forms.CharField(label=_("Error message"), required=False,
                                                               max_length=200)
        for name, field in self.fields.items():  # StyledForm styled only the declared fields
            if name not in ("pre_chat_form_enabled", "pre_chat_message"):
                _style(field.widget)

    @property
    def standard_rows(self) -> list[dict]:
        return [{"key": key, "label": label, "enabled": self[f"{key}_enabled"], "required": self[f"{key}_required"],
                 "custom_label": self[f"{key}_label"]} for key, label in STANDARD_FIELDS]

    @property
    def custom_rows(self) -> list[dict]:
        rows = []
        for index in range(self.custom_count):
            prefix = f"custom_{index}_"
            rows.append({name: self[prefix + name] for name in
                         ("name", "label", "type", "field_type", "required", "regex_pattern", "regex_cue")})
        return rows

    def clean(self):
        data = super().clean()
        for index in range(self.custom_count):
            prefix = f"custom_{index}_"
            if data.get(prefix + "name") and not data.get(prefix + "label"):
                self.add_error(prefix + "label", _("Give the field a label visitors understand."))
        return data

    @property
    def options(self) -> dict:
        """pre_chat_form_options in Chatwoot's shape."""
        data = self.cleaned_data
        fields = [{"name": key, "label": data[f"{key}_label"], "type": {"emailAddress": "email",
                                                                        "phoneNumber": "phone"}.get(key, "text"),
                   "field_type": "standard", "enabled": data[f"{key}_enabled"],
                   "required": data[f"{key}_required"]} for key, _label in STANDARD_FIELDS]
        for index in range(self.custom_count):
            prefix = f"custom_{index}_"
            if data.get(prefix + "name"):
                fields.append({"name": data[prefix + "name"], "label": data[prefix + "label"],
                               "type": data[prefix + "type"] or "text",
                               "field_type": data[prefix + "field_type"] or "contact_attribute", "enabled": True,
                               "required": data[prefix + "required"], "regex_pattern": data[prefix + "regex_pattern"],
                               "regex_cue": data[prefix + "regex_cue"]})
        return {"pre_chat_message": data["pre_chat_message"], "pre_chat_fields": fields}


class WidgetIdentityForm(StyledForm):
    hmac_mandatory = forms.BooleanField(
        label=_("Require identity validation"), required=False,
        help_text=_("setUser calls without a valid identifier_hash are refused."))

    def __init__(self, *args, channel: WebWidgetChannel, **kwargs):
        kwargs.setdefault("initial", {"hmac_mandatory": channel.hmac_mandatory})
        super().__init__(*args, **kwargs)
