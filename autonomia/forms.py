"""Forms for sign-in and the core settings pages (account, agents, teams, profile)."""

import io
import zoneinfo

from django import forms
from django.conf import settings
from django.contrib.auth import forms as auth_forms
from django.contrib.auth.forms import AuthenticationForm
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils.translation import gettext_lazy as _

from autonomia.models import AccountUser

# America/Sao_Paulo first: most accounts are Brazilian. The rest are the zones people actually pick.
COMMON_TIME_ZONES = [
    "America/Sao_Paulo", "America/Manaus", "America/Belem", "America/Fortaleza", "America/Recife",
    "America/Bahia", "America/Cuiaba", "America/Campo_Grande", "America/Porto_Velho", "America/Boa_Vista",
    "America/Rio_Branco", "America/Noronha", "UTC", "America/Buenos_Aires", "America/Montevideo",
    "America/Asuncion", "America/Santiago", "America/La_Paz", "America/Lima", "America/Bogota",
    "America/Caracas", "America/Mexico_City", "America/New_York", "America/Chicago", "America/Denver",
    "America/Los_Angeles", "Atlantic/Azores", "Europe/Lisbon", "Europe/London", "Europe/Madrid", "Europe/Paris",
    "Europe/Berlin", "Europe/Rome", "Africa/Luanda", "Africa/Maputo", "Asia/Tokyo", "Australia/Sydney",
]

AVATAR_MAX_BYTES = 2 * 1024 * 1024
AVATAR_SIZE = 256

# Keys of User.ui_settings["notify"]: Chatwoot's notification type names.
NOTIFY_CHOICES = [
    ("conversation_creation", _("A new conversation is created")),
    ("conversation_assignment", _("A conversation is assigned to me")),
    ("assigned_conversation_new_message", _("A new message arrives in a conversation assigned to me")),
    ("conversation_mention", _("Someone mentions me in a private note")),
]
NOTIFY_DEFAULT = ["conversation_assignment", "assigned_conversation_new_message", "conversation_mention"]

AVAILABILITY_CHOICES = [
    ("online", _("Online")),
    ("busy", _("Busy")),
    ("offline", _("Offline")),
]
AVAILABILITY_VALUES = {"online": AccountUser.Availability.ONLINE, "busy": AccountUser.Availability.BUSY,
                       "offline": AccountUser.Availability.OFFLINE}
AVAILABILITY_NAMES = {str(int(value)): name for name, value in AVAILABILITY_VALUES.items()}  # "0" → "online"


def time_zone_choices(current: str = "", *, blank: str | None = None) -> list[tuple[str, str]]:
    """The common zones (America/Sao_Paulo first), plus `current` when it is another valid zone."""
    names = list(COMMON_TIME_ZONES)
    if current and current not in names and current in zoneinfo.available_timezones():
        names.append(current)
    choices = [(name, name.replace("_", " ")) for name in names]
    return [("", blank), *choices] if blank is not None else choices


class StyledFormMixin:
    """Adds the shared CSS classes to every widget so templates only lay fields out."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            widget = field.widget
            if isinstance(field, forms.ModelChoiceField) and field.empty_label is not None:
                field.empty_label = "—"  # Django's "- Select an option -" has no pt-BR translation
            if isinstance(widget, forms.CheckboxSelectMultiple | forms.RadioSelect):
                continue
            if isinstance(widget, forms.CheckboxInput):
                css = "checkbox"
            elif isinstance(widget, forms.Select):
                css = "select"
            elif isinstance(widget, forms.Textarea):
                css = "textarea"
            else:
                css = "input"
            widget.attrs["class"] = f"{css} {widget.attrs.get('class', '')}".strip()


class StyledForm(StyledFormMixin, forms.Form):
    pass


class PasswordChangeForm(StyledFormMixin, auth_forms.PasswordChangeForm):
    """Django's password change (old password + new twice), with the shared styling."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # It sits below the profile form: Django's autofocus would scroll the profile page down to it.
        self.fields["old_password"].widget.attrs.pop("autofocus", None)


class PasswordResetForm(StyledFormMixin, auth_forms.PasswordResetForm):
    """Django's "email me a reset link", with the shared styling."""


class SetPasswordForm(StyledFormMixin, auth_forms.SetPasswordForm):
    """Django's "choose a new password" (reset and invitation links), with the shared styling."""


