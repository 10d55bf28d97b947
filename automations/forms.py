"""Forms for automations: canned responses."""

from django import forms
from django.utils.translation import gettext_lazy as _

from autonomia.forms import StyledForm


class CannedResponseForm(StyledForm):
    short_code = forms.CharField(
        label=_("Short code"), max_length=100,
        help_text=_("Type “/” and this code in the reply box to insert the response, for example “greeting”. "
                    "Letters, digits, “-”, “_” and “.”, without spaces."))
    content = forms.CharField(
        label=_("Content"), widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_("You can use variables, replaced when the response is inserted: {{contact.name}} (the "
                    "contact's name), {{contact.email}} (the contact's email) and {{agent.name}} (your name)."))

    def __init__(self, *args, canned=None, **kwargs):
        if canned is not None:
            kwargs.setdefault("initial", {"short_code": canned.short_code, "content": canned.content})
        super().__init__(*args, **kwargs)