class AvatarField(forms.ImageField):
    """An image of at most 2 MB, re-encoded as a 256 px square PNG (drops metadata, refuses SVG)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        kwargs.setdefault("help_text", _("PNG, JPEG, GIF or WebP, up to 2 MB."))
        kwargs.setdefault("widget", forms.FileInput(attrs={"accept": "image/png,image/jpeg,image/gif,image/webp"}))
        super().__init__(**kwargs)

    def clean(self, data, initial=None):
        upload = super().clean(data, initial)
        if not upload or upload is initial:
            return upload
        if upload.size > AVATAR_MAX_BYTES:
            raise forms.ValidationError(_("The image is larger than 2 MB."), code="too_big")
        from PIL import Image, ImageOps

        upload.seek(0)
        with Image.open(upload) as image:
            image = ImageOps.fit(ImageOps.exif_transpose(image).convert("RGBA"), (AVATAR_SIZE, AVATAR_SIZE))
            buffer = io.BytesIO()
            image.save(buffer, format="PNG", optimize=True)
        return SimpleUploadedFile("avatar.png", buffer.getvalue(), content_type="image/png")


class EmailAuthenticationForm(StyledFormMixin, AuthenticationForm):
    """Sign in with email and password; the same error for unknown emails and wrong passwords."""

    username = forms.EmailField(label=_("Email"), widget=forms.EmailInput(attrs={"autofocus": True,
                                                                                 "autocomplete": "email"}))

    def clean_username(self):
        return self.cleaned_data["username"].strip().lower()


class AccountSettingsForm(StyledForm):
    name = forms.CharField(label=_("Account name"), max_length=255)
    locale = forms.ChoiceField(label=_("Language"), choices=settings.LANGUAGES,
                               help_text=_("Language of automatic messages and emails sent by the account."))
    timezone = forms.ChoiceField(label=_("Time zone"))
    auto_resolve_after = forms.IntegerField(
        label=_("Resolve conversations automatically after (minutes)"), required=False,
        min_value=10, max_value=1_439_856,
        help_text=_("Open conversations with no activity for this long are resolved. Leave empty to turn it off "
                    "(from 10 minutes up to 1,439,856 minutes, about 999 days)."))
    auto_resolve_message = forms.CharField(
        label=_("Message sent when a conversation is resolved automatically"), required=False,
        widget=forms.Textarea(attrs={"rows": 3}))
    auto_resolve_ignore_waiting = forms.BooleanField(
        label=_("Do not resolve conversations that are waiting for an agent's reply"), required=False)

    def __init__(self, *args, account, **kwargs):
        kwargs.setdefault("initial", {
            "name": account.name, "locale": account.locale, "timezone": account.timezone,
            "auto_resolve_after": account.settings.get("auto_resolve_after"),
            "auto_resolve_message": account.settings.get("auto_resolve_message", ""),
            "auto_resolve_ignore_waiting": account.settings.get("auto_resolve_ignore_waiting", False),
        })
        super().__init__(*args, **kwargs)
        self.fields["timezone"].choices = time_zone_choices(account.timezone)

    def clean_name(self):
        return self.cleaned_data["name"].strip()


ROLE_CHOICES = [(AccountUser.Role.AGENT.value, _("Agent")),
                (AccountUser.Role.ADMINISTRATOR.value, _("Administrator"))]


class InviteAgentForm(StyledForm):
    name = forms.CharField(label=_("Name"), max_length=255)
    email = forms.EmailField(label=_("Email"))
    role = forms.TypedChoiceField(
        label=_("Role"), choices=ROLE_CHOICES, coerce=int, initial=AccountUser.Role.AGENT,
        help_text=_("Administrators can change every setting of the account. Agents answer conversations "
                    "in the inboxes they belong to."))

    def clean_email(self):
        return self.cleaned_data["email"].strip().lower()


class AgentForm(StyledForm):
    name = forms.CharField(label=_("Name"), max_length=255)
    role = forms.TypedChoiceField(label=_("Role"), choices=ROLE_CHOICES, coerce=int)
    availability = forms.TypedChoiceField(label=_("Availability"), choices=AccountUser.Availability.choices,
                                          coerce=int)

    def __init__(self, *args, membership: AccountUser, **kwargs):
        kwargs.setdefault("initial", {"name": membership.user.name, "role": membership.role,
                                      "availability": membership.availability})
        super().__init__(*args, **kwargs)


class MemberChoiceField(forms.TypedMultipleChoiceField):
    """Checkboxes of the account's members (user ids)."""

    widget = forms.CheckboxSelectMultiple

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        kwargs.setdefault("coerce", int)
        super().__init__(**kwargs)


def member_choices(memberships) -> list[tuple[int, str]]:
    return [(m.user_id, m.user.available_name) for m in memberships]


class TeamForm(StyledForm):
    name = forms.CharField(label=_("Team name"), max_length=100,
                           help_text=_("Team names are saved in lower case, for example “sales”."))
    description = forms.CharField(label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
    allow_auto_assign = forms.BooleanField(
        label=_("Assign conversations to the team's agents automatically"), required=False, initial=True,
        help_text=_("When a conversation is routed to the team, it goes to an online member of the team."))
    member_ids = MemberChoiceField(label=_("Members"))

    def __init__(self, *args, memberships, team=None, member_ids=(), **kwargs):
        if team is not None:
            kwargs.setdefault("initial", {"name": team.name, "description": team.description,
                                          "allow_auto_assign": team.allow_auto_assign,
                                          "member_ids": list(member_ids)})
        super().__init__(*args, **kwargs)
        self.fields["member_ids"].choices = member_choices(memberships)

    def clean_name(self):
        return self.cleaned_data["name"].strip().lower()


class ProfileForm(StyledForm):
    name = forms.CharField(label=_("Full name"), max_length=255)
    display_name = forms.CharField(label=_("Display name"), max_length=255, required=False,
                                   help_text=_("Shown to customers and colleagues instead of your full name."))
    avatar = AvatarField(label=_("Profile picture"))
    remove_avatar = forms.BooleanField(label=_("Remove the current picture"), required=False)
    message_signature = forms.CharField(
        label=_("Message signature"), required=False, widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Added to the end of your email replies."))
    locale = forms.ChoiceField(label=_("Language"), choices=[("", _("Account default")), *settings.LANGUAGES],
                               required=False)
    timezone = forms.ChoiceField(label=_("Time zone"), required=False)
    availability = forms.ChoiceField(label=_("Availability"), choices=AVAILABILITY_CHOICES)
    send_on_enter = forms.BooleanField(
        label=_("Send messages with Enter"), required=False,
        help_text=_("When off, Enter adds a new line and Ctrl+Enter (⌘+Enter on a Mac) sends."))
    notify = forms.MultipleChoiceField(label=_("Notify me when"), choices=NOTIFY_CHOICES, required=False,
                                       widget=forms.CheckboxSelectMultiple)
    sound = forms.BooleanField(label=_("Play a sound for new notifications"), required=False)

    def __init__(self, *args, user, membership: AccountUser, **kwargs):
        ui = user.ui_settings or {}
        kwargs.setdefault("initial", {
            "name": user.name, "display_name": user.display_name, "message_signature": user.message_signature,
            "locale": user.locale, "timezone": user.timezone, "availability": membership.availability_status,
            "send_on_enter": bool(ui.get("send_on_enter")), "notify": ui.get("notify", NOTIFY_DEFAULT),
            "sound": ui.get("sound", True),
        })
        super().__init__(*args, **kwargs)
        self.fields["timezone"].choices = time_zone_choices(user.timezone, blank=_("Account default"))

    def clean_name(self):
        return self.cleaned_data["name"].strip()

    @property
    def ui_settings(self) -> dict:
        data = self.cleaned_data
        return {"send_on_enter": data["send_on_enter"], "notify": list(data["notify"]), "sound": data["sound"]}


class AvailabilityForm(forms.Form):
    """`availability=online|busy|offline`; the app shell's menu posts the stored number (0, 1, 2) instead."""

    availability = forms.ChoiceField(choices=AVAILABILITY_CHOICES)

    def __init__(self, data=None, *args, **kwargs):
        if data is not None and data.get("availability") in AVAILABILITY_NAMES:
            data = data.copy()
            data["availability"] = AVAILABILITY_NAMES[data["availability"]]
        super().__init__(data, *args, **kwargs)

    @property
    def value(self) -> int:
        return AVAILABILITY_VALUES[self.cleaned_data["availability"]]


def add_domain_error(form: forms.Form, error) -> None:
    """Show an action's DomainError on its field when the form has it, else above the form."""
    field = error.field if error.field in form.fields else None
    form.add_error(field, error.message)
